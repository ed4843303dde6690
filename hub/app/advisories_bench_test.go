package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// benchScorecards is the number of scorecards per host in
// BenchmarkLoadAdvisories: one carrying the inventory, then a week of daily
// ones naming it by hash.
const benchScorecards = 8

// BenchmarkLoadAdvisories measures the hub's start-up rebuild: every
// advisory of the window compiled, every host's latest scorecard read,
// decoded and indexed with its 1,000 packages. BENCH_HOSTS sets the number
// of hosts (default 200; a third Windows workstations, the rest Debian);
// BENCH_ADVISORIES a path to import instead of testdata's 17 (the shared
// archive of 2,251). The time per host, times the region's hosts, is the
// start-up time.
func BenchmarkLoadAdvisories(b *testing.B) {
	ctx := context.Background()
	hosts := 200
	if v, err := strconv.Atoi(os.Getenv("BENCH_HOSTS")); err == nil && v > 0 {
		hosts = v
	}
	src := filepath.Join(advisoryData, "docs")
	if v := os.Getenv("BENCH_ADVISORIES"); v != "" {
		src = v
	}
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := app.New(app.Config{Store: st, Now: func() time.Time { return t0 }})
	for i := range hosts {
		ag := hubtest.NewAgent(uint64(10_000+i), 0.8)
		ag.Packages = 1000
		if i%3 == 0 {
			ag.Host = workstation(1, "10.0.19045.6575", "140.5.0").Host
		}
		storetest.Enrolled(b, st, fmt.Sprintf("Entité %03d", i/10), ag.ID)
		// As ingestion stores them: the first scorecard carries the
		// inventory (stored once under its hash), the following ones
		// name it by hash alone, as an agent whose software did not
		// change sends them.
		for k := range benchScorecards {
			sc := ag.Next(t0.Add(time.Duration(k) * time.Hour))
			canonical := protocol.CanonicalSoftware(sc.Software)
			sc.SoftwareSHA256 = protocol.HashCanonical(canonical)
			rec := &store.Scorecard{AgentID: ag.ID, ID: sc.ID, Sequence: sc.Sequence, ReceivedAt: t0.Add(time.Duration(k) * time.Hour),
				StartedAt: sc.StartedAt, FinishedAt: sc.FinishedAt, Hostname: ag.Host.Hostname, OS: ag.Host.OS, Inventory: sc.SoftwareSHA256}
			if k == 0 {
				rec.NewInventory = &store.NewInventory{SHA256: sc.SoftwareSHA256, Canonical: canonical, Packages: len(sc.Software)}
			} else {
				sc.Software = nil
			}
			rec.Envelope = ag.Sign(sc)
			if out, err := st.SaveScorecard(ctx, rec); err != nil || out != store.Stored {
				b.Fatal(out, err)
			}
		}
	}
	m, err := a.NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Import(ctx, "bench", nil, src); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var stats app.LoadStats
	cpu := processCPU()
	for b.Loop() {
		m, _ := a.NewAdvisories(app.AdvisoryConfig{})
		if stats, err = m.LoadAdvisories(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(hosts), "ms/host")
	b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(stats.Advisories), "advisories")
	b.ReportMetric(float64(stats.Exposures), "exposures")
}
