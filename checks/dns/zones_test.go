package dns

// A small DNS universe for the tests: a root, a "test." TLD and child zones,
// signed at test time with keys generated here and served by miekg/dns
// servers on several loopback addresses sharing one random port (so that a
// delegation walk can follow glue addresses with the port of the root
// hints). A "union" server plays the recursive resolver.

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Loopback addresses of the universe; distinct /24s so that name server
// diversity can pass.
const (
	ipRoot     = "127.1.0.1"
	ipTLD      = "127.1.0.2"
	ipResolver = "127.1.0.53"
	ipNS1      = "127.2.0.1"
	ipNS2      = "127.3.0.1"
	ipLame     = "127.4.0.1"
	ipSameNet  = "127.2.0.2" // same /24 as ns1
	ipBind     = "127.0.0.1" // named: BIND listens only on addresses configured on an interface
	ipAXFR     = "127.6.0.1" // authoritative, zone transfers open
	ipTrunc    = "127.7.0.1" // resolver truncating every UDP answer
	ipServfail = "127.7.0.2" // resolver answering SERVFAIL
	ipValid    = "127.7.0.3" // validating resolver
	ipSilent   = "127.8.0.1" // never answers
	ipGarbage  = "127.8.0.2" // answers garbage
	ipPolicy   = "127.9.0.1" // HTTPS server of the MTA-STS policies
)

type tkey struct {
	key  *dns.DNSKEY
	priv crypto.Signer
}

func newKey(t testing.TB, zone string, flags uint16, alg uint8) tkey {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: flags, Protocol: 3, Algorithm: alg}
	bits := 256
	if alg == dns.RSASHA1 || alg == dns.RSASHA256 {
		bits = 1024
	}
	p, err := k.Generate(bits)
	if err != nil {
		t.Fatal(err)
	}
	return tkey{k, p.(crypto.Signer)}
}

// tzone is one zone: its records, its keys and how to sign it.
type tzone struct {
	origin   string
	rrs      []dns.RR
	ksk, zsk *tkey
	from, to time.Time // signature validity
	bogus    bool      // a validating resolver answers SERVFAIL
	secure   bool      // a validating resolver sets AD

	// built by finish
	sets  map[string]map[uint16][]dns.RR // owner -> type -> RRset
	sigs  map[string]map[uint16][]dns.RR // owner -> covered type -> RRSIGs
	cuts  map[string]bool                // delegation points
	names []string                       // NSEC chain, canonical order
}

func rr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return r
}

func canonLess(a, b string) int {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	for i := 1; i <= len(la) && i <= len(lb); i++ {
		if c := strings.Compare(la[len(la)-i], lb[len(lb)-i]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// below reports whether name is under a delegation point of z (glue).
func (z *tzone) below(name string) (string, bool) {
	for c := range z.cuts {
		if name != c && dns.IsSubDomain(c, name) {
			return c, true
		}
	}
	return "", false
}

// finish indexes the records, builds the NSEC chain and signs.
func (z *tzone) finish(t testing.TB) {
	z.sets, z.sigs, z.cuts = map[string]map[uint16][]dns.RR{}, map[string]map[uint16][]dns.RR{}, map[string]bool{}
	for _, r := range z.rrs {
		h := r.Header()
		h.Name = dns.CanonicalName(h.Name)
		if h.Rrtype == dns.TypeNS && h.Name != z.origin {
			z.cuts[h.Name] = true
		}
		if z.sets[h.Name] == nil {
			z.sets[h.Name] = map[uint16][]dns.RR{}
		}
		z.sets[h.Name][h.Rrtype] = append(z.sets[h.Name][h.Rrtype], r)
	}
	if z.ksk == nil {
		return
	}
	z.add(z.ksk.key)
	if z.zsk != nil {
		z.add(z.zsk.key)
	}
	for n := range z.sets {
		if _, glue := z.below(n); !glue {
			z.names = append(z.names, n)
		}
	}
	slices.SortFunc(z.names, canonLess)
	for i, n := range z.names {
		next := z.names[(i+1)%len(z.names)]
		types := []uint16{dns.TypeRRSIG, dns.TypeNSEC}
		for ty := range z.sets[n] {
			types = append(types, ty)
		}
		slices.Sort(types)
		z.add(&dns.NSEC{Hdr: dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300}, NextDomain: next, TypeBitMap: types})
	}
	zsk := z.zsk
	if zsk == nil {
		zsk = z.ksk
	}
	for n, byType := range z.sets {
		if _, glue := z.below(n); glue {
			continue
		}
		for ty, set := range byType {
			if z.cuts[n] && ty != dns.TypeDS && ty != dns.TypeNSEC {
				continue // the NS set at a cut and glue are not signed
			}
			signers := []*tkey{zsk}
			if ty == dns.TypeDNSKEY {
				signers = []*tkey{z.ksk}
			}
			for _, k := range signers {
				sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: set[0].Header().Ttl}, Algorithm: k.key.Algorithm, KeyTag: k.key.KeyTag(),
					SignerName: z.origin, Inception: uint32(z.from.Unix()), Expiration: uint32(z.to.Unix())}
				if err := sig.Sign(k.priv, set); err != nil {
					t.Fatalf("sign %s %s: %v", n, dns.TypeToString[ty], err)
				}
				if z.sigs[n] == nil {
					z.sigs[n] = map[uint16][]dns.RR{}
				}
				z.sigs[n][ty] = append(z.sigs[n][ty], sig)
			}
		}
	}
}

