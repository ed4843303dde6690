package incident

import (
	"context"
	"runtime"
	"testing"

	"github.com/vigie-cyber/vigie/checks/livehost"
)

// BenchmarkCollectLive is a real collection on this machine (goal: ≤ 10 s,
// ≤ 50 MB RSS; the RSS is measured on the binary, see the README). It
// reports the bundle's size and the heap the collection allocated.
func BenchmarkCollectLive(b *testing.B) {
	h := livehost.New()
	var size int
	var ms runtime.MemStats
	for b.Loop() {
		files, _ := Collect(context.Background(), h, Collectors, Options{})
		size = 0
		for _, f := range files {
			size += len(f.Data)
		}
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(size), "bundle-bytes")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MB")
}
