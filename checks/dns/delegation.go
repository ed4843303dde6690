package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

var errBadDomain = errors.New("not a valid domain name")

var whatDeleg = textf("délégation du domaine", "delegation of the domain")

// zoneOf returns the domain's delegation, or a result explaining why the
// checks that need it cannot run.
func zoneOf(ctx context.Context, s *session) (*delegation, *protocol.Result) {
	d, err := s.delegation(ctx)
	if err != nil {
		r := checks.Errored(whatDeleg, err)
		return nil, &r
	}
	if !d.Apex {
		r := checks.Skipped(textf("%s n'est pas une zone DNS déléguée (il fait partie de la zone %s) : les vérifications de délégation portent sur %s",
			"%s is not a delegated DNS zone (it belongs to zone %s): delegation checks apply to %s", s.domain, d.zone().Zone, d.zone().Zone))
		return nil, &r
	}
	return d, nil
}

// checkNSCount: a zone with one name server disappears with it. Two at least
// (RFC 1034 §4.1, RFC 2182). NIS2 21(2)(c), CIS 4.1.
func checkNSCount(ctx context.Context, s *session) protocol.Result {
	d, r := zoneOf(ctx, s)
	if r != nil {
		return *r
	}
	ns := d.zone().NS
	facts := map[string]any{"ns": ns, "ns_count": len(ns), "source": source(d)}
	if len(ns) >= 2 {
		return checks.Passed(textf("%d serveurs de noms : %s", "%d name servers: %s", len(ns), strings.Join(ns, ", ")), facts)
	}
	return checks.Failed(textf("un seul serveur de noms (%s) : s'il tombe, le domaine (site, messagerie) devient injoignable",
		"a single name server (%s): if it fails, the domain (web site, mail) becomes unreachable", strings.Join(ns, ", ")), facts)
}

func source(d *delegation) string {
	if d.WalkErr != nil {
		return "resolver"
	}
	return "parent"
}

// prefixOf groups an address into its network: /24 for IPv4, /48 for IPv6.
func prefixOf(a netip.Addr) netip.Prefix {
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p
}

// checkNSDiversity: name servers in one network share one outage (RFC 2182
// §3.1). At least two /24 (IPv4) or /48 (IPv6) networks. NIS2 21(2)(c).
func checkNSDiversity(ctx context.Context, s *session) protocol.Result {
	d, r := zoneOf(ctx, s)
	if r != nil {
		return *r
	}
	nets := map[string][]string{}
	var order []string
	for _, na := range nsAddrs(d.zone()) {
		if !na.Addr.IsValid() {
			continue
		}
		p := prefixOf(na.Addr).String()
		if _, ok := nets[p]; !ok {
			order = append(order, p)
		}
		nets[p] = append(nets[p], na.Name)
	}
	facts := map[string]any{"networks": order, "network_count": len(order)}
	switch {
	case len(order) == 0:
		return checks.Errored(whatDeleg, fmt.Errorf("no address found for the name servers %v", d.zone().NS))
	case len(order) >= 2:
		return checks.Passed(textf("serveurs de noms répartis sur %d réseaux : %s", "name servers spread over %d networks: %s",
			len(order), strings.Join(order, ", ")), facts)
	}
	return checks.Failed(textf("tous les serveurs de noms sont dans le même réseau %s : une seule panne réseau coupe le domaine",
		"every name server is in the same network %s: one network outage takes the domain down", order[0]), facts)
}

// nsProbe is one name server address asked for the zone's SOA.
type nsProbe struct {
	Name   string
	Addr   netip.Addr
	AA     bool
	Rcode  int
	Serial uint32
	HasSOA bool
	Err    error
}

// probeNS asks every name server address of the zone for its SOA, without
// recursion, in parallel.
func (s *session) probeNS(ctx context.Context) ([]nsProbe, error) {
	return memo(ctx, s, "probe-ns", func(ctx context.Context) ([]nsProbe, error) {
		d, err := s.delegation(ctx)
		if err != nil {
			return nil, err
		}
		zc := d.zone()
		list := nsAddrs(zc)
		out := make([]nsProbe, len(list))
		var wg sync.WaitGroup
		for i, na := range list {
			out[i] = nsProbe{Name: na.Name, Addr: na.Addr}
			if !na.Addr.IsValid() {
				out[i].Err = fmt.Errorf("%s has no address", na.Name)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := &out[i]
				r, err := s.query(ctx, net.JoinHostPort(na.Addr.String(), d.Port), zc.Zone, dns.TypeSOA, false)
				if err != nil {
					p.Err = err
					return
				}
				p.AA, p.Rcode = r.Authoritative, r.Rcode
				for _, rr := range answers(r, zc.Zone, dns.TypeSOA) {
					p.Serial, p.HasSOA = rr.(*dns.SOA).Serial, true
				}
			}()
		}
		wg.Wait()
		return out, nil
	})
}

