package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

// ErrNXDomain means the domain does not exist in the DNS.
var ErrNXDomain = errors.New("the domain does not exist (NXDOMAIN)")

// cut is a zone cut met on the way down from the root: the zone's name, its
// name servers as delegated by the parent, and the addresses to ask.
type cut struct {
	Zone    string
	NS      []string
	Glue    map[string][]netip.Addr // addresses of each name server
	Servers []string                // ip:port
	// Recursive marks a cut found through the resolver rather than by
	// asking the zone's servers: Servers are then resolvers.
	Recursive bool
}

// delegation is the chain of zone cuts from the root to the domain's zone.
type delegation struct {
	Cuts []cut
	// Apex is true when the domain is itself a zone (the last cut).
	Apex bool
	// Port is the port the domain's servers are asked on (53 outside tests).
	Port string
	// WalkErr is why the walk from the root failed, when the cuts were then
	// found through the resolver instead.
	WalkErr error
}

// zone returns the domain's own zone cut (the last one).
func (d *delegation) zone() cut { return d.Cuts[len(d.Cuts)-1] }

// delegation walks from the root hints down to the domain, following
// referrals as a resolver would, so that the NS set seen is the parent's.
// When the root cannot be reached (outbound DNS filtered), the zone cuts are
// found through the resolver instead and WalkErr says why.
func (s *session) delegation(ctx context.Context) (*delegation, error) {
	return memo(ctx, s, "delegation", func(ctx context.Context) (*delegation, error) {
		d, err := s.walk(ctx)
		if err == nil || errors.Is(err, ErrNXDomain) {
			return d, err
		}
		rd, rerr := s.cutsViaResolver(ctx)
		if rerr != nil {
			return nil, fmt.Errorf("walk from the root: %w; through the resolver: %v", err, rerr)
		}
		rd.WalkErr = err
		return rd, nil
	})
}

func (s *session) walk(ctx context.Context) (*delegation, error) {
	hints := s.f.hints
	_, port, err := net.SplitHostPort(hints[0])
	if err != nil {
		return nil, fmt.Errorf("root hint %q: %w", hints[0], err)
	}
	domain := dns.CanonicalName(s.domain)
	cur := cut{Zone: ".", Servers: hints}
	d := &delegation{Cuts: []cut{cur}, Port: port}
	for range 32 { // a name has at most 127 labels; real chains are short
		r, srv, err := s.ask(ctx, cur.Servers, domain, dns.TypeNS, false)
		if err != nil {
			return nil, fmt.Errorf("servers of zone %s: %w", cur.Zone, err)
		}
		if r.Rcode == dns.RcodeNameError {
			return nil, fmt.Errorf("%w (answered by %s for zone %s)", ErrNXDomain, srv, cur.Zone)
		}
		if ns := nsNames(r.Answer, domain); len(ns) > 0 && r.Authoritative {
			// The server also serves the domain's zone: the answer is its NS
			// set. It may serve zones in between too (a hosting provider's
			// own zone and its customers'), which it then never refers to:
			// find them, or a DS signed by one of them is taken for the
			// parent's and the chain looks broken.
			if cur.Zone != domain {
				hidden, err := s.hiddenCuts(ctx, cur, domain, port)
				if err != nil {
					return nil, err
				}
				d.Cuts = append(d.Cuts, hidden...)
				c, err := s.newCut(ctx, domain, ns, r.Extra, port)
				if err != nil {
					return nil, err
				}
				d.Cuts = append(d.Cuts, c)
			}
			d.Apex = true
			return d, nil
		}
		owner, ns := referral(r.Ns, cur.Zone, domain)
		if owner != "" {
			c, err := s.newCut(ctx, owner, ns, r.Extra, port)
			if err != nil {
				return nil, err
			}
			d.Cuts = append(d.Cuts, c)
			if owner == domain {
				d.Apex = true
				return d, nil
			}
			cur = c
			continue
		}
		if r.Authoritative {
			// No data: the domain is a name inside a zone, not a zone. The
			// SOA of the negative answer names that zone (RFC 2308 §3),
			// which may lie below cur on the same server.
			if z := soaOwner(r.Ns); z != "" && z != cur.Zone && dns.IsSubDomain(cur.Zone, z) && dns.IsSubDomain(z, domain) {
				hidden, err := s.hiddenCuts(ctx, cur, dns.Fqdn("x."+z), port)
				if err != nil {
					return nil, err
				}
				d.Cuts = append(d.Cuts, hidden...)
			}
			return d, nil
		}
		return nil, fmt.Errorf("%s gave neither an authoritative answer nor a referral for %s (lame server of zone %s)", srv, domain, cur.Zone)
	}
	return nil, fmt.Errorf("delegation chain for %s too long", domain)
}

