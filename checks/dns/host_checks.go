package dns

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

var whatResolvers = textf("résolveurs DNS de la machine", "the host's DNS resolvers")

// checkResolvers: the resolvers decide which sites the host reaches; one
// resolver alone is a single point of failure. CIS 9.2.
func checkResolvers(ctx context.Context, f *family, h *checks.Host) protocol.Result {
	rs, err := hostResolvers(ctx, h)
	if errors.Is(err, checks.ErrNotFound) {
		return checks.Skipped(textf("configuration des résolveurs introuvable (%s)", "resolver configuration not found (%s)", rs.Source))
	}
	if err != nil {
		return winps.Errored(whatResolvers, err)
	}
	servers := rs.Servers
	how := rs.Source
	if rs.Stub {
		servers, how = rs.Upstream, "systemd-resolved ("+rs.Source+" → 127.0.0.53)"
	}
	facts := map[string]any{"resolvers": servers, "source": how, "stub": rs.Stub}
	switch len(servers) {
	case 0:
		return checks.Failed(textf("aucun résolveur DNS configuré (%s)", "no DNS resolver configured (%s)", how), facts)
	case 1:
		return checks.Warned(textf("un seul résolveur DNS (%s, via %s) : s'il tombe, plus aucun nom ne se résout",
			"a single DNS resolver (%s, from %s): if it fails, no name resolves any more", servers[0], how), facts)
	}
	return checks.Passed(textf("résolveurs DNS : %s (via %s)", "DNS resolvers: %s (from %s)", strings.Join(servers, ", "), how), facts)
}

// checkResolverValidates: a resolver that does not validate DNSSEC hands
// forged answers to the host. The signed probe must come back with the AD
// bit; otherwise a deliberately broken name must give SERVFAIL. CIS 9.2.
func checkResolverValidates(ctx context.Context, f *family, h *checks.Host) protocol.Result {
	var servers []string
	if f.cfg.Resolver != "" {
		servers = []string{f.cfg.Resolver}
	} else {
		rs, err := hostResolvers(ctx, h)
		if errors.Is(err, checks.ErrNotFound) {
			return checks.Skipped(textf("configuration des résolveurs introuvable (%s)", "resolver configuration not found (%s)", rs.Source))
		}
		if err != nil {
			return checks.Errored(whatResolvers, err)
		}
		for _, s := range rs.Servers {
			servers = append(servers, net.JoinHostPort(s, "53"))
		}
	}
	if len(servers) == 0 {
		return checks.Skipped(textf("aucun résolveur configuré", "no resolver configured"))
	}
	cl := client{dialer: h.Dialer, timeout: f.cfg.QueryTimeout}
	srv := servers[0]
	ask := func(name string) (*dns.Msg, error) {
		m := newQuery(name, dns.TypeSOA, true, true)
		m.CheckingDisabled = false // the resolver must validate itself
		if dns.Fqdn(name) != "." {
			m.Question[0].Qtype = dns.TypeA
		}
		return cl.exchange(ctx, srv, m)
	}
	r, err := ask(f.cfg.SignedProbe)
	if err != nil {
		return checks.Errored(textf("interrogation du résolveur %s", "query to resolver %s", srv), err)
	}
	facts := map[string]any{"resolver": srv, "signed_probe": f.cfg.SignedProbe, "ad": r.AuthenticatedData}
	if r.Rcode != dns.RcodeSuccess {
		// A resolver that cannot resolve a correctly signed name tells
		// nothing about validation: it is broken (or filtered).
		return checks.Errored(textf("interrogation du résolveur %s", "query to resolver %s", srv),
			&RcodeError{Server: srv, Rcode: r.Rcode})
	}
	if r.AuthenticatedData {
		return checks.Passed(textf("le résolveur %s valide DNSSEC (réponse authentifiée, bit AD, pour %s)",
			"resolver %s validates DNSSEC (authenticated answer, AD bit, for %s)", srv, f.cfg.SignedProbe), facts)
	}
	b, err := ask(f.cfg.BogusProbe)
	if err != nil {
		return checks.Errored(textf("interrogation du résolveur %s", "query to resolver %s", srv), err)
	}
	facts["bogus_probe"], facts["bogus_rcode"] = f.cfg.BogusProbe, dns.RcodeToString[b.Rcode]
	if b.Rcode == dns.RcodeServerFailure {
		return checks.Passed(textf("le résolveur %s refuse le nom volontairement mal signé %s (SERVFAIL) : il valide DNSSEC",
			"resolver %s refuses the deliberately mis-signed name %s (SERVFAIL): it validates DNSSEC", srv, f.cfg.BogusProbe), facts)
	}
	return checks.Failed(textf("le résolveur %s ne valide pas DNSSEC : pas de bit AD pour %s et réponse %s pour le nom mal signé %s",
		"resolver %s does not validate DNSSEC: no AD bit for %s and answer %s for the mis-signed name %s",
		srv, f.cfg.SignedProbe, dns.RcodeToString[b.Rcode], f.cfg.BogusProbe), facts)
}

