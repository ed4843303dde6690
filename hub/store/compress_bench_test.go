package store

import "testing"

// BenchmarkCompressEnvelope measures the stored form of a workstation's and
// a server's envelope, made as the hub's ingestion makes it (from the
// verified payload), and reports the compression ratio against the
// envelope as received.
func BenchmarkCompressEnvelope(b *testing.B) {
	for _, n := range []int{2, 800} {
		sc := signed(b, n)
		env := sc.Envelope
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
