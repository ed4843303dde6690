package dns

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// RootAnchors are the root zone's key-signing keys as DS records, from IANA's
// root-anchors.xml (https://data.iana.org/root-anchors/root-anchors.xml):
// KSK-2017 (tag 20326) and KSK-2024 (tag 38696), both carried during the
// 2024-2026 rollover. Used unless Config.TrustAnchors replaces them.
var RootAnchors = []string{
	". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
}

// RootHints are the IPv4 addresses of the thirteen root servers (IANA
// named.root, https://www.internic.net/domain/named.root), port 53. The
// delegation walk starts here unless Config.RootHints replaces them.
var RootHints = []string{
	"198.41.0.4:53",     // a.root-servers.net
	"170.247.170.2:53",  // b (renumbered 2023-11)
	"192.33.4.12:53",    // c
	"199.7.91.13:53",    // d
	"192.203.230.10:53", // e
	"192.5.5.241:53",    // f
	"192.112.36.4:53",   // g
	"198.97.190.53:53",  // h
	"192.36.148.17:53",  // i
	"192.58.128.30:53",  // j
	"193.0.14.129:53",   // k
	"199.7.83.42:53",    // l
	"202.12.27.33:53",   // m
}

// ParseTrustAnchors reads DS or DNSKEY records in presentation format
// (". IN DS 20326 8 2 E06D..."), one per string.
func ParseTrustAnchors(lines []string) ([]dns.RR, error) {
	var out []dns.RR
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		rr, err := dns.NewRR(l)
		if err != nil {
			return nil, fmt.Errorf("trust anchor %q: %w", l, err)
		}
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
			out = append(out, rr)
		default:
			return nil, fmt.Errorf("trust anchor %q: want a DS or DNSKEY record", l)
		}
	}
	return out, nil
}

func mustAnchors(lines []string) []dns.RR {
	rrs, err := ParseTrustAnchors(lines)
	if err != nil {
		panic(err)
	}
	return rrs
}
