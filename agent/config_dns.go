package agent

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	dnscheck "github.com/vigie-cyber/vigie/checks/dns"
)

// The [dns] section: which resolver and which root trust the DNS family uses.

// DNSConfig says how the DNS family reaches the DNS.
type DNSConfig struct {
	// Resolver is a recursive resolver, "ip:port" or "ip" (port 53);
	// empty means the host's own resolvers.
	Resolver string `toml:"resolver"`
	// TrustAnchorFile holds the root's DS or DNSKEY records, zone-file
	// syntax (as for delv -a or unbound). Default: Debian's
	// /usr/share/dns/root.key when present, else the built-in IANA keys.
	TrustAnchorFile string `toml:"trust_anchor_file"`
	// RootHintsFile holds the root servers' NS and A/AAAA records,
	// zone-file syntax; they are asked on port 53. Default: Debian's
	// /usr/share/dns/root.hints when present, else the built-in list.
	RootHintsFile string `toml:"root_hints_file"`
}

// Debian's dns-root-data files, used when the configuration names none;
// variables so that tests can point them elsewhere.
var (
	debianTrustAnchorFile = dnscheck.DebianTrustAnchorFile
	debianRootHintsFile   = dnscheck.DebianRootHintsFile
)

func (c *Config) validateDNS(bad func(string, ...string) error) error {
	if r := c.DNS.Resolver; r != "" {
		if a, err := netip.ParseAddr(r); err == nil {
			c.DNS.Resolver = netip.AddrPortFrom(a, 53).String()
		} else if ap, err := netip.ParseAddrPort(r); err != nil || ap.Port() == 0 {
			return bad(fmt.Sprintf("%q doit être une adresse IP, avec ou sans port (exemple : 192.0.2.53:53)", r), "dns", "resolver")
		}
	}
	load := func(file, debian, key string) ([]byte, string, error) {
		if file != "" {
			if !filepath.IsAbs(file) && !strings.HasPrefix(file, "/") {
				return nil, "", bad(fmt.Sprintf("%q doit être un chemin absolu", file), "dns", key)
			}
			data, err := readBounded(file, dnscheck.MaxRootFileSize)
			if err != nil {
				return nil, "", bad(err.Error(), "dns", key)
			}
			return data, file, nil
		}
		if _, err := os.Stat(debian); err != nil {
			return nil, "", nil // built-in values
		}
		data, err := readBounded(debian, dnscheck.MaxRootFileSize)
		if err != nil {
			return nil, "", bad(err.Error()+" (fichier par défaut, paquet dns-root-data)", "dns", key)
		}
		return data, debian, nil
	}
	data, file, err := load(c.DNS.TrustAnchorFile, debianTrustAnchorFile, "trust_anchor_file")
	if err != nil {
		return err
	}
	if file != "" {
		if c.dnsAnchors, err = dnscheck.ParseTrustAnchorFile(file, data); err != nil {
			return bad(err.Error(), "dns", "trust_anchor_file")
		}
	}
	data, file, err = load(c.DNS.RootHintsFile, debianRootHintsFile, "root_hints_file")
	if err != nil {
		return err
	}
	if file != "" {
		addrs, err := dnscheck.ParseRootHintsFile(file, data)
		if err != nil {
			return bad(err.Error(), "dns", "root_hints_file")
		}
		c.dnsHints = dnscheck.HintServers(addrs, "53")
	}
	return nil
}

// readBounded reads a file of at most max bytes.
