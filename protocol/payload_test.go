package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
)

// splice puts an envelope back from its parts around the payload.
func splice(raw []byte, at, n int, payload []byte) []byte {
	out := AppendPayload(bytes.Clone(raw[:at]), payload)
	return append(out, raw[at+n:]...)
}

// TestPayloadOffset: wherever PayloadOffset says the payload is, splicing
// it back gives the envelope byte for byte; where it cannot promise that,
// it says -1.
func TestPayloadOffset(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	raw, _ := json.Marshal(Sign(PayloadType, []byte(`{"schema":"vigie.scorecard/v1","id":"x"}`), key))
	e, err := ParseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := Verify(e, PayloadType, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	at := PayloadOffset(raw, e.Payload, payload)
	if at < 0 || !bytes.Equal(splice(raw, at, len(e.Payload), payload), raw) {
		t.Fatalf("offset %d does not splice back", at)
	}
	for name, c := range map[string]struct {
		raw     []byte
		encoded string
		payload []byte
	}{
		"no payload":         {raw, e.Payload, nil},
		"shorter payload":    {raw, e.Payload, payload[:len(payload)-1]},
		"2 bytes shorter":    {raw, e.Payload, payload[:len(payload)-2]},
		"3 bytes shorter":    {raw, e.Payload, payload[:len(payload)-3]},
		"line break":         {raw, e.Payload[:4] + "\n" + e.Payload[4:len(e.Payload)-1], payload},
		"escaped in the raw": {bytes.Replace(raw, []byte(`"payload":"`+e.Payload[:1]), []byte(`"payload":"\u00`+hex2(e.Payload[0])), 1), e.Payload, payload},
	} {
		if at := PayloadOffset(c.raw, c.encoded, c.payload); at >= 0 {
			t.Errorf("%s: offset %d, want -1", name, at)
		}
	}
}

func hex2(b byte) string { const h = "0123456789abcdef"; return string([]byte{h[b>>4], h[b&15]}) }

// FuzzPayloadOffset: for any envelope bytes and payload, an offset found
// always splices back to the same bytes.
func FuzzPayloadOffset(f *testing.F) {
	f.Add([]byte(`{"payload":"eyJhIjoxfQ==","x":"eyJhIjoxfQ=="}`), []byte(`{"a":1}`))
	f.Add([]byte(`{"payload":"eyJhIjoxfQ=="}`), []byte(`{"a":2}`))
	f.Fuzz(func(t *testing.T, raw, payload []byte) {
		encoded := string(AppendPayload(nil, payload))
		at := PayloadOffset(raw, encoded, payload)
		if at < 0 {
			if bytes.Contains(raw, []byte(encoded)) && len(payload) > 0 {
				t.Fatalf("canonical payload present but not found")
			}
			return
		}
		if !bytes.Equal(splice(raw, at, len(encoded), payload), raw) {
			t.Fatalf("offset %d does not splice back", at)
		}
	})
}
