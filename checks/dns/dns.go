// Package dns checks the entity's domains (delegation, DNSSEC, mail
// authentication records, CAA) and the host's own DNS setup (resolvers,
// validation, open resolver, zone transfer), with github.com/miekg/dns. Every
// query goes through the Host's Dialer with a deadline, so tests run against
// real DNS servers on loopback.
package dns

import (
	"context"
	"crypto/x509"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Config is what the dns family looks at.
type Config struct {
	// Domains are the entity's domains (mairie-exemple.fr).
	Domains []string
	// Resolver is a recursive resolver "ip:port"; empty means the host's own
	// (etc/resolv.conf, or Get-DnsClientServerAddress on Windows).
	Resolver string
	// TrustAnchors are DS or DNSKEY records for the root; empty means the
	// IANA root KSKs (RootAnchors).
	TrustAnchors []dns.RR
	// RootHints are "ip:port" of the root servers for the delegation walk;
	// the port also applies to every name server asked directly. Empty means
	// the real root servers (RootHints), port 53.
	RootHints []string
	// QueryTimeout bounds each query (2 s when zero).
	QueryTimeout time.Duration
	// ServerPort is where a DNS server on this host would listen (53).
	ServerPort int
	// HTTPSPort is where MTA-STS policies are fetched (443 when zero).
	HTTPSPort int
	// RootCAs verify the MTA-STS policy servers' certificates (nil: the
	// system roots).
	RootCAs *x509.CertPool
	// SignedProbe and BogusProbe are the names resolver-validates asks: one
	// correctly signed (its answer must carry the AD bit), one deliberately
	// broken (a validating resolver answers SERVFAIL). Defaults: "." and
	// "dnssec-failed.org." (kept broken on purpose by Comcast).
	SignedProbe, BogusProbe string
	// LocalAddrs lists the host's addresses, to test the local DNS server
	// from a non-loopback address (net.InterfaceAddrs when nil).
	LocalAddrs func() ([]netip.Addr, error)

	// loopbackIsOutside lets tests treat loopback addresses as outside
	// addresses for open-resolver and zone-transfer.
	loopbackIsOutside bool
}

// Checks returns one instance of each domain check per domain (Meta.Target
// = domain) and the host checks.
func Checks(cfg Config) []checks.Check {
	f := &family{cfg: cfg, anchors: cfg.TrustAnchors, hints: cfg.RootHints}
	if len(f.anchors) == 0 {
		f.anchors = mustAnchors(RootAnchors)
	}
	if len(f.hints) == 0 {
		f.hints = RootHints
	}
	if f.cfg.ServerPort == 0 {
		f.cfg.ServerPort = 53
	}
	if f.cfg.HTTPSPort == 0 {
		f.cfg.HTTPSPort = 443
	}
	if f.cfg.SignedProbe == "" {
		f.cfg.SignedProbe = "."
	}
	if f.cfg.BogusProbe == "" {
		f.cfg.BogusProbe = "dnssec-failed.org."
	}
	if f.cfg.LocalAddrs == nil {
		f.cfg.LocalAddrs = interfaceAddrs
	}
	var out []checks.Check
	seen := map[string]bool{}
	for _, d := range cfg.Domains {
		d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		for _, dc := range domainChecks {
			m := dc.meta
			m.Target = d
			run := dc.run
			out = append(out, checks.Func{M: m, F: func(ctx context.Context, h *checks.Host) protocol.Result {
				if _, ok := dns.IsDomainName(d); !ok {
					return checks.Errored(textf("nom de domaine invalide %q", "invalid domain name %q", d), errBadDomain)
				}
				return run(ctx, f.session(h, d))
			}})
		}
	}
	for _, hc := range hostChecks {
		run := hc.run
		out = append(out, checks.Func{M: hc.meta, F: func(ctx context.Context, h *checks.Host) protocol.Result {
			return run(ctx, f, h)
		}})
	}
	return out
}

type domainCheck struct {
	meta checks.Meta
	run  func(ctx context.Context, s *session) protocol.Result
}

type hostCheck struct {
	meta checks.Meta
	run  func(ctx context.Context, f *family, h *checks.Host) protocol.Result
}

func meta(id string, sev protocol.Severity, refs protocol.Refs) checks.Meta {
	return checks.Meta{ID: id, Version: 1, Domain: protocol.DomainDNS, Severity: sev, Refs: refs, Timeout: 30 * time.Second}
}

// References: ANSSI hygiene guide v2 measure 24 covers mail (MX, SPF, DKIM,
// DMARC); availability of the name service is NIS2 21(2)(c); DNSSEC is
// cryptography, 21(2)(h); secure configuration is CIS 4.1; DNS filtering and
// the resolvers in use, CIS 9.2.
var (
	refDeleg  = protocol.Refs{CIS: []string{"4.1"}, NIS2: []string{"c"}}
	refDNSSEC = protocol.Refs{CIS: []string{"4.1"}, NIS2: []string{"h"}}
	refMail   = protocol.Refs{ANSSI: []int{24}, CIS: []string{"4.1"}, NIS2: []string{"j"}}
	refCAA    = protocol.Refs{CIS: []string{"4.1"}, NIS2: []string{"h"}}
	refHost   = protocol.Refs{CIS: []string{"4.1", "9.2"}, NIS2: []string{"e"}}
	refServer = protocol.Refs{CIS: []string{"4.1", "4.4"}, NIS2: []string{"e"}}
)

var domainChecks = []domainCheck{
	{meta("dns.ns-count", protocol.High, refDeleg), checkNSCount},
	{meta("dns.ns-diversity", protocol.Medium, refDeleg), checkNSDiversity},
	{meta("dns.lame-delegation", protocol.High, refDeleg), checkLame},
	{meta("dns.soa-serial", protocol.Low, refDeleg), checkSOASerial},
	{meta("dns.dnssec-signed", protocol.Medium, refDNSSEC), checkDNSSECSigned},
	{meta("dns.dnssec-chain", protocol.High, refDNSSEC), checkDNSSECChain},
	{meta("dns.dnssec-expiry", protocol.High, refDNSSEC), checkDNSSECExpiry},
	{meta("dns.dnssec-algorithm", protocol.Medium, refDNSSEC), checkDNSSECAlgorithm},
	{meta("dns.nsec", protocol.Info, refDNSSEC), checkNSEC},
	{meta("dns.mx", protocol.Medium, refMail), checkMX},
	{meta("dns.spf", protocol.High, refMail), checkSPF},
	{meta("dns.dmarc", protocol.High, refMail), checkDMARC},
	{meta("dns.mta-sts", protocol.Low, refMail), checkMTASTS},
	{meta("dns.tls-rpt", protocol.Low, refMail), checkTLSRPT},
	{meta("dns.caa", protocol.Low, refCAA), checkCAA},
}

var hostChecks = []hostCheck{
	{meta("dns.resolvers", protocol.Low, refHost), checkResolvers},
	{meta("dns.resolver-validates", protocol.Medium, refHost), checkResolverValidates},
	{meta("dns.open-resolver", protocol.High, refServer), checkOpenResolver},
	{meta("dns.zone-transfer", protocol.Medium, refServer), checkZoneTransfer},
}

func interfaceAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out, nil
}
