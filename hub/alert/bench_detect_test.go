package alert_test

import (
	"context"
	"testing"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/api"
)

// BenchmarkDetect is detection alone, without ingestion beside it: b.N
// scorecards are uploaded first (not timed), then one Detect reads them
// all; ns/op and cpu-µs/scorecard are detection's cost per scorecard
// (the CPU figure is steadier on a loaded machine), B/op and allocs/op its
// garbage. BenchmarkIngestAlerts measures the same work as ingestion
// sees it; this one is steadier on a loaded machine and is what
// -cpuprofile should be run on.
func BenchmarkDetect(b *testing.B) {
	for _, profile := range []string{"random", "stable"} {
		b.Run(profile, func(b *testing.B) {
			st, agents, bodies := benchHub(b, benchAgents(), b.N, profile == "stable")
			ctx := context.Background()
			eng, err := alert.New(alert.Config{Store: st, PublicURL: "https://hub.example"})
			if err != nil {
				b.Fatal(err)
			}
			if err := eng.Detect(ctx); err != nil { // first run: baselines
				b.Fatal(err)
			}
			upload(b, api.New(api.Config{Store: st, UploadsPerHour: -1, MaxUploadsPerAddress: -1}).Handler(), agents, bodies)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			if err := eng.Detect(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/scorecard")
		})
	}
}