func (p nsProbe) label() string {
	if p.Addr.IsValid() {
		return p.Name + " (" + p.Addr.String() + ")"
	}
	return p.Name
}

// problem says why a probe shows a lame server, "" when it answered well.
func (p nsProbe) problem() protocol.Text {
	switch {
	case p.Err != nil && errors.Is(p.Err, ErrTimeout):
		return textf("ne répond pas", "does not answer")
	case p.Err != nil:
		return textf("erreur : %v", "error: %v", p.Err)
	case p.Rcode != dns.RcodeSuccess:
		return textf("répond %s", "answers %s", dns.RcodeToString[p.Rcode])
	case !p.AA:
		return textf("répond sans autorité (bit aa absent) : délégation boiteuse", "answers without authority (no aa bit): lame delegation")
	case !p.HasSOA:
		return textf("ne donne pas le SOA de la zone", "does not give the zone's SOA")
	}
	return protocol.Text{}
}

// checkLame: a delegated name server that does not answer for the zone
// (lame delegation, RFC 8499) slows or breaks resolution. NIS2 21(2)(c).
func checkLame(ctx context.Context, s *session) protocol.Result {
	if _, r := zoneOf(ctx, s); r != nil {
		return *r
	}
	probes, err := s.probeNS(ctx)
	if err != nil {
		return checks.Errored(whatDeleg, err)
	}
	var bad []string
	var badEN []string
	ok := 0
	for _, p := range probes {
		if why := p.problem(); why.FR != "" {
			bad = append(bad, p.label()+" "+why.FR)
			badEN = append(badEN, p.label()+" "+why.EN)
			continue
		}
		ok++
	}
	facts := map[string]any{"servers": len(probes), "authoritative": ok, "lame": badEN}
	if len(bad) == 0 {
		return checks.Passed(textf("les %d adresses de serveurs de noms répondent avec autorité", "all %d name server addresses answer authoritatively", ok), facts)
	}
	return checks.Failed(protocol.Text{
		FR: fmt.Sprintf("%d sur %d adresses de serveurs de noms en défaut : %s", len(bad), len(probes), strings.Join(bad, " ; ")),
		EN: fmt.Sprintf("%d of %d name server addresses at fault: %s", len(bad), len(probes), strings.Join(badEN, "; ")),
	}, facts)
}

// checkSOASerial: name servers giving different serials serve different
// versions of the zone (a secondary no longer updated). NIS2 21(2)(c).
func checkSOASerial(ctx context.Context, s *session) protocol.Result {
	if _, r := zoneOf(ctx, s); r != nil {
		return *r
	}
	probes, err := s.probeNS(ctx)
	if err != nil {
		return checks.Errored(whatDeleg, err)
	}
	serials := map[uint32][]string{}
	var order []uint32
	n := 0
	for _, p := range probes {
		if !p.HasSOA || !p.AA {
			continue
		}
		n++
		if _, ok := serials[p.Serial]; !ok {
			order = append(order, p.Serial)
		}
		serials[p.Serial] = append(serials[p.Serial], p.label())
	}
	facts := map[string]any{"serials": order, "answering": n}
	switch {
	case n == 0:
		return checks.Errored(whatDeleg, fmt.Errorf("no name server answered authoritatively with a SOA"))
	case len(order) == 1:
		return checks.Passed(textf("numéro de série %d identique sur les %d serveurs qui répondent", "serial %d identical on the %d answering servers", order[0], n), facts)
	}
	var parts []string
	for _, sr := range order {
		parts = append(parts, fmt.Sprintf("%d: %s", sr, strings.Join(serials[sr], ", ")))
	}
	return checks.Warned(textf("numéros de série différents selon le serveur (%s) : un serveur ne reçoit plus les mises à jour",
		"serials differ between servers (%s): one server no longer receives updates", strings.Join(parts, " ; ")), facts)
}
