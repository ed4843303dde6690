package report

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

func TestSignScorecard(t *testing.T) {
	t.Parallel()
	sc, _ := sample()
	key, _ := protocol.GenerateKey()
	raw, err := protocol.SignScorecard(sc, key)
	if err != nil {
		t.Fatal(err)
	}
	env, err := protocol.ParseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	back, err := protocol.Decode(payload)
	if err != nil || back.ID != sc.ID || len(back.Results) != len(sc.Results) {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	// Compact: no indentation in what is uploaded and stored.
	if bytes.ContainsAny(payload, "\n") || bytes.Contains(payload, []byte(`": `)) {
		t.Errorf("payload is indented: %.200s", payload)
	}
}
