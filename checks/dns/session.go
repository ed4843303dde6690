package dns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
)

// collectTimeout bounds one shared collection (a walk, a chain validation):
// it runs detached from the first check that asked, so that the checks of a
// domain can share it, and must therefore end on its own.
const collectTimeout = 15 * time.Second

// sessionTTL is how long a domain's answers are reused: long enough for one
// scan, short enough that a long-running agent never judges stale answers.
const sessionTTL = 2 * time.Minute

// family holds the state the checks of one Checks() call share: one session
// per (host, domain).
type family struct {
	cfg     Config
	anchors []dns.RR
	hints   []string

	mu       sync.Mutex
	sessions map[sessionKey]*session
}

type sessionKey struct {
	h      *checks.Host
	domain string
}

func (f *family) session(h *checks.Host, domain string) *session {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := sessionKey{h, domain}
	if s, ok := f.sessions[k]; ok && time.Since(s.created) < sessionTTL {
		return s
	}
	if f.sessions == nil {
		f.sessions = map[sessionKey]*session{}
	}
	for k, s := range f.sessions { // drop expired sessions
		if time.Since(s.created) >= sessionTTL {
			delete(f.sessions, k)
		}
	}
	s := &session{f: f, h: h, domain: domain, created: time.Now(),
		cl:    client{dialer: h.Dialer, timeout: f.cfg.QueryTimeout},
		calls: map[string]*call{}}
	f.sessions[k] = s
	return s
}

// session is one domain as seen from one host: every query and derived
// collection is memoised so that the fifteen checks of a domain send each
// query once.
type session struct {
	f       *family
	h       *checks.Host
	domain  string
	created time.Time
	cl      client

	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	v    any
	err  error
}

// do runs fn once per key. The first caller starts it detached from its own
// context (bounded by collectTimeout); every caller waits for the result or
// for its own context to end.
func (s *session) do(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	s.mu.Lock()
	c, ok := s.calls[key]
	if !ok {
		c = &call{done: make(chan struct{})}
		s.calls[key] = c
		go func() {
			defer close(c.done)
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), collectTimeout)
			defer cancel()
			defer func() {
				if p := recover(); p != nil {
					c.err = fmt.Errorf("internal error: %v", p)
				}
			}()
			c.v, c.err = fn(cctx)
		}()
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.v, c.err
	case <-ctx.Done():
		return nil, ErrTimeout
	}
}

func memo[T any](ctx context.Context, s *session, key string, fn func(context.Context) (T, error)) (T, error) {
	v, err := s.do(ctx, key, func(ctx context.Context) (any, error) { return fn(ctx) })
	t, _ := v.(T)
	return t, err
}

// query asks one server once (memoised).
func (s *session) query(ctx context.Context, server, name string, qtype uint16, rd bool) (*dns.Msg, error) {
	key := fmt.Sprintf("q|%s|%s|%d|%t", server, dns.CanonicalName(name), qtype, rd)
	return memo(ctx, s, key, func(ctx context.Context) (*dns.Msg, error) {
		return s.cl.exchange(ctx, server, newQuery(name, qtype, rd, true))
	})
}

// ask tries servers in turn until one gives a usable answer (NOERROR or
// NXDOMAIN); at most maxTries servers are tried so that a set of
// unreachable servers cannot eat the whole deadline.
func (s *session) ask(ctx context.Context, servers []string, name string, qtype uint16, rd bool) (*dns.Msg, string, error) {
	const maxTries = 3
	if len(servers) == 0 {
		return nil, "", ErrNoServer
	}
	var last error
	for i, srv := range servers {
		if i == maxTries || ctx.Err() != nil {
			break
		}
		r, err := s.query(ctx, srv, name, qtype, rd)
		if err != nil {
			last = err
			continue
		}
		if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
			last = &RcodeError{Server: srv, Rcode: r.Rcode}
			continue
		}
		return r, srv, nil
	}
	return nil, "", last
}

// resolvers returns the recursive resolvers to use: the configured one or
// those of the host.
func (s *session) resolvers(ctx context.Context) ([]string, error) {
	return memo(ctx, s, "resolvers", func(ctx context.Context) ([]string, error) {
		if s.f.cfg.Resolver != "" {
			return []string{s.f.cfg.Resolver}, nil
		}
		rs, err := hostResolvers(ctx, s.h)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, r := range rs.Servers {
			out = append(out, net.JoinHostPort(r, "53"))
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no resolver configured on the host (%s)", rs.Source)
		}
		return out, nil
	})
}

// resolve asks the recursive resolver (with CD set: Vigie judges DNSSEC
// itself, and wants to see the records even of a bogus zone).
func (s *session) resolve(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	rs, err := s.resolvers(ctx)
	if err != nil {
		return nil, err
	}
	r, _, err := s.ask(ctx, rs, name, qtype, true)
	return r, err
}

// txt returns the TXT strings (each record's strings joined) at name; a
// missing name or type is an empty list, not an error.
func (s *session) txt(ctx context.Context, name string) ([]string, error) {
	r, err := s.resolve(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range answers(r, name, dns.TypeTXT) {
		out = append(out, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return out, nil
}

// addrs resolves a name server's addresses through the resolver, IPv4 first.
func (s *session) addrs(ctx context.Context, name string) ([]netip.Addr, error) {
	var out []netip.Addr
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		r, err := s.resolve(ctx, name, t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, addrsIn(r.Answer, name)...)
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// answers returns the records of type qtype owned by name in the answer
// section, following one CNAME level.
func answers(r *dns.Msg, name string, qtype uint16) []dns.RR {
	if r == nil {
		return nil
	}
	owner := dns.CanonicalName(name)
	var out []dns.RR
	for i := 0; i < 8; i++ { // bounded CNAME chain
		next := ""
		for _, rr := range r.Answer {
			h := rr.Header()
			if dns.CanonicalName(h.Name) != owner {
				continue
			}
			if h.Rrtype == qtype {
				out = append(out, rr)
			} else if c, ok := rr.(*dns.CNAME); ok && qtype != dns.TypeCNAME {
				next = dns.CanonicalName(c.Target)
			}
		}
		if len(out) > 0 || next == "" {
			break
		}
		owner = next
	}
	return out
}

func addrsIn(rrs []dns.RR, name string) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		if dns.CanonicalName(rr.Header().Name) != dns.CanonicalName(name) {
			continue
		}
		switch v := rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
				out = append(out, a)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// sigsFor returns the RRSIGs in rrs covering type t at name.
func sigsFor(rrs []dns.RR, name string, t uint16) []*dns.RRSIG {
	var out []*dns.RRSIG
	for _, rr := range rrs {
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == t && dns.CanonicalName(s.Hdr.Name) == dns.CanonicalName(name) {
			out = append(out, s)
		}
	}
	return out
}

func sortedUnique(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}
