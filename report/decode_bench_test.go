package report

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

// BenchmarkParseVerifyDecode is the hub's per-scorecard cost before storage:
// parse the envelope, verify Ed25519, decode and validate the scorecard
// (a scorecard of 256 results, about 4 times a real one).
func BenchmarkParseVerifyDecode(b *testing.B) {
	sc, _ := sample()
	for i := 0; i < 5; i++ {
		sc.Results = append(sc.Results, sc.Results...)
	}
	payload, _ := sc.Encode()
	k, _ := protocol.GenerateKey()
	env, _ := json.Marshal(protocol.Sign(protocol.PayloadType, payload, k))
	b.SetBytes(int64(len(env)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := protocol.ParseEnvelope(env)
		if err != nil {
			b.Fatal(err)
		}
		p, err := protocol.Verify(e, protocol.PayloadType, k.Public().(ed25519.PublicKey))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := protocol.Decode(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSummary compares what the hub decodes on receipt (the
// summary) with the whole decode a page does, on the sample scorecard
// repeated to 256 results.
func BenchmarkDecodeSummary(b *testing.B) {
	sc, _ := sample()
	for i := 0; i < 5; i++ {
		sc.Results = append(sc.Results, sc.Results...)
	}
	payload, _ := json.Marshal(sc)
	b.Run("summary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := protocol.DecodeSummary(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := protocol.Decode(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}