// hiddenCuts finds the zones strictly between cur.Zone and name that cur's
// servers host themselves, so never refer to. A zone's apex is where the
// server answers an SOA query authoritatively with an SOA owned by that very
// name; the names in between are asked from the top down. Each cut found
// keeps the servers that answered (its NS set, read from them, is then
// resolved as for a referral when it has addresses).
func (s *session) hiddenCuts(ctx context.Context, cur cut, name, port string) ([]cut, error) {
	labels := dns.SplitDomainName(name)
	top := dns.CountLabel(cur.Zone)
	var out []cut
	for i := len(labels) - top - 1; i >= 1; i-- {
		n := dns.Fqdn(joinLabels(labels[i:]))
		r, _, err := s.ask(ctx, cur.Servers, n, dns.TypeSOA, false)
		if err != nil {
			return nil, fmt.Errorf("SOA of %s: %w", n, err)
		}
		if !r.Authoritative || len(answers(r, n, dns.TypeSOA)) == 0 {
			continue
		}
		c := cut{Zone: n, Glue: map[string][]netip.Addr{}, Servers: cur.Servers}
		if nr, _, err := s.ask(ctx, cur.Servers, n, dns.TypeNS, false); err == nil {
			if ns := nsNames(nr.Answer, n); len(ns) > 0 {
				if full, err := s.newCut(ctx, n, ns, nr.Extra, port); err == nil {
					c = full
				} else {
					c.NS = ns
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// soaOwner returns the owner of the first SOA record in rrs, or "".
func soaOwner(rrs []dns.RR) string {
	for _, rr := range rrs {
		if soa, ok := rr.(*dns.SOA); ok {
			return dns.CanonicalName(soa.Hdr.Name)
		}
	}
	return ""
}

// newCut builds a cut from a referral or NS answer, taking addresses from
// the glue and resolving the others.
func (s *session) newCut(ctx context.Context, zone string, ns []string, extra []dns.RR, port string) (cut, error) {
	c := cut{Zone: zone, NS: ns, Glue: map[string][]netip.Addr{}}
	var v4, v6 []string
	for _, n := range ns {
		addrs := addrsIn(extra, n)
		if len(addrs) == 0 {
			addrs, _ = s.addrs(ctx, n) // unresolvable NS: judged by the checks
		}
		c.Glue[n] = addrs
		for _, a := range addrs {
			hp := net.JoinHostPort(a.String(), port)
			if a.Is4() {
				v4 = append(v4, hp)
			} else {
				v6 = append(v6, hp)
			}
		}
	}
	c.Servers = append(v4, v6...) // IPv4 first: many small sites lack IPv6
	if len(c.Servers) == 0 {
		return c, fmt.Errorf("no address for any name server of %s (%v)", zone, ns)
	}
	return c, nil
}

// nsNames returns the NS targets owned by name in rrs, sorted.
func nsNames(rrs []dns.RR, name string) []string {
	var out []string
	for _, rr := range rrs {
		if ns, ok := rr.(*dns.NS); ok && dns.CanonicalName(ns.Hdr.Name) == name {
			out = append(out, dns.CanonicalName(ns.Ns))
		}
	}
	return sortedUnique(out)
}

// referral finds, in an authority section, an NS set for a zone strictly
// below zone and at or above domain.
func referral(auth []dns.RR, zone, domain string) (string, []string) {
	for _, rr := range auth {
		ns, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		owner := dns.CanonicalName(ns.Hdr.Name)
		if owner != zone && dns.IsSubDomain(zone, owner) && dns.IsSubDomain(owner, domain) {
			return owner, nsNames(auth, owner)
		}
	}
	return "", nil
}

// cutsViaResolver finds the zone cuts by asking the resolver for the NS set
// of each ancestor of the domain. Used when the root servers cannot be
// reached directly.
func (s *session) cutsViaResolver(ctx context.Context) (*delegation, error) {
	rs, err := s.resolvers(ctx)
	if err != nil {
		return nil, err
	}
	domain := dns.CanonicalName(s.domain)
	_, port, err := net.SplitHostPort(s.f.hints[0])
	if err != nil {
		return nil, fmt.Errorf("root hint %q: %w", s.f.hints[0], err)
	}
	d := &delegation{Cuts: []cut{{Zone: ".", Servers: rs, Recursive: true}}, Port: port}
	labels := dns.SplitDomainName(domain)
	for i := len(labels) - 1; i >= 0; i-- {
		name := dns.Fqdn(joinLabels(labels[i:]))
		r, err := s.resolve(ctx, name, dns.TypeNS)
		if err != nil {
			return nil, fmt.Errorf("NS of %s: %w", name, err)
		}
		if r.Rcode == dns.RcodeNameError {
			return nil, fmt.Errorf("%w (%s, through the resolver)", ErrNXDomain, name)
		}
		ns := nsNames(answers(r, name, dns.TypeNS), name)
		if len(ns) == 0 {
			continue
		}
		c := cut{Zone: name, NS: ns, Glue: map[string][]netip.Addr{}, Servers: rs, Recursive: true}
		for _, n := range ns {
			c.Glue[n], _ = s.addrs(ctx, n)
		}
		d.Cuts = append(d.Cuts, c)
		if name == domain {
			d.Apex = true
		}
	}
	return d, nil
}

func joinLabels(ls []string) string {
	out := ""
	for i, l := range ls {
		if i > 0 {
			out += "."
		}
		out += l
	}
	return out
}

// nsAddrs lists every address of every name server of the zone, sorted by
// name then address, for the per-server checks.
func nsAddrs(c cut) []nsAddr {
	var out []nsAddr
	names := slices.Clone(c.NS)
	slices.Sort(names)
	for _, n := range names {
		if len(c.Glue[n]) == 0 {
			out = append(out, nsAddr{Name: n})
		}
		for _, a := range c.Glue[n] {
			out = append(out, nsAddr{Name: n, Addr: a})
		}
	}
	return out
}

type nsAddr struct {
	Name string
	Addr netip.Addr // invalid when the name has no address
}
