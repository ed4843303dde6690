package dns

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// BenchmarkDomain runs every check of one fully configured, signed domain
// against the loopback universe, with a fresh session each time (no cache
// carried over). Budget: 300 ms per domain.
func BenchmarkDomain(b *testing.B) {
	u := sharedUniverse(b)
	h := testHost()
	for b.Loop() {
		res := checks.RunAll(context.Background(), h, Checks(testConfig(u, "valid.test")), checks.DefaultRunOptions)
		for _, r := range res {
			if r.Status == protocol.Error {
				b.Fatalf("%s: %s", r.ID, r.Evidence.EN)
			}
		}
	}
}

var (
	hundredOnce sync.Once
	hundred     *universe
)

// hundredUniverse serves 100 signed domains d000.test ... d099.test.
func hundredUniverse(tb testing.TB) (*universe, []string) {
	var names []string
	var kids []child
	now := time.Now()
	for i := range 100 {
		l := fmt.Sprintf("d%03d", i)
		names = append(names, l+".test")
		kids = append(kids, child{label: l, signed: true, alg: dns.ECDSAP256SHA256, from: now.Add(-time.Hour), to: now.Add(30 * 24 * time.Hour),
			ns: []string{"ns1", "ns2"}, spf: "v=spf1 mx -all", dmarc: "v=DMARC1; p=reject; rua=mailto:d@valid.test"})
	}
	hundredOnce.Do(func() { hundred = buildUniverse(&onceTB{TB: tb}, kids, nil) })
	return hundred, names
}

// BenchmarkHundredDomains runs every check of 100 domains in one RunAll
// with the runner's bounded concurrency (8). Budget: 5 s.
func BenchmarkHundredDomains(b *testing.B) {
	u, names := hundredUniverse(b)
	h := testHost()
	for b.Loop() {
		res := checks.RunAll(context.Background(), h, Checks(testConfig(u, names...)), checks.DefaultRunOptions)
		for _, r := range res {
			if r.Status == protocol.Error {
				b.Fatalf("%s %s: %s", r.ID, r.Target, r.Evidence.EN)
			}
		}
	}
}

// TestHundredDomainsConcurrently runs 100 domains at once with the
// runner's bounded concurrency: every check of every domain must conclude,
// none may error (shared sessions, retries and deadlines under load). The
// 300 ms / 5 s targets are measured by the benchmarks above, not asserted.
func TestHundredDomainsConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	u := sharedUniverse(t)
	h := testHost()
	start := time.Now()
	checks.RunAll(context.Background(), h, Checks(testConfig(u, "valid.test")), checks.DefaultRunOptions)
	one := time.Since(start)
	u100, names := hundredUniverse(t)
	start = time.Now()
	res := checks.RunAll(context.Background(), h, Checks(testConfig(u100, names...)), checks.DefaultRunOptions)
	all := time.Since(start)
	for _, r := range res {
		if r.Status == protocol.Error {
			t.Fatalf("%s %s: %s", r.ID, r.Target, r.Evidence.EN)
		}
	}
	t.Logf("one domain: %s; 100 domains (%d checks): %s", one, len(res), all)
}
