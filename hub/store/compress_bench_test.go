package store

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/report"
)

// BenchmarkCompressEnvelope measures the stored form of a workstation's and
// a server's envelope, made as the hub's ingestion makes it (from the
// verified payload), and reports the compression ratio against the
// envelope as received.
func BenchmarkCompressEnvelope(b *testing.B) {
	for _, n := range []int{2, 800} {
		a := hubtest.NewAgent(1, 0.6)
		a.Packages = n
		env := a.Sign(a.Next(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)))
		e, err := report.ParseEnvelope(env)
		if err != nil {
			b.Fatal(err)
		}
		payload, err := report.Verify(e, report.PayloadType, a.Key.Public().(ed25519.PublicKey))
		if err != nil {
			b.Fatal(err)
		}
		sc := &Scorecard{Envelope: env, Payload: payload, PayloadBase64: e.Payload}
		b.Run(map[int]string{2: "poste", 800: "serveur"}[n], func(b *testing.B) {
			b.SetBytes(int64(len(env)))
			var out []byte
			for b.Loop() {
				out = packEnvelope(sc)
			}
			b.ReportMetric(float64(len(env))/float64(len(out)), "ratio")
			b.StopTimer()
			if back, err := expandEnvelope(out); err != nil || string(back) != string(env) {
				b.Fatalf("round trip: %d bytes, %v", len(back), err)
			}
		})
	}
}
