package dns

// Integration with software nobody here wrote: BIND 9 (Debian's bind9)
// serves bind.test., signed at test time with dnssec-keygen and
// dnssec-signzone (NSEC3), delegated from the Go-served "test." zone; the
// same named is also a validating recursive resolver for the whole test
// universe. delv (bind9-dnsutils) then judges the DNSSEC chain of every
// fixture zone, and its verdict must match Vigie's.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

type bindEnv struct {
	dir    string
	cmd    *exec.Cmd
	u      *universe
	named  string // ip:port of named
	anchor string // delv anchor file
	err    error
}

var (
	bindOnce sync.Once
	bindE    *bindEnv
)

// startBind signs bind.test with BIND's tools, builds a universe that
// delegates it, and starts named. Built once, shared by the tests below.
func startBind(t *testing.T) *bindEnv {
	t.Helper()
	named := "/usr/sbin/named" // not on a non-root user's PATH on Debian
	if _, err := os.Stat(named); err != nil {
		named = checkstest.Need(t, "named")
	}
	keygen := checkstest.Need(t, "dnssec-keygen")
	signzone := checkstest.Need(t, "dnssec-signzone")
	bindOnce.Do(func() {
		bindE = &bindEnv{}
		bindE.err = setupBind(&onceTB{TB: t}, bindE, named, keygen, signzone)
	})
	if bindE.err != nil {
		t.Fatal(bindE.err)
	}
	return bindE
}