// localServer finds the addresses from which to test a DNS server running
// on this host: the non-loopback addresses it listens on, or the host's
// non-loopback addresses when it listens on a wildcard.
func localServer(ctx context.Context, f *family, h *checks.Host) (outside []netip.Addr, listening bool, skip *protocol.Result) {
	ls, err := h.Facts.Listeners(ctx)
	if err != nil {
		r := checks.Errored(textf("ports en écoute", "listening ports"), err)
		return nil, false, &r
	}
	wildcard := false
	for _, l := range ls {
		if l.Port != f.cfg.ServerPort {
			continue
		}
		listening = true
		a, err := netip.ParseAddr(l.Address)
		if err != nil || a.IsUnspecified() {
			wildcard = true
			continue
		}
		if f.outside(a) && !slices.Contains(outside, a) {
			outside = append(outside, a)
		}
	}
	if !listening {
		r := checks.Skipped(textf("aucun serveur DNS sur cette machine (port %d fermé)", "no DNS server on this host (port %d closed)", f.cfg.ServerPort))
		return nil, false, &r
	}
	if wildcard {
		as, err := f.cfg.LocalAddrs()
		if err == nil {
			for _, a := range as {
				if f.outside(a) && !slices.Contains(outside, a) {
					outside = append(outside, a)
				}
			}
		}
	}
	if len(outside) == 0 {
		r := checks.Skipped(textf("un serveur DNS écoute sur le port %d mais la machine n'a pas d'adresse hors boucle locale d'où le tester",
			"a DNS server listens on port %d but the host has no non-loopback address to test it from", f.cfg.ServerPort))
		return nil, true, &r
	}
	return outside, true, nil
}

func (f *family) outside(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return f.cfg.loopbackIsOutside
	}
	return a.IsValid() && !a.IsLinkLocalUnicast() && !a.IsUnspecified()
}

// openProbe is the outside name an open resolver would resolve.
const openProbe = "example.com."

// checkOpenResolver: a DNS server that recurses for anyone is used to
// amplify denial-of-service attacks and to poison its cache. The test asks
// from one of the host's own non-loopback addresses. CIS 4.1, 4.4.
func checkOpenResolver(ctx context.Context, f *family, h *checks.Host) protocol.Result {
	addrs, _, skip := localServer(ctx, f, h)
	if skip != nil {
		return *skip
	}
	cl := client{dialer: h.Dialer, timeout: f.cfg.QueryTimeout}
	var open, closed []string
	for _, a := range addrs {
		srv := net.JoinHostPort(a.String(), fmt.Sprint(f.cfg.ServerPort))
		m := newQuery(openProbe, dns.TypeA, true, false)
		r, err := cl.exchange(ctx, srv, m)
		if err != nil {
			closed = append(closed, srv+" ("+err.Error()+")")
			continue
		}
		if r.RecursionAvailable && (r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError) && !r.Authoritative {
			open = append(open, srv)
		} else {
			closed = append(closed, srv+" ("+dns.RcodeToString[r.Rcode]+")")
		}
	}
	facts := map[string]any{"recursive": open, "refused": closed}
	if len(open) == 0 {
		return checks.Passed(textf("le serveur DNS local refuse la récursion pour %s depuis %s", "the local DNS server refuses recursion for %s from %s",
			openProbe, strings.Join(closed, ", ")), facts)
	}
	var public []string
	for _, s := range open {
		ap, _ := netip.ParseAddrPort(s)
		if !ap.Addr().IsPrivate() {
			public = append(public, s)
		}
	}
	if len(public) == 0 {
		return checks.Warned(textf("le serveur DNS local résout des noms extérieurs pour les clients de %s (adresses privées : normal pour un résolveur interne, à condition que le port 53 ne soit pas exposé sur Internet)",
			"the local DNS server resolves outside names for clients at %s (private addresses: normal for an internal resolver, as long as port 53 is not exposed to the Internet)",
			strings.Join(open, ", ")), facts)
	}
	return checks.Failed(textf("résolveur ouvert : le serveur DNS local résout des noms extérieurs pour les clients de %s",
		"open resolver: the local DNS server resolves outside names for clients at %s", strings.Join(public, ", ")), facts)
}

