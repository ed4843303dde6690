package tls

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// endpoint is one place to assess.
type endpoint struct {
	Target     string // host:port, the check's Meta.Target
	Host       string // name or address to dial
	Port       int
	ServerName string // name sent in SNI and verified; "" for addresses and local listeners
	Kind       string // tls, smtp, imap, pop3 (the last three negotiate STARTTLS)
	HTTPS      bool   // a web port or an https:// endpoint
	Local      bool   // found among this host's listening ports
}

var errEndpoint = errors.New("invalid TLS endpoint")

// Ports where a plain-text protocol upgrades with STARTTLS, and the usual
// HTTPS ports.
var (
	startTLSPorts = map[int]string{25: "smtp", 587: "smtp", 143: "imap", 110: "pop3"}
	schemes       = map[string]struct {
		port int
		kind string
	}{
		"https": {443, "tls"}, "tls": {443, "tls"}, "smtp": {25, "smtp"}, "submission": {587, "smtp"},
		"imap": {143, "imap"}, "pop3": {110, "pop3"}, "smtps": {465, "tls"}, "imaps": {993, "tls"},
		"pop3s": {995, "tls"}, "ldaps": {636, "tls"},
	}
	httpsPorts = []int{443, 4443, 8443, 9443, 10443}
)

// parseEndpoint reads "host:port", "[v6]:port", "host" (port 443) or
// "scheme://host[:port]" where scheme is https, smtp, submission, imap,
// pop3, smtps, imaps, pop3s, ldaps or tls.
func parseEndpoint(s string) (endpoint, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return endpoint{}, fmt.Errorf("%w: empty", errEndpoint)
	}
	scheme := ""
	if before, after, ok := strings.Cut(in, "://"); ok {
		scheme = strings.ToLower(before)
		in = strings.TrimSuffix(after, "/")
		if _, known := schemes[scheme]; !known {
			return endpoint{}, fmt.Errorf("%w: %q: unknown scheme %q", errEndpoint, s, scheme)
		}
	}
	host, portStr, err := net.SplitHostPort(in)
	if err != nil {
		// No port: a bare name or address.
		host, portStr = strings.Trim(in, "[]"), ""
		if strings.ContainsAny(host, "/ ") || (strings.Count(host, ":") == 1) {
			return endpoint{}, fmt.Errorf("%w: %q", errEndpoint, s)
		}
	}
	port := 443
	if scheme != "" {
		port = schemes[scheme].port
	}
	if portStr != "" {
		port, err = strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			return endpoint{}, fmt.Errorf("%w: %q: bad port %q", errEndpoint, s, portStr)
		}
	}
	if host == "" || strings.ContainsAny(host, "/ @") {
		return endpoint{}, fmt.Errorf("%w: %q: bad host", errEndpoint, s)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ep := endpoint{
		Target:     net.JoinHostPort(host, strconv.Itoa(port)),
		Host:       host,
		Port:       port,
		ServerName: sniName(host),
		Kind:       "tls",
		HTTPS:      scheme == "https" || slices.Contains(httpsPorts, port),
	}
	if k, ok := startTLSPorts[port]; ok {
		ep.Kind = k
	}
	if scheme != "" && scheme != "https" {
		ep.Kind = schemes[scheme].kind
	}
	return ep, nil
}

// localEndpoint is a listener of this host, reached on loopback when it
// listens on every address.
func localEndpoint(address string, port int) endpoint {
	addr := address
	if a, err := netip.ParseAddr(strings.Trim(address, "[]")); err == nil {
		switch {
		case a.IsUnspecified() && a.Is4():
			addr = "127.0.0.1"
		case a.IsUnspecified():
			addr = "::1"
		default:
			addr = a.WithZone("").String()
		}
	} else if address == "" || address == "*" {
		addr = "127.0.0.1"
	}
	ep := endpoint{
		Target: net.JoinHostPort(addr, strconv.Itoa(port)),
		Host:   addr,
		Port:   port,
		Kind:   "tls",
		HTTPS:  slices.Contains(httpsPorts, port),
		Local:  true,
	}
	if k, ok := startTLSPorts[port]; ok {
		ep.Kind = k
	}
	return ep
}