func (z *tzone) add(r dns.RR) {
	h := r.Header()
	h.Name = dns.CanonicalName(h.Name)
	if z.sets[h.Name] == nil {
		z.sets[h.Name] = map[uint16][]dns.RR{}
	}
	z.sets[h.Name][h.Rrtype] = append(z.sets[h.Name][h.Rrtype], r)
}

func (z *tzone) signed() bool { return z.ksk != nil }

// set returns an RRset with its signatures when do is set.
func (z *tzone) set(name string, ty uint16, do bool) []dns.RR {
	out := slices.Clone(z.sets[name][ty])
	if do && len(out) > 0 {
		out = append(out, z.sigs[name][ty]...)
	}
	return out
}

// exists reports whether name owns records or is an empty non-terminal.
func (z *tzone) exists(name string) bool {
	for n := range z.sets {
		if dns.IsSubDomain(name, n) {
			return true
		}
	}
	return false
}

// covering returns the NSEC whose span covers name.
func (z *tzone) covering(name string) string {
	prev := z.names[len(z.names)-1]
	for _, n := range z.names {
		if canonLess(n, name) < 0 {
			prev = n
		}
	}
	return prev
}

// server answers for a set of zones; recursive servers (the union resolver)
// answer with RA and never refer.
type server struct {
	zones      []*tzone
	recursive  bool
	validating bool
	truncate   bool // every UDP answer truncated: the client must use TCP
	refuseAll  bool // a lame server
	servfail   bool // a broken resolver
	axfr       bool // zone transfers allowed to anyone
}

func (s *server) zoneFor(name string, qtype uint16) *tzone {
	var best *tzone
	for _, z := range s.zones {
		if !dns.IsSubDomain(z.origin, name) {
			continue
		}
		if qtype == dns.TypeDS && name == z.origin && name != "." {
			continue // DS lives in the parent
		}
		if best == nil || dns.CountLabel(z.origin) > dns.CountLabel(best.origin) {
			best = z
		}
	}
	return best
}