var (
	bindZone = regexp.MustCompile(`(?m)^\s*zone\s+"([^"]+)"`)
	knotZone = regexp.MustCompile(`(?m)^\s*-\s*domain:\s*"?([A-Za-z0-9._-]+)"?`)
)

// localZones lists the zones named in the local DNS server's configuration
// (BIND, Knot), so that AXFR is tried on them as well as on the configured
// domains.
func localZones(h *checks.Host) []string {
	var out []string
	for _, p := range []string{"etc/bind/named.conf.local", "etc/bind/named.conf", "etc/named.conf", "etc/knot/knot.conf"} {
		data, err := fs.ReadFile(h.FS, p)
		if err != nil {
			continue
		}
		re := bindZone
		if strings.Contains(p, "knot") {
			re = knotZone
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			z := strings.ToLower(dns.Fqdn(m[1]))
			switch z {
			case ".", "localhost.", "0.in-addr.arpa.", "127.in-addr.arpa.", "255.in-addr.arpa.":
				continue
			}
			out = append(out, z)
		}
	}
	return out
}

// checkZoneTransfer: a zone transfer (AXFR) open to anyone hands over the
// whole list of the entity's names and addresses, a map for attackers.
// Asked from a non-loopback address of the host. CIS 4.1.
func checkZoneTransfer(ctx context.Context, f *family, h *checks.Host) protocol.Result {
	addrs, _, skip := localServer(ctx, f, h)
	if skip != nil {
		return *skip
	}
	var zones []string
	for _, d := range f.cfg.Domains {
		zones = append(zones, strings.ToLower(dns.Fqdn(strings.TrimSpace(d))))
	}
	zones = sortedUnique(append(zones, localZones(h)...))
	cl := client{dialer: h.Dialer, timeout: f.cfg.QueryTimeout}
	var allowed, refused []string
	for _, a := range addrs {
		srv := net.JoinHostPort(a.String(), fmt.Sprint(f.cfg.ServerPort))
		for _, z := range zones {
			soa, err := cl.exchange(ctx, srv, newQuery(z, dns.TypeSOA, false, false))
			if err != nil || !soa.Authoritative || len(answers(soa, z, dns.TypeSOA)) == 0 {
				continue // not a zone this server serves
			}
			ok, err := axfrAllowed(ctx, cl, srv, z)
			if err != nil {
				refused = append(refused, z+" @"+srv+" ("+err.Error()+")")
			} else if ok {
				allowed = append(allowed, z+" @"+srv)
			} else {
				refused = append(refused, z+" @"+srv)
			}
		}
	}
	facts := map[string]any{"allowed": allowed, "refused": refused, "zones_tried": zones}
	if len(allowed)+len(refused) == 0 {
		return checks.Skipped(textf("le serveur DNS local ne fait autorité pour aucune des zones connues (%s)",
			"the local DNS server is authoritative for none of the known zones (%s)", strings.Join(zones, ", ")))
	}
	if len(allowed) > 0 {
		return checks.Failed(textf("transfert de zone (AXFR) accepté depuis une adresse quelconque : %s", "zone transfer (AXFR) accepted from an arbitrary address: %s",
			strings.Join(allowed, ", ")), facts)
	}
	return checks.Passed(textf("transfert de zone (AXFR) refusé : %s", "zone transfer (AXFR) refused: %s", strings.Join(refused, ", ")), facts)
}

// axfrAllowed starts an AXFR over TCP and reads the first message only: a
// transfer that begins with the zone's SOA is allowed.
func axfrAllowed(ctx context.Context, cl client, srv, zone string) (bool, error) {
	m := new(dns.Msg)
	m.SetAxfr(zone)
	r, err := cl.exchangeNet(ctx, "tcp", srv, m)
	if err != nil {
		return false, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return false, nil
	}
	return len(r.Answer) > 0 && r.Answer[0].Header().Rrtype == dns.TypeSOA, nil
}
