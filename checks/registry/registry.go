// Package registry is the one explicit list of check families (STYLE.md rule
// 4): every check Vigie can run. The guidance that goes with them is merged
// by checks/catalogue; this package's tests tie the two together.
package registry

import (
	"crypto/x509"

	"github.com/miekg/dns"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/checks/backup"
	dnscheck "github.com/vigie-cyber/vigie/checks/dns"
	"github.com/vigie-cyber/vigie/checks/hygiene"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/checks/patch"
	tlscheck "github.com/vigie-cyber/vigie/checks/tls"
)

// Config is what a scan looks at beyond the host itself; it comes from the
// command line or the agent's configuration file.
type Config struct {
	TLSEndpoints []string          // host:port, repeatable --tls
	TLSRoots     *x509.CertPool    // nil: system roots; tlscheck.LoadRoots adds an entity's CA
	Domains      []string          // entity domains, repeatable --domain
	BackupPaths  []string          // backup destinations to inspect
	Sector       string            // commune, hospital, port, other
	Answers      map[string]string // questionnaire answers by question ID
	AD           *ad.Config        // the [ad] section; nil: AD checks run only on a domain controller
	// DNS family: resolver "ip:port" (empty: the host's), root trust
	// anchors and root hints "ip:port" (empty: the built-in IANA values).
	DNSResolver     string
	DNSTrustAnchors []dns.RR
	DNSRootHints    []string
}

// family is one sub-package of checks and its checks for a configuration.
// Its guidance lives in its guidance sub-package, merged by
// checks/catalogue (data only, so the hub need not link the families).
type family struct {
	name   string
	checks func(Config) []checks.Check
}

// families lists every family; add a line here when a family is added.
func families() []family {
	return []family{
		{"ad", func(c Config) []checks.Check { return ad.Checks(c.AD) }},
		{"backup", func(c Config) []checks.Check { return backup.Checks(c.BackupPaths) }},
		{"dns", func(c Config) []checks.Check {
			return dnscheck.Checks(dnscheck.Config{Domains: c.Domains, RootCAs: c.TLSRoots,
				Resolver: c.DNSResolver, TrustAnchors: c.DNSTrustAnchors, RootHints: c.DNSRootHints})
		}},
		{"hygiene", func(c Config) []checks.Check { return hygiene.Checks(c.Sector) }},
		{"organisation", func(c Config) []checks.Check { return organisation.Checks(c.Answers) }},
		{"patch", func(Config) []checks.Check { return patch.Checks() }},
		{"tls", func(c Config) []checks.Check {
			return tlscheck.Checks(tlscheck.Config{Endpoints: c.TLSEndpoints, RootCAs: c.TLSRoots, ScanListeners: len(c.TLSEndpoints) == 0})
		}},
	}
}

// Checks returns every check to run for cfg.
func Checks(cfg Config) []checks.Check {
	var out []checks.Check
	for _, f := range families() {
		out = append(out, f.checks(cfg)...)
	}
	return out
}
