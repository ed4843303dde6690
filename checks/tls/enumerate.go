package tls

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
)

// enumerate finds every suite version v accepts, in the server's order:
// offer all, remove the one chosen, repeat until the server refuses (the
// method of sslscan and testssl.sh, one connection per accepted suite).
func (s *scanner) enumerate(ctx context.Context, v uint16) (*VersionScan, *flight, error) {
	remaining := suitesFor(v)
	vs := &VersionScan{Version: v, Kx: map[uint16]kxInfo{}}
	var firstFlight *flight
	for len(remaining) > 0 {
		f, err := s.hello(ctx, helloParams{Version: v, Suites: remaining})
		if err != nil {
			var pe *probeError
			if errors.As(err, &pe) && (pe.Kind == "closed" || pe.Kind == "malformed" && len(vs.Suites) == 0) {
				break // a refusal without an alert
			}
			return result(vs), firstFlight, err
		}
		if f.Hello == nil || f.Hello.Version != v {
			break // alert, or the server answered with another version
		}
		id := f.Hello.Suite
		i := slices.Index(remaining, id)
		if i < 0 {
			return result(vs), firstFlight, fmt.Errorf("the server chose suite 0x%04X that was not offered", id)
		}
		remaining = slices.Delete(remaining, i, i+1)
		vs.Suites = append(vs.Suites, id)
		if firstFlight == nil {
			firstFlight = f
		}
		st := suiteByID(id)
		switch {
		case v == vTLS13 && f.Hello.Group != 0:
			vs.Kx[id] = groupKx(f.Hello.Group)
		case st.FS && f.SKE != nil:
			if kx, err := parseSKE(st.Kx, f.SKE); err == nil {
				vs.Kx[id] = kx
			}
		}
	}
	if len(vs.Suites) >= 2 {
		// Offer the accepted suites in reverse: a server that imposes its
		// order still picks its first.
		rev := slices.Clone(vs.Suites)
		slices.Reverse(rev)
		f, err := s.hello(ctx, helloParams{Version: v, Suites: rev})
		if err == nil && f.Hello != nil {
			vs.ServerOrder = f.Hello.Suite == vs.Suites[0]
		}
	}
	return result(vs), firstFlight, nil
}

func result(vs *VersionScan) *VersionScan {
	if len(vs.Suites) == 0 {
		return nil
	}
	return vs
}

// sslv2 sends an SSLv2 CLIENT-HELLO; nil specs means refused.
func (s *scanner) sslv2(ctx context.Context) ([]Suite, []byte, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, nil, err
	}
	defer s.release()
	c, _, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	var challenge [16]byte
	_, _ = rand.Read(challenge[:])
	if _, err := c.Write(buildSSLv2Hello(challenge)); err != nil {
		return nil, nil, nil // refused by closing
	}
	h, err := readSSLv2Hello(c)
	if errors.Is(err, errSSLv2Refused) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, s.classify(ctx, c, err)
	}
	var out []Suite
	for _, id := range h.Specs {
		st, ok := sslv2Specs[id]
		if !ok {
			st = Suite{Name: fmt.Sprintf("SSLv2 0x%06X", id)}
		}
		st.ID = uint16(id >> 8)
		out = append(out, st)
	}
	if len(out) == 0 {
		out = []Suite{{Name: "SSLv2 (no common cipher)"}}
	}
	return out, h.Cert, nil
}
