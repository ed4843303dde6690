package store

import (
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubtest"
)

func BenchmarkCompressEnvelope(b *testing.B) {
	for _, n := range []int{2, 800} {
		a := hubtest.NewAgent(1, 0.6)
		a.Packages = n
		env := a.Sign(a.Next(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)))
		b.Run(map[int]string{2: "poste", 800: "serveur"}[n], func(b *testing.B) {
			b.SetBytes(int64(len(env)))
			var out []byte
			for b.Loop() {
				out = compressEnvelope(env)
			}
			b.ReportMetric(float64(len(env))/float64(len(out)), "ratio")
		})
	}
}