func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func setupBind(t testing.TB, e *bindEnv, named, keygen, signzone string) error {
	dir, err := os.MkdirTemp("", "vigie-bind-")
	if err != nil {
		return err
	}
	e.dir = dir
	ksk, err := run(keygen, "-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", dir, "bind.test")
	if err != nil {
		return err
	}
	zsk, err := run(keygen, "-q", "-a", "ECDSAP256SHA256", "-K", dir, "bind.test")
	if err != nil {
		return err
	}
	ksk, zsk = strings.TrimSpace(ksk), strings.TrimSpace(zsk)
	zone := `$TTL 300
@       IN SOA nsbind.test. hostmaster.bind.test. 2026112301 7200 3600 1209600 300
@       IN NS nsbind.test.
@       IN MX 10 mail
@       IN TXT "v=spf1 mx -all"
@       IN CAA 0 issue "letsencrypt.org"
_dmarc  IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@bind.test"
mail    IN A 192.0.2.25
www     IN A 192.0.2.80
$INCLUDE ` + filepath.Join(dir, ksk) + `.key
$INCLUDE ` + filepath.Join(dir, zsk) + `.key
`
	if err := os.WriteFile(filepath.Join(dir, "bind.test.db"), []byte(zone), 0o644); err != nil {
		return err
	}
	// NSEC3 without salt and 0 extra iterations (RFC 9276).
	if _, err := run(signzone, "-K", dir, "-d", dir, "-3", "-", "-H", "0", "-o", "bind.test",
		"-f", filepath.Join(dir, "bind.test.signed"), filepath.Join(dir, "bind.test.db"), filepath.Join(dir, ksk), filepath.Join(dir, zsk)); err != nil {
		return err
	}
	keyText, err := os.ReadFile(filepath.Join(dir, ksk+".key"))
	if err != nil {
		return err
	}
	var kskRR *dns.DNSKEY
	for _, line := range strings.Split(string(keyText), "\n") {
		if r, err := dns.NewRR(line); err == nil && r != nil {
			kskRR, _ = r.(*dns.DNSKEY)
		}
	}
	if kskRR == nil {
		return fmt.Errorf("no DNSKEY in %s.key", ksk)
	}
	deleg := []dns.RR{
		rr(t, "bind.test. 300 IN NS nsbind.test."),
		kskRR.ToDS(dns.SHA256),
	}
	provDS, err := signHostedChain(dir, keygen, signzone)
	if err != nil {
		return err
	}
	e.u = buildUniverse(t, fixtures(time.Now()), map[string][]dns.RR{
		"bind.test.": deleg,
		"prov.test.": {rr(t, "prov.test. 300 IN NS nsbind.test."), provDS},
	})
	e.named = net.JoinHostPort(ipBind, e.u.port)

	anchor := e.u.anchors[0].(*dns.DS)
	ta := fmt.Sprintf("trust-anchors {\n\t. static-ds %d %d %d \"%s\";\n};\n", anchor.KeyTag, anchor.Algorithm, anchor.DigestType, anchor.Digest)
	e.anchor = filepath.Join(dir, "anchor.conf")
	if err := os.WriteFile(e.anchor, []byte(ta), 0o644); err != nil {
		return err
	}
	hints := ". 3600000 IN NS ns.root.\nns.root. 3600000 IN A " + ipRoot + "\n"
	if err := os.WriteFile(filepath.Join(dir, "root.hints"), []byte(hints), 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf(`options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on port %[2]s { %[3]s; };
	listen-on-v6 { none; };
	port %[2]s;
	recursion yes;
	allow-recursion { any; };
	allow-query { any; };
	allow-transfer { none; };
	dnssec-validation yes;
	notify no;
	minimal-responses no;
};
controls { };
%[4]s
zone "." { type hint; file "%[1]s/root.hints"; };
zone "bind.test" { type primary; file "%[1]s/bind.test.signed"; };
zone "prov.test" { type primary; file "%[1]s/prov.test.signed"; };
zone "city.prov.test" { type primary; file "%[1]s/city.prov.test.signed"; };
zone "mairie.city.prov.test" { type primary; file "%[1]s/mairie.city.prov.test.signed"; };
`, dir, e.u.port, ipBind, ta)
	confPath := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	args := []string{"-g", "-4", "-c", confPath}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	cmd := exec.Command(named, args...)
	logf, _ := os.Create(filepath.Join(dir, "named.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	// named lives for the whole test binary; TestMain stops it.
	e.cmd = cmd
	go cmd.Wait()
	cl := client{dialer: &net.Dialer{}, timeout: 500 * time.Millisecond}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r, err := cl.exchange(context.Background(), e.named, newQuery("bind.test.", dns.TypeSOA, false, false))
		if err == nil && r.Authoritative {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "named.log"))
	cmd.Process.Kill()
	return fmt.Errorf("named did not start on %s:\n%s", e.named, log)
}

// hostedChain is a hosting provider's zone, a zone it delegates and a
// customer zone below that, all three served by the same named: asked for
// the customer's NS, named answers from the customer's zone, and asked for
// its DS, from city.prov.test (signed by it), a zone no server ever refers
// to. delv validates mairie.city.prov.test; so must Vigie.
var hostedChain = []struct{ origin, body string }{
	{"mairie.city.prov.test.", `@ IN NS nsbind.test.
@ IN MX 10 mail.bind.test.
@ IN TXT "v=spf1 -all"
_dmarc IN TXT "v=DMARC1; p=reject"
www IN A 192.0.2.80
`},
	{"city.prov.test.", "@ IN NS nsbind.test.\nmairie IN NS nsbind.test.\n"},
	{"prov.test.", "@ IN NS nsbind.test.\ncity IN NS nsbind.test.\n"},
}

// signHostedChain signs hostedChain from the bottom up, each parent carrying
// its child's DS, and returns the DS of prov.test. for the "test." zone.
func signHostedChain(dir, keygen, signzone string) (*dns.DS, error) {
	var childDS *dns.DS
	for _, z := range hostedChain {
		origin := strings.TrimSuffix(z.origin, ".")
		ksk, err := run(keygen, "-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", dir, origin)
		if err != nil {
			return nil, err
		}
		zsk, err := run(keygen, "-q", "-a", "ECDSAP256SHA256", "-K", dir, origin)
		if err != nil {
			return nil, err
		}
		ksk, zsk = strings.TrimSpace(ksk), strings.TrimSpace(zsk)
		text := "$TTL 300\n$ORIGIN " + z.origin + "\n@ IN SOA nsbind.test. hostmaster." + z.origin + " 2026113001 7200 3600 1209600 300\n" + z.body +
			"$INCLUDE " + filepath.Join(dir, ksk) + ".key\n$INCLUDE " + filepath.Join(dir, zsk) + ".key\n"
		if childDS != nil {
			text += childDS.String() + "\n"
		}
		db := filepath.Join(dir, origin+".db")
		if err := os.WriteFile(db, []byte(text), 0o644); err != nil {
			return nil, err
		}
		if _, err := run(signzone, "-K", dir, "-d", dir, "-3", "-", "-H", "0", "-o", origin,
			"-f", filepath.Join(dir, origin+".signed"), db, filepath.Join(dir, ksk), filepath.Join(dir, zsk)); err != nil {
			return nil, err
		}
		keyText, err := os.ReadFile(filepath.Join(dir, ksk+".key"))
		if err != nil {
			return nil, err
		}
		childDS = nil
		for _, line := range strings.Split(string(keyText), "\n") {
			if r, err := dns.NewRR(line); err == nil && r != nil {
				if k, ok := r.(*dns.DNSKEY); ok {
					childDS = k.ToDS(dns.SHA256)
				}
			}
		}
		if childDS == nil {
			return nil, fmt.Errorf("no DNSKEY in %s.key", ksk)
		}
	}
	return childDS, nil
}

// TestMain stops named (started once for the package's tests) and removes
// its files.
func TestMain(m *testing.M) {
	code := m.Run()
	if bindE != nil {
		if bindE.cmd != nil && bindE.cmd.Process != nil {
			bindE.cmd.Process.Kill()
		}
		if bindE.dir != "" {
			os.RemoveAll(bindE.dir)
		}
	}
	os.Exit(code)
}

// TestBindSignedZone runs the domain checks on the zone BIND serves and
// signs, through named as the resolver.
func TestBindSignedZone(t *testing.T) {
	t.Parallel()
	e := startBind(t)
	cfg := testConfig(e.u, "bind.test")
	cfg.Resolver = e.named
	got := runDomain(t, cfg, testHost())
	want := map[string]protocol.Status{
		"dns.ns-count": protocol.Fail, "dns.lame-delegation": protocol.Pass, "dns.soa-serial": protocol.Pass,
		"dns.dnssec-signed": protocol.Pass, "dns.dnssec-chain": protocol.Pass, "dns.dnssec-expiry": protocol.Pass,
		"dns.dnssec-algorithm": protocol.Pass, "dns.nsec": protocol.Pass,
		"dns.mx": protocol.Pass, "dns.spf": protocol.Pass, "dns.dmarc": protocol.Pass, "dns.caa": protocol.Pass,
	}
	for id, st := range want {
		if got[id].Status != st {
			t.Errorf("%s = %s (%s), want %s", id, got[id].Status, got[id].Evidence.EN, st)
		}
	}
	if s := got["dns.nsec"].Evidence.EN; !strings.Contains(s, "NSEC3") {
		t.Errorf("dns.nsec evidence %q does not name NSEC3", s)
	}
	if s := got["dns.dnssec-chain"].Evidence.EN; !strings.Contains(s, "test. → bind.test.") {
		t.Errorf("dns.dnssec-chain evidence %q", s)
	}
}

// TestBindResolver uses named as the host's resolver and DNS server: it
// validates (AD bit on a signed name, SERVFAIL on an expired one), refuses
// AXFR, and recurses for anyone (allow-recursion any): an open resolver.
func TestBindResolver(t *testing.T) {
	t.Parallel()
	e := startBind(t)
	port, _ := strconv.Atoi(e.u.port)
	base := testConfig(e.u, "bind.test")
	base.Resolver, base.ServerPort, base.loopbackIsOutside = e.named, port, true
	tests := []struct {
		signed string
		want   protocol.Status
		says   string
	}{
		{"valid.test.", protocol.Pass, "AD bit"},
		{"unsigned.test.", protocol.Pass, "SERVFAIL"}, // no AD there, but the bogus probe is refused
	}
	for _, tc := range tests {
		cfg := base
		cfg.SignedProbe, cfg.BogusProbe = tc.signed, "expired.test."
		h := testHost()
		h.Facts = checkstest.Facts{Listen: []checks.Listener{{Proto: "udp", Address: ipBind, Port: port}, {Proto: "tcp", Address: ipBind, Port: port}}}
		res := map[string]protocol.Result{}
		for _, r := range checks.RunAll(context.Background(), h, Checks(cfg), checks.RunOptions{Timeout: 15 * time.Second}) {
			if r.Target == "" {
				res[r.ID] = r
			}
		}
		if r := res["dns.resolver-validates"]; r.Status != tc.want || !strings.Contains(r.Evidence.EN, tc.says) {
			t.Errorf("resolver-validates with %s = %s %q, want %s saying %q", tc.signed, r.Status, r.Evidence.EN, tc.want, tc.says)
		}
		if r := res["dns.zone-transfer"]; r.Status != protocol.Pass || !strings.Contains(r.Evidence.EN, "bind.test.") {
			t.Errorf("zone-transfer = %s %q, want pass naming bind.test.", r.Status, r.Evidence.EN)
		}
		if r := res["dns.open-resolver"]; r.Status != protocol.Fail {
			t.Errorf("open-resolver = %s %q, want fail (allow-recursion any)", r.Status, r.Evidence.EN)
		}
	}
}

// TestDelvAgrees compares Vigie's DNSSEC verdict with delv's on every
// fixture zone, the BIND-signed one included.
func TestDelvAgrees(t *testing.T) {
	t.Parallel()
	delv := checkstest.Need(t, "delv")
	e := startBind(t)
	for _, zone := range []string{"valid.test", "expired.test", "dsbad.test", "unsigned.test", "soon.test", "sha1.test", "nods.test", "bind.test",
		"mairie.city.prov.test", "city.prov.test"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			theirs, out := delvVerdict(t, delv, e, zone)
			cfg := testConfig(e.u, zone)
			cfg.Resolver = e.named
			r := runDomain(t, cfg, testHost())["dns.dnssec-chain"]
			ours := map[protocol.Status]string{protocol.Pass: secSecure, protocol.Fail: secBogus, protocol.NotApplicable: secInsecure, protocol.Warn: secInsecure}[r.Status]
			t.Logf("delv: %s; Vigie: %s (%s)", theirs, r.Status, r.Evidence.EN)
			if ours != theirs {
				t.Errorf("Vigie says %s (%s: %s), delv says %s:\n%s", ours, r.Status, r.Evidence.EN, theirs, out)
			}
		})
	}
}

