package dns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Files of Debian's dns-root-data package, which follows root key rollovers
// and root server renumberings: the agent uses them when present and no
// other file is configured, else the built-in RootAnchors and RootHints.
const (
	DebianTrustAnchorFile = "/usr/share/dns/root.key"
	DebianRootHintsFile   = "/usr/share/dns/root.hints"
)

// MaxRootFileSize bounds a trust anchor or root hints file (the real ones
// are under 4 KiB).
const MaxRootFileSize = 1 << 20

// ParseTrustAnchorFile reads root trust anchors in zone-file syntax, as
// delv -a, unbound and dns-root-data's root.key and root.ds use: DS or
// DNSKEY records owned by the root. name is the file's name, for errors,
// which say file and line.
func ParseTrustAnchorFile(name string, data []byte) ([]dns.RR, error) {
	var out []dns.RR
	err := parseZoneFile(name, data, func(rr dns.RR) error {
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
		default:
			return fmt.Errorf("enregistrement %s : une ancre de confiance est un DS ou un DNSKEY", dns.TypeToString[rr.Header().Rrtype])
		}
		if rr.Header().Name != "." {
			return fmt.Errorf("ancre pour %s : seules les ancres de la racine (.) sont prises en charge", rr.Header().Name)
		}
		out = append(out, rr)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s : aucune ancre de confiance (DS ou DNSKEY de la racine)", name)
	}
	return out, nil
}

// ParseRootHintsFile reads root hints in zone-file syntax (named.root,
// dns-root-data's root.hints): the NS records of the root and the A and AAAA
// records of those servers. It returns their addresses, IPv4 first; other
// records are refused, so that a wrong file is noticed.
func ParseRootHintsFile(name string, data []byte) ([]netip.Addr, error) {
	var servers []string
	addrs := map[string][]netip.Addr{}
	err := parseZoneFile(name, data, func(rr dns.RR) error {
		switch v := rr.(type) {
		case *dns.NS:
			if v.Hdr.Name != "." {
				return fmt.Errorf("NS pour %s : les indications ne donnent que les serveurs de la racine (.)", v.Hdr.Name)
			}
			servers = append(servers, dns.CanonicalName(v.Ns))
		case *dns.A:
			a, _ := netip.AddrFromSlice(v.A.To4())
			addrs[dns.CanonicalName(v.Hdr.Name)] = append(addrs[dns.CanonicalName(v.Hdr.Name)], a)
		case *dns.AAAA:
			a, _ := netip.AddrFromSlice(v.AAAA.To16())
			addrs[dns.CanonicalName(v.Hdr.Name)] = append(addrs[dns.CanonicalName(v.Hdr.Name)], a)
		default:
			return fmt.Errorf("enregistrement %s : les indications de la racine ne contiennent que des NS, A et AAAA", dns.TypeToString[rr.Header().Rrtype])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var v4, v6 []netip.Addr
	for _, s := range sortedUnique(servers) {
		for _, a := range addrs[s] {
			if a.Is4() {
				v4 = append(v4, a)
			} else {
				v6 = append(v6, a)
			}
		}
	}
	if len(v4)+len(v6) == 0 {
		return nil, fmt.Errorf("%s : aucune adresse de serveur de la racine (des NS pour « . » et les A ou AAAA de ces serveurs sont attendus)", name)
	}
	return append(v4, v6...), nil
}

// HintServers turns root server addresses into the "ip:port" list of
// Config.RootHints.
func HintServers(addrs []netip.Addr, port string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = net.JoinHostPort(a.String(), port)
	}
	return out
}

// parseZoneFile runs keep on each record of a zone file (origin ".",
// $INCLUDE refused) and prefixes any error with the file and line.
func parseZoneFile(name string, data []byte, keep func(dns.RR) error) error {
	if len(data) > MaxRootFileSize {
		return fmt.Errorf("%s : fichier trop gros (%d octets, maximum %d)", name, len(data), MaxRootFileSize)
	}
	zp := dns.NewZoneParser(bytes.NewReader(data), ".", name)
	zp.SetDefaultTTL(3600) // the TTL of an anchor or hint means nothing here
	n := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if err := keep(rr); err != nil {
			return fmt.Errorf("%s:%d: %v", name, recordLine(data, n), err)
		}
		n++
	}
	if err := zp.Err(); err != nil {
		var pe *dns.ParseError
		if errors.As(err, &pe) {
			// "file: dns: bad X: "tok" at line: 3:12": reordered as file:line.
			msg := strings.TrimPrefix(pe.Error(), name+": ")
			if i := strings.LastIndex(msg, " at line: "); i >= 0 {
				line, _, _ := strings.Cut(msg[i+len(" at line: "):], ":")
				return fmt.Errorf("%s:%s: syntaxe incorrecte : %s", name, line, msg[:i])
			}
			return fmt.Errorf("%s : syntaxe incorrecte : %s", name, msg)
		}
		return fmt.Errorf("%s : %v", name, err)
	}
	return nil
}

// recordLine finds the line where the record of index n ends: the fewest
// lines of data that hold n+1 records. Only used on the error path (the
// zone parser does not say where a record it returns came from).
func recordLine(data []byte, n int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	count := func(l int) int {
		zp := dns.NewZoneParser(bytes.NewReader(bytes.Join(lines[:l], nil)), ".", "")
		zp.SetDefaultTTL(3600)
		c := 0
		for _, ok := zp.Next(); ok; _, ok = zp.Next() {
			c++
		}
		return c
	}
	lo, hi := 1, len(lines)
	for lo < hi {
		mid := (lo + hi) / 2
		if count(mid) > n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
