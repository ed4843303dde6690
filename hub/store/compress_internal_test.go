package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/protocol"
)

// signed returns a real envelope as an agent uploads it, with the payload
// and base64 the hub's ingestion hands to the store.
func signed(t testing.TB, packages int) *Scorecard {
	t.Helper()
	a := hubtest.NewAgent(3, 0.6)
	a.Packages = packages
	env := a.Sign(a.Next(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)))
	e, err := protocol.ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protocol.Verify(e, protocol.PayloadType, a.Key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return &Scorecard{Envelope: env, Payload: payload, PayloadBase64: e.Payload}
}

// TestPackEnvelope: every envelope comes back byte for byte, whether its
// payload could be kept in clear or not; the payload is kept in clear only
// when it can be put back exactly.
func TestPackEnvelope(t *testing.T) {
	t.Parallel()
	sc := signed(t, 800)
	whole := func(sc *Scorecard) *Scorecard { return &Scorecard{Envelope: sc.Envelope} }
	// The same envelope with the first character of its base64 escaped as
	// JSON allows (\u0065 for "e"): it verifies the same, but its base64 is
	// not in it verbatim.
	i := bytes.Index(sc.Envelope, []byte(`"payload":"e`)) + len(`"payload":"`)
	escaped := &Scorecard{Envelope: append(append(bytes.Clone(sc.Envelope[:i]), `\u0065`...), sc.Envelope[i+1:]...), Payload: sc.Payload, PayloadBase64: sc.PayloadBase64}
	if e, err := protocol.ParseEnvelope(escaped.Envelope); err != nil || e.Payload != sc.PayloadBase64 {
		t.Fatalf("escaped envelope does not parse to the same payload: %v", err)
	}
	// Base64 in lines, as some encoders write it: not canonical.
	lines := strings.Join([]string{sc.PayloadBase64[:76], sc.PayloadBase64[76:]}, "\n")
	wrapped := &Scorecard{Envelope: bytes.Replace(sc.Envelope, []byte(sc.PayloadBase64), []byte(strings.Replace(lines, "\n", `\n`, 1)), 1), Payload: sc.Payload, PayloadBase64: lines}
	// A caller whose payload does not match its base64.
	short := &Scorecard{Envelope: sc.Envelope, Payload: sc.Payload[:len(sc.Payload)-1], PayloadBase64: sc.PayloadBase64}
	// The base64 appearing first somewhere it is not the payload.
	decoy := &Scorecard{Envelope: append([]byte(`{"note":"`+sc.PayloadBase64[:40]+`",`), sc.Envelope[1:]...), Payload: sc.Payload, PayloadBase64: sc.PayloadBase64}
	for _, c := range []struct {
		name  string
		sc    *Scorecard
		clear bool
	}{
		{"verified", sc, true},
		{"envelope only", whole(sc), false},
		{"escaped", escaped, false},
		{"line breaks", wrapped, false},
		{"mismatched payload", short, false},
		{"decoy", decoy, true},
		{"tiny", &Scorecard{Envelope: []byte(`{}`)}, false},
	} {
		stored := packEnvelope(c.sc)
		back, err := expandEnvelope(stored)
		if err != nil || !bytes.Equal(back, c.sc.Envelope) {
			t.Errorf("%s: read back %d bytes (want %d identical), %v", c.name, len(back), len(c.sc.Envelope), err)
			continue
		}
		// The header says how much payload is kept in clear.
		rest := stored[len(storedMagic):]
		_, k := binary.Uvarint(rest)
		n, _ := binary.Uvarint(rest[k:])
		if clear := n > 0; clear != c.clear {
			t.Errorf("%s: payload kept in clear = %v, want %v", c.name, clear, c.clear)
		}
	}
	if r := float64(len(sc.Envelope)) / float64(len(packEnvelope(sc))); r < 5 {
		t.Errorf("server envelope compressed %.1f times, want at least 5", r)
	}
	if r := float64(len(sc.Envelope)) / float64(len(packEnvelope(whole(sc)))); r < 3 {
		t.Errorf("server envelope, whole, compressed %.1f times, want at least 3", r)
	}
}

// TestExpandEnvelope: the stored forms of earlier hubs still read, and a
// damaged row of any kind is an error, never a panic or other bytes.
func TestExpandEnvelope(t *testing.T) {
	t.Parallel()
	sc := signed(t, 2)
	enc, _ := zstd.NewWriter(nil)
	legacy := enc.EncodeAll(sc.Envelope, nil)
	for name, stored := range map[string][]byte{"zstd (before S2)": legacy, "raw (before compression)": sc.Envelope} {
		if back, err := expandEnvelope(stored); err != nil || !bytes.Equal(back, sc.Envelope) {
			t.Errorf("%s: %d bytes, %v", name, len(back), err)
		}
	}
	good := packEnvelope(sc)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x40; return b }
	huge := append(bytes.Clone(storedMagic), 0, 0, 0, 0, 0, 0)
	huge = append(huge, binary.AppendUvarint(nil, 1<<30)...) // an S2 block claiming 1 GiB
	for name, stored := range map[string][]byte{
		"truncated":          good[:len(good)/2],
		"header only":        good[:len(storedMagic)+1],
		"bad varint":         append(bytes.Clone(storedMagic), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"checksum":           flip(len(storedMagic) + 3),
		"content":            flip(len(good) - 10),
		"lengths past block": append(append(bytes.Clone(storedMagic), binary.AppendUvarint(nil, 1<<20)...), good[len(storedMagic)+2:]...),
		"1 GiB claimed":      huge,
		"zstd damaged":       append(bytes.Clone(legacy[:len(legacy)/2]), 0xde, 0xad),
	} {
		if back, err := expandEnvelope(stored); err == nil {
			t.Errorf("%s: read as %d bytes without error", name, len(back))
		}
	}
}