func (s *server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	defer func() {
		opt := req.IsEdns0()
		if opt != nil {
			resp.SetEdns0(opt.UDPSize(), opt.Do())
		}
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			size := 512
			if opt != nil {
				size = int(opt.UDPSize())
			}
			if s.truncate {
				resp.Truncated, resp.Answer, resp.Ns, resp.Extra = true, nil, nil, nil
			} else {
				resp.Truncate(size)
			}
		}
		w.WriteMsg(resp)
	}()
	if len(req.Question) != 1 || s.refuseAll {
		resp.Rcode = dns.RcodeRefused
		return
	}
	if s.servfail {
		resp.Rcode = dns.RcodeServerFailure
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	do := req.IsEdns0() != nil && req.IsEdns0().Do()
	if q.Qtype == dns.TypeAXFR {
		z := s.zoneFor(name, dns.TypeSOA)
		if !s.axfr || z == nil || z.origin != name {
			resp.Rcode = dns.RcodeRefused
			return
		}
		soa := z.sets[name][dns.TypeSOA]
		resp.Authoritative = true
		resp.Answer = append(resp.Answer, soa...)
		for n, byType := range z.sets {
			for ty, set := range byType {
				if n != name || ty != dns.TypeSOA {
					resp.Answer = append(resp.Answer, set...)
				}
			}
		}
		resp.Answer = append(resp.Answer, soa...)
		return
	}
	z := s.zoneFor(name, q.Qtype)
	if z == nil {
		resp.Rcode = dns.RcodeRefused
		return
	}
	resp.RecursionAvailable = s.recursive
	if s.validating && !req.CheckingDisabled {
		if z.bogus {
			resp.Rcode = dns.RcodeServerFailure
			return
		}
		resp.AuthenticatedData = z.secure
	}
	// Referral below a cut (authoritative servers only).
	if c, ok := z.below(name); ok || (z.cuts[name] && q.Qtype != dns.TypeDS) {
		if !ok {
			c = name
		}
		resp.Ns = append(resp.Ns, z.set(c, dns.TypeNS, false)...)
		if do {
			if ds := z.set(c, dns.TypeDS, true); len(ds) > 0 {
				resp.Ns = append(resp.Ns, ds...)
			} else {
				resp.Ns = append(resp.Ns, z.set(c, dns.TypeNSEC, true)...)
			}
		}
		for _, n := range z.sets[c][dns.TypeNS] {
			target := dns.CanonicalName(n.(*dns.NS).Ns)
			resp.Extra = append(resp.Extra, z.sets[target][dns.TypeA]...)
			resp.Extra = append(resp.Extra, z.sets[target][dns.TypeAAAA]...)
		}
		return
	}
	resp.Authoritative = !s.recursive
	if set := z.set(name, q.Qtype, do); len(set) > 0 {
		resp.Answer = set
		if q.Qtype == dns.TypeNS {
			for _, n := range z.sets[name][dns.TypeNS] {
				target := dns.CanonicalName(n.(*dns.NS).Ns)
				resp.Extra = append(resp.Extra, z.sets[target][dns.TypeA]...)
			}
		}
		return
	}
	if cn := z.set(name, dns.TypeCNAME, do); len(cn) > 0 {
		resp.Answer = cn
		return
	}
	resp.Ns = z.set(z.origin, dns.TypeSOA, do)
	if !z.exists(name) {
		resp.Rcode = dns.RcodeNameError
		if do && z.signed() {
			resp.Ns = append(resp.Ns, z.set(z.covering(name), dns.TypeNSEC, true)...)
			if w := z.covering("*." + z.origin); w != z.covering(name) {
				resp.Ns = append(resp.Ns, z.set(w, dns.TypeNSEC, true)...)
			}
		}
		return
	}
	if do && z.signed() {
		if nsec := z.set(name, dns.TypeNSEC, true); len(nsec) > 0 {
			resp.Ns = append(resp.Ns, nsec...)
		} else {
			resp.Ns = append(resp.Ns, z.set(z.covering(name), dns.TypeNSEC, true)...)
		}
	}
}

// child describes a fixture domain under "test.".
type child struct {
	label    string
	signed   bool
	alg      uint8
	from, to time.Time
	dsBad    bool     // DS at the parent of a key the zone does not use
	noDS     bool     // signed, but no DS at the parent
	ns       []string // name server host labels (ns1, ns2, lame, samenet)
	spf      string
	dmarc    string
	mx       string // "" = default, "-" = none
	extra    []string
	bogus    bool
	// sts is the MTA-STS policy served at mta-sts.<label>.test (policyServer
	// reads prefixes "404", "html:" and "nocert:"); empty: no such host.
	sts string
}

// universe is a running set of servers.
type universe struct {
	port     string
	stsPort  int            // the MTA-STS policy server's (policyServer)
	stsRoots *x509.CertPool // its CA
	anchors  []dns.RR
	zones    map[string]*tzone
	resolver string
	servers  []*dns.Server
	now      time.Time
}

func (u *universe) hints() []string { return []string{net.JoinHostPort(ipRoot, u.port)} }

var nsIP = map[string]string{"ns1": ipNS1, "ns2": ipNS2, "lame": ipLame, "samenet": ipSameNet, "nsbind": ipBind}

