package store

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// viaEnvelope is the long way round storedPayload avoids: the envelope
// rebuilt, parsed and opened.
func viaEnvelope(stored []byte) ([]byte, error) {
	env, err := expandEnvelope(stored)
	if err != nil {
		return nil, err
	}
	return openEnvelope(env)
}

// TestStoredPayload: every stored form gives the payload the hub verified,
// the same as reading the envelope back; a damaged row is an error.
func TestStoredPayload(t *testing.T) {
	t.Parallel()
	sc := signed(t, 40)
	enc, _ := zstd.NewWriter(nil)
	forms := map[string][]byte{
		"payload in clear":         packEnvelope(sc),
		"envelope kept whole":      packEnvelope(&Scorecard{Envelope: sc.Envelope}),
		"zstd (before S2)":         enc.EncodeAll(sc.Envelope, nil),
		"raw (before compression)": sc.Envelope,
	}
	for name, stored := range forms {
		p, err := storedPayload(stored)
		if err != nil || !bytes.Equal(p, sc.Payload) {
			t.Errorf("%s: %d bytes, %v; want the %d bytes verified", name, len(p), err, len(sc.Payload))
		}
	}
	good := forms["payload in clear"]
	for name, stored := range map[string][]byte{
		"truncated":      good[:len(good)/2],
		"header only":    good[:len(storedMagic)+1],
		"flipped byte":   func() []byte { b := bytes.Clone(good); b[len(b)-3] ^= 0x40; return b }(),
		"not a envelope": []byte(`{"payloadType":"x"}`),
	} {
		if p, err := storedPayload(stored); err == nil {
			t.Errorf("%s: read %d bytes, want an error", name, len(p))
		}
	}
}

// FuzzStoredPayload: whatever a row holds, storedPayload agrees with
// reading the envelope back: the same payload when both read it, an error
// whenever the envelope route fails, except for the current form with its
// payload in clear, whose surrounding JSON storedPayload does not read.
func FuzzStoredPayload(f *testing.F) {
	sc := signed(f, 2)
	f.Add(packEnvelope(sc))
	f.Add(packEnvelope(&Scorecard{Envelope: sc.Envelope}))
	f.Add(sc.Envelope)
	f.Add([]byte("\x00vg2\x01\x01\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, stored []byte) {
		p, err := storedPayload(stored)
		want, werr := viaEnvelope(stored)
		clear := false
		if bytes.HasPrefix(stored, storedMagic) {
			_, _, n, cerr := unpackContent(stored[len(storedMagic):])
			clear = cerr == nil && n > 0
		}
		if err != nil && werr == nil || err == nil && werr != nil && !clear || err == nil && werr == nil && !bytes.Equal(p, want) {
			t.Fatalf("storedPayload = %d bytes, %v; via the envelope %d bytes, %v", len(p), err, len(want), werr)
		}
	})
}
