package dns

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

func testHost() *checks.Host {
	h := checkstest.Host()
	h.Now = time.Now // the zones are signed against the real clock (delv uses it too)
	h.Dialer = &net.Dialer{Timeout: 2 * time.Second}
	return h
}

func testConfig(u *universe, domains ...string) Config {
	return Config{Domains: domains, Resolver: u.resolver, TrustAnchors: u.anchors, RootHints: u.hints(), QueryTimeout: time.Second,
		HTTPSPort: u.stsPort, RootCAs: u.stsRoots}
}

// runDomain runs every check of one domain and indexes the results by ID.
func runDomain(t testing.TB, cfg Config, h *checks.Host) map[string]protocol.Result {
	t.Helper()
	list := Checks(cfg)
	res := checks.RunAll(context.Background(), h, list, checks.RunOptions{Timeout: 10 * time.Second, Concurrency: 16})
	out := map[string]protocol.Result{}
	for _, r := range res {
		if r.Target != "" || len(cfg.Domains) == 0 {
			out[r.ID] = r
		}
	}
	return out
}

func TestFixtureDomains(t *testing.T) {
	t.Parallel()
	u := sharedUniverse(t)
	P, F, W, NA, E := protocol.Pass, protocol.Fail, protocol.Warn, protocol.NotApplicable, protocol.Error
	tests := []struct {
		domain string
		want   map[string]protocol.Status
		// evidence substrings that must appear (English), by check ID
		says map[string]string
	}{
		{"valid.test", map[string]protocol.Status{
			"dns.ns-count": P, "dns.ns-diversity": P, "dns.lame-delegation": P, "dns.soa-serial": P,
			"dns.dnssec-signed": P, "dns.dnssec-chain": P, "dns.dnssec-expiry": P, "dns.dnssec-algorithm": P, "dns.nsec": P,
			"dns.mx": P, "dns.spf": P, "dns.dmarc": P, "dns.mta-sts": P, "dns.tls-rpt": P, "dns.caa": P,
		}, map[string]string{"dns.dnssec-chain": ". → test. → valid.test.", "dns.nsec": "NSEC", "dns.spf": "-all", "dns.mta-sts": "mode enforce (id=20260101T000000, max_age 7 days)"}},
		{"expired.test", map[string]protocol.Status{
			"dns.dnssec-signed": P, "dns.dnssec-chain": F, "dns.dnssec-expiry": F,
		}, map[string]string{"dns.dnssec-chain": "not at", "dns.dnssec-expiry": "expired"}},
		{"soon.test", map[string]protocol.Status{"dns.dnssec-chain": P, "dns.dnssec-expiry": W},
			map[string]string{"dns.dnssec-expiry": "expires in 2 days"}},
		{"dsbad.test", map[string]protocol.Status{"dns.dnssec-signed": P, "dns.dnssec-chain": F},
			map[string]string{"dns.dnssec-chain": "matches the DS"}},
		{"nods.test", map[string]protocol.Status{"dns.dnssec-signed": W, "dns.dnssec-chain": NA, "dns.dnssec-expiry": P},
			map[string]string{"dns.dnssec-signed": "no DS in the parent zone", "dns.dnssec-chain": "no DS at the parent"}},
		{"sha1.test", map[string]protocol.Status{"dns.dnssec-chain": P, "dns.dnssec-algorithm": F},
			map[string]string{"dns.dnssec-algorithm": "RSASHA1"}},
		{"unsigned.test", map[string]protocol.Status{
			"dns.dnssec-signed": W, "dns.dnssec-chain": NA, "dns.dnssec-expiry": NA, "dns.dnssec-algorithm": NA, "dns.nsec": NA,
			"dns.spf": F, "dns.dmarc": F, "dns.mta-sts": W, "dns.tls-rpt": W, "dns.caa": W,
		}, map[string]string{"dns.spf": "+all", "dns.dmarc": "p=none", "dns.dnssec-signed": "not signed"}},
		{"single.test", map[string]protocol.Status{"dns.ns-count": F, "dns.ns-diversity": F, "dns.lame-delegation": P},
			map[string]string{"dns.ns-count": "single name server (ns1.test.)"}},
		{"lame.test", map[string]protocol.Status{"dns.ns-count": P, "dns.lame-delegation": F, "dns.soa-serial": P},
			map[string]string{"dns.lame-delegation": "lame.test. (127.4.0.1) answers REFUSED"}},
		{"samenet.test", map[string]protocol.Status{"dns.ns-count": P, "dns.ns-diversity": F}, map[string]string{"dns.ns-diversity": "127.2.0.0/24"}},
		{"nomail.test", map[string]protocol.Status{"dns.mx": P, "dns.spf": P, "dns.mta-sts": NA, "dns.tls-rpt": NA},
			map[string]string{"dns.mx": "null MX"}},
		{"nomx.test", map[string]protocol.Status{"dns.mx": F, "dns.spf": F, "dns.dmarc": F}, map[string]string{"dns.spf": "more than 10 DNS lookups"}},
		{"spfloop.test", map[string]protocol.Status{"dns.spf": F}, map[string]string{"dns.spf": "more than 10"}},
		{"spfbad.test", map[string]protocol.Status{"dns.spf": F}, map[string]string{"dns.spf": "invalid"}},
		{"stsmx.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": "does not cover the mail servers mail.stsmx.test"}},
		{"ststest.test", map[string]protocol.Status{"dns.mta-sts": W}, map[string]string{"dns.mta-sts": "mode testing"}},
		{"stsgone.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": "mta-sts.stsgone.test has no address"}},
		{"sts404.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": "HTTP 404"}},
		{"stsv2.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": `version "STSv2"`}},
		{"stshtml.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": "not text/plain"}},
		{"stsnone.test", map[string]protocol.Status{"dns.mta-sts": W}, map[string]string{"dns.mta-sts": "mode none"}},
		{"stsshort.test", map[string]protocol.Status{"dns.mta-sts": W}, map[string]string{"dns.mta-sts": "max_age=3600"}},
		{"ststestmx.test", map[string]protocol.Status{"dns.mta-sts": W}, map[string]string{"dns.mta-sts": "(mode testing) does not cover the mail servers mail.ststestmx.test"}},
		{"stsmoved.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": "HTTP 301"}},
		{"stscert.test", map[string]protocol.Status{"dns.mta-sts": F}, map[string]string{"dns.mta-sts": "certificate"}},
		{"absent.test", map[string]protocol.Status{"dns.ns-count": E, "dns.dnssec-chain": E, "dns.mx": E, "dns.spf": E, "dns.dmarc": E, "dns.caa": E, "dns.mta-sts": E},
			map[string]string{"dns.ns-count": "does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			t.Parallel()
			got := runDomain(t, testConfig(u, tc.domain), testHost())
			for id, want := range tc.want {
				r, ok := got[id]
				if !ok {
					t.Errorf("%s: no result", id)
					continue
				}
				if r.Status != want {
					t.Errorf("%s = %s, want %s: %s", id, r.Status, want, r.Evidence.EN)
				}
				if r.Evidence.FR == "" || r.Evidence.EN == "" {
					t.Errorf("%s: evidence missing in a language: %+v", id, r.Evidence)
				}
			}
			for id, s := range tc.says {
				if !strings.Contains(got[id].Evidence.EN, s) {
					t.Errorf("%s evidence %q does not say %q", id, got[id].Evidence.EN, s)
				}
			}
		})
	}
}