const stsTXT = `_mta-sts 300 IN TXT "v=STSv1; id=1"`

// fixtures are the child zones every test can use.
func fixtures(now time.Time) []child {
	day := 24 * time.Hour
	from, to := now.Add(-day), now.Add(30*day)
	return []child{
		{label: "valid", signed: true, alg: dns.ECDSAP256SHA256, from: from, to: to, ns: []string{"ns1", "ns2"},
			spf: "v=spf1 mx ip4:192.0.2.0/24 -all", dmarc: "v=DMARC1; p=reject; rua=mailto:dmarc@valid.test",
			extra: []string{`_mta-sts 300 IN TXT "v=STSv1; id=20260101T000000"`, `_smtp._tls 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@valid.test"`,
				`@ 300 IN CAA 0 issue "letsencrypt.org"`},
			sts: "version: STSv1\nmode: enforce\nmx: mail.valid.test\nmax_age: 604800\n"},
		{label: "expired", signed: true, alg: dns.ECDSAP256SHA256, from: now.Add(-30 * day), to: now.Add(-day), ns: []string{"ns1", "ns2"}, bogus: true},
		{label: "soon", signed: true, alg: dns.ECDSAP256SHA256, from: from, to: now.Add(3 * day), ns: []string{"ns1", "ns2"}},
		{label: "dsbad", signed: true, alg: dns.ECDSAP256SHA256, from: from, to: to, dsBad: true, ns: []string{"ns1", "ns2"}, bogus: true},
		{label: "nods", signed: true, alg: dns.ECDSAP256SHA256, from: from, to: to, noDS: true, ns: []string{"ns1", "ns2"}},
		{label: "sha1", signed: true, alg: dns.RSASHA1, from: from, to: to, ns: []string{"ns1", "ns2"}},
		{label: "unsigned", ns: []string{"ns1", "ns2"}, spf: "v=spf1 +all", dmarc: "v=DMARC1; p=none"},
		{label: "single", ns: []string{"ns1"}},
		{label: "lame", ns: []string{"ns1", "lame"}},
		{label: "samenet", ns: []string{"ns1", "samenet"}},
		{label: "nomail", ns: []string{"ns1", "ns2"}, mx: "0 .", spf: "v=spf1 -all", dmarc: "v=DMARC1; p=reject; rua=mailto:d@valid.test"},
		{label: "nomx", ns: []string{"ns1", "ns2"}, mx: "-", spf: "v=spf1 include:many1.test -all"},
		{label: "spfloop", ns: []string{"ns1", "ns2"}, spf: "v=spf1 include:spfloop.test -all"},
		{label: "spfbad", ns: []string{"ns1", "ns2"}, spf: "v=spf1 ip4:300.1.2.3 -all"},
		// MTA-STS policies: MX not covered, testing (CRLF, wildcard), no
		// policy host, 404, wrong version, wrong media type, certificate
		// for another name.
		{label: "stsmx", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 604800\n"},
		{label: "ststest", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "version: STSv1\r\nmode: testing\r\nmx: *.ststest.test\r\nmax_age: 86400\r\n"},
		{label: "stsgone", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}},
		{label: "sts404", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "404"},
		{label: "stsv2", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "version: STSv2\nmode: enforce\nmx: mail.stsv2.test\nmax_age: 604800\n"},
		{label: "stshtml", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "html:version: STSv1\nmode: enforce\nmx: mail.stshtml.test\nmax_age: 604800\n"},
		{label: "stsnone", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "version: STSv1\nmode: none\nmax_age: 86400\n"},
		{label: "stsshort", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "version: STSv1\nmode: enforce\nmx: mail.stsshort.test\nmax_age: 3600\n"},
		{label: "ststestmx", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 604800\n"},
		{label: "stsmoved", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "redirect"},
		{label: "stscert", ns: []string{"ns1", "ns2"}, extra: []string{stsTXT}, sts: "nocert:version: STSv1\nmode: enforce\nmx: mail.stscert.test\nmax_age: 604800\n"},
	}
}

// buildUniverse makes the zones (children, test., root) and starts the
// servers. extra adds zones served by other software (the bind test):
// their delegation and DS are put in "test.".
func buildUniverse(t testing.TB, kids []child, extraDS map[string][]dns.RR) *universe {
	t.Helper()
	now := time.Now()
	u := &universe{zones: map[string]*tzone{}, now: now}
	day := 24 * time.Hour
	from, to := now.Add(-day), now.Add(30*day)

	tld := &tzone{origin: "test.", from: from, to: to, secure: true}
	k, z := newKey(t, "test.", 257, dns.ECDSAP256SHA256), newKey(t, "test.", 256, dns.ECDSAP256SHA256)
	tld.ksk, tld.zsk = &k, &z
	tld.rrs = []dns.RR{
		rr(t, "test. 300 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300"),
		rr(t, "test. 300 IN NS ns.test."),
		rr(t, "ns.test. 300 IN A "+ipTLD),
	}
	for n, ip := range nsIP {
		tld.rrs = append(tld.rrs, rr(t, fmt.Sprintf("%s.test. 300 IN A %s", n, ip)))
	}
	// SPF includes: a chain of 11 includes exceeds the lookup limit.
	for i := 1; i <= 11; i++ {
		next := "-all"
		if i < 11 {
			next = fmt.Sprintf("include:many%d.test -all", i+1)
		}
		tld.rrs = append(tld.rrs, rr(t, fmt.Sprintf(`many%d.test. 300 IN TXT "v=spf1 %s"`, i, next)))
	}
	for _, rrs := range extraDS {
		tld.rrs = append(tld.rrs, rrs...)
	}

	for _, c := range kids {
		origin := c.label + ".test."
		cz := &tzone{origin: origin, from: c.from, to: c.to, bogus: c.bogus, secure: c.signed && !c.bogus}
		serial := 2026112301
		cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf("%s 300 IN SOA %s.test. hostmaster.%s %d 7200 3600 1209600 300", origin, c.ns[0], origin, serial)))
		for _, n := range c.ns {
			cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf("%s 300 IN NS %s.test.", origin, n)))
			tld.rrs = append(tld.rrs, rr(t, fmt.Sprintf("%s 300 IN NS %s.test.", origin, n)))
		}
		switch c.mx {
		case "":
			cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf("%s 300 IN MX 10 mail.%s", origin, origin)), rr(t, fmt.Sprintf("mail.%s 300 IN A 192.0.2.25", origin)))
		case "-":
		default:
			cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf("%s 300 IN MX %s", origin, c.mx)))
		}
		cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf("%s 300 IN A 192.0.2.80", origin)))
		if c.spf != "" {
			cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf(`%s 300 IN TXT "%s"`, origin, c.spf)))
		}
		if c.dmarc != "" {
			cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf(`_dmarc.%s 300 IN TXT "%s"`, origin, c.dmarc)))
		}
		if c.sts != "" {
			cz.rrs = append(cz.rrs, rr(t, fmt.Sprintf("mta-sts.%s 300 IN A %s", origin, ipPolicy)))
		}
		for _, e := range c.extra {
			r, err := dns.NewZoneParser(strings.NewReader(e+"\n"), origin, "").Next()
			if !err {
				t.Fatalf("fixture %q", e)
			}
			cz.rrs = append(cz.rrs, r)
		}
		if c.signed {
			k, z := newKey(t, origin, 257, c.alg), newKey(t, origin, 256, c.alg)
			cz.ksk, cz.zsk = &k, &z
			dsKey := k.key
			if c.dsBad {
				dsKey = newKey(t, origin, 257, c.alg).key
			}
			if !c.noDS {
				tld.rrs = append(tld.rrs, dsKey.ToDS(dns.SHA256))
			}
		}
		cz.finish(t)
		u.zones[origin] = cz
	}
	tld.finish(t)
	u.zones["test."] = tld

	root := &tzone{origin: ".", from: from, to: to, secure: true}
	rk, rz := newKey(t, ".", 257, dns.ECDSAP256SHA256), newKey(t, ".", 256, dns.ECDSAP256SHA256)
	root.ksk, root.zsk = &rk, &rz
	root.rrs = []dns.RR{
		rr(t, ". 300 IN SOA ns.root. hostmaster.root. 1 7200 3600 1209600 300"),
		rr(t, ". 300 IN NS ns.root."),
		rr(t, "ns.root. 300 IN A "+ipRoot),
		rr(t, "test. 300 IN NS ns.test."),
		rr(t, "ns.test. 300 IN A "+ipTLD),
		tld.ksk.key.ToDS(dns.SHA256),
	}
	root.finish(t)
	u.zones["."] = root
	u.anchors = []dns.RR{rk.key.ToDS(dns.SHA256)}

	var childZones []*tzone
	for _, c := range kids {
		childZones = append(childZones, u.zones[c.label+".test."])
	}
	all := []*tzone{root, tld}
	all = append(all, childZones...)
	handlers := map[string]dns.Handler{
		ipRoot:     &server{zones: []*tzone{root}},
		ipTLD:      &server{zones: []*tzone{tld}},
		ipNS1:      &server{zones: childZones},
		ipNS2:      &server{zones: childZones},
		ipSameNet:  &server{zones: childZones},
		ipLame:     &server{refuseAll: true},
		ipResolver: &server{zones: all, recursive: true},
		ipAXFR:     &server{zones: childZones, axfr: true},
		ipTrunc:    &server{zones: all, recursive: true, truncate: true},
		ipServfail: &server{servfail: true},
		ipValid:    &server{zones: all, recursive: true, validating: true},
		ipSilent:   dns.HandlerFunc(func(dns.ResponseWriter, *dns.Msg) {}),
		ipGarbage: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			w.Write([]byte{byte(r.Id >> 8), byte(r.Id), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, 'g', 'a'})
		}),
	}
	u.start(t, handlers)
	u.resolver = net.JoinHostPort(ipResolver, u.port)
	u.stsPort, u.stsRoots = policyServer(t, kids)
	return u
}

