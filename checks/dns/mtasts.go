package dns

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The MTA-STS record only says that a policy exists; senders then fetch
// the policy itself over HTTPS (RFC 8461 §3.3) and apply it. A record whose
// policy cannot be fetched protects nothing, and a policy in enforce mode
// that does not list the domain's MX makes every sender that applies
// MTA-STS refuse to deliver: both are checked here, as senders would.

// stsPolicy is a parsed MTA-STS policy (RFC 8461 §3.2).
type stsPolicy struct {
	Mode   string   // enforce, testing, none
	MX     []string // patterns: host names, or "*." and a domain
	MaxAge int64    // seconds
}

// maxPolicySize bounds the policy read (RFC 8461 §3.3 suggests senders cap
// it at 64 KiB).
const maxPolicySize = 64 << 10

// fetchTimeout bounds the whole fetch: connection, TLS, request, body.
const fetchTimeout = 5 * time.Second

// stsPolicy fetches and parses the domain's policy, once per session.
func (s *session) stsPolicy(ctx context.Context) (stsPolicy, error) {
	return memo(ctx, s, "mta-sts-policy", func(ctx context.Context) (stsPolicy, error) {
		host := "mta-sts." + s.domain
		addrs, err := s.addrs(ctx, host+".")
		if err != nil {
			return stsPolicy{}, err
		}
		if len(addrs) == 0 {
			return stsPolicy{}, fmt.Errorf("%s has no address (A or AAAA record)", host)
		}
		body, err := s.fetchPolicy(ctx, host, addrs)
		if err != nil {
			return stsPolicy{}, err
		}
		return parseSTSPolicy(body)
	})
}

// fetchPolicy GETs https://host/.well-known/mta-sts.txt from the first
// address that answers, with the certificate checked against the host name
// and the configured roots, no redirect followed (the RFC forbids them) and
// the body bounded.
func (s *session) fetchPolicy(ctx context.Context, host string, addrs []netip.Addr) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	port := strconv.Itoa(s.f.cfg.HTTPSPort)
	tr := &http.Transport{
		// The address comes from the family's resolver, as every other
		// name this family checks; the connection from the host's dialer.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var last error
			for _, a := range addrs {
				c, err := s.h.Dialer.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
				if err == nil {
					return c, nil
				}
				last = err
			}
			return nil, last
		},
		TLSClientConfig:   &tls.Config{ServerName: host, RootCAs: s.f.cfg.RootCAs, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return nil, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // without net/http's `Get "https://...": ` prefix
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the policy URL answers HTTP %d", resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/plain" {
		return nil, fmt.Errorf("the policy is served as %q, not text/plain", resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicySize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxPolicySize {
		return nil, fmt.Errorf("the policy is larger than %d KiB", maxPolicySize>>10)
	}
	return body, nil
}

// parseSTSPolicy reads "key: value" lines (CRLF or LF).
func parseSTSPolicy(body []byte) (stsPolicy, error) {
	var p stsPolicy
	version, maxAge := "", ""
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return p, fmt.Errorf("policy line %q is not \"key: value\"", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "version":
			version = v
		case "mode":
			p.Mode = v
		case "mx":
			p.MX = append(p.MX, strings.ToLower(strings.TrimSuffix(v, ".")))
		case "max_age":
			maxAge = v
		}
	}
	if version != "STSv1" {
		return p, fmt.Errorf("policy version %q, want STSv1", version)
	}
	switch p.Mode {
	case "enforce", "testing", "none":
	default:
		return p, fmt.Errorf("policy mode %q, want enforce, testing or none", p.Mode)
	}
	n, err := strconv.ParseInt(maxAge, 10, 64)
	if err != nil || n < 0 || n > 31557600 {
		return p, fmt.Errorf("policy max_age %q, want 0 to 31557600 seconds", maxAge)
	}
	p.MaxAge = n
	if p.Mode != "none" && len(p.MX) == 0 {
		return p, errors.New("policy lists no mx")
	}
	return p, nil
}

// stsMatch reports whether MX host matches one of the policy's patterns
// (RFC 8461 §4.1: exact, or "*." matching exactly one leftmost label).
func stsMatch(host string, patterns []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			label, rest, found := strings.Cut(host, ".")
			if found && label != "" && rest == suffix {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}