// TestHostedNameFindsItsZone: a name inside a zone served, with its parent
// and grandparent, by one server belongs to that zone (named by the SOA of
// the negative answer), not to the highest zone the server was asked for.
func TestHostedNameFindsItsZone(t *testing.T) {
	t.Parallel()
	e := startBind(t)
	cfg := testConfig(e.u, "www.mairie.city.prov.test")
	cfg.Resolver = e.named
	r := runDomain(t, cfg, testHost())["dns.dnssec-chain"]
	if !strings.Contains(r.Evidence.EN, "belongs to zone mairie.city.prov.test.") {
		t.Errorf("dns.dnssec-chain = %s %q, want the zone mairie.city.prov.test. named", r.Status, r.Evidence.EN)
	}
}

// delvVerdict asks delv, with the universe's root anchor (-a), for zone's
// SOA through named and reads its DNSSEC verdict.
func delvVerdict(t *testing.T, delv string, e *bindEnv, zone string) (verdict, out string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(e.named)
	out, _ = run(delv, "@"+ipBind, "-p", port, "-4", "-a", e.anchor, "+cdflag", "+root=.", zone, "SOA")
	switch {
	case strings.Contains(out, "fully validated"):
		return secSecure, out
	case strings.Contains(out, "unsigned answer"):
		return secInsecure, out
	case strings.Contains(out, "resolution failed"), strings.Contains(out, "validation fail"), strings.Contains(out, "no valid"):
		return secBogus, out
	}
	t.Fatalf("cannot read delv's verdict:\n%s", out)
	return "", out
}