// start binds every handler on its address, all on one random port.
func (u *universe) start(t testing.TB, handlers map[string]dns.Handler) {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		pc, err := net.ListenPacket("udp", ipRoot+":0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
		pc.Close()
		var pcs []net.PacketConn
		var ls []net.Listener
		ok := true
		for ip := range handlers {
			p, err := net.ListenPacket("udp", net.JoinHostPort(ip, port))
			if err != nil {
				ok = false
				break
			}
			pcs = append(pcs, p)
			l, err := net.Listen("tcp", net.JoinHostPort(ip, port))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		if !ok {
			for _, p := range pcs {
				p.Close()
			}
			for _, l := range ls {
				l.Close()
			}
			continue
		}
		u.port = port
		for _, p := range pcs {
			ip, _, _ := net.SplitHostPort(p.LocalAddr().String())
			u.serve(&dns.Server{PacketConn: p, Handler: handlers[ip]})
		}
		for _, l := range ls {
			ip, _, _ := net.SplitHostPort(l.Addr().String())
			u.serve(&dns.Server{Listener: l, Handler: handlers[ip]})
		}
		t.Cleanup(u.stop)
		return
	}
	t.Fatal("could not bind the test DNS servers on one port")
}

func (u *universe) serve(s *dns.Server) {
	started := make(chan struct{})
	s.NotifyStartedFunc = func() { close(started) }
	u.servers = append(u.servers, s)
	go s.ActivateAndServe()
	<-started
}

func (u *universe) stop() {
	for _, s := range u.servers {
		s.Shutdown()
	}
}

// addServer starts one more handler on ip with the universe's port.
func (u *universe) addServer(t testing.TB, ip string, h dns.Handler) string {
	t.Helper()
	addr := net.JoinHostPort(ip, u.port)
	p, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	u.serve(&dns.Server{PacketConn: p, Handler: h})
	u.serve(&dns.Server{Listener: l, Handler: h})
	return addr
}

var (
	sharedOnce sync.Once
	shared     *universe
)

// sharedUniverse is built once per test binary (key generation and
// servers) and used read-only by the parallel tests.
func sharedUniverse(t testing.TB) *universe {
	sharedOnce.Do(func() {
		shared = buildUniverse(&onceTB{TB: t}, fixtures(time.Now()), nil)
	})
	if shared == nil {
		t.Fatal("test DNS universe failed to start")
	}
	return shared
}

// onceTB keeps the shared universe alive past the test that built it.
type onceTB struct{ testing.TB }

func (o *onceTB) Cleanup(func()) {}
