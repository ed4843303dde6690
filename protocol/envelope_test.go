package protocol

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	other, _ := GenerateKey()
	pub := key.Public().(ed25519.PublicKey)
	payload := []byte(`{"schema":"vigie.scorecard/v1","id":"x"}`)
	env := Sign(PayloadType, payload, key)
	raw, _ := json.Marshal(env)

	parsed, err := ParseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(parsed, PayloadType, pub)
	if err != nil || string(got) != string(payload) {
		t.Fatalf("Verify untouched = %q, %v", got, err)
	}
	if env.Signatures[0].KeyID != KeyID(pub) || len(KeyID(pub)) != 32 {
		t.Errorf("keyid %q, want KeyID(pub)", env.Signatures[0].KeyID)
	}

	// Every single flipped byte of the payload or of the signature is caught.
	for i := range payload {
		p := append([]byte(nil), payload...)
		p[i] ^= 0x01
		e := env
		e.Payload = base64.StdEncoding.EncodeToString(p)
		if _, err := Verify(e, PayloadType, pub); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("payload byte %d flipped: err = %v, want ErrBadSignature", i, err)
		}
	}
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	for i := range sig {
		s := append([]byte(nil), sig...)
		s[i] ^= 0x80
		e := env
		e.Signatures = []Signature{{KeyID: env.Signatures[0].KeyID, Sig: base64.StdEncoding.EncodeToString(s)}}
		if _, err := Verify(e, PayloadType, pub); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature byte %d flipped: err = %v", i, err)
		}
	}
	if _, err := Verify(env, PayloadType, other.Public().(ed25519.PublicKey)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("wrong key: err = %v, want ErrUnknownKey", err)
	}
	// Same key id but the signature made by another key (forged keyid).
	forged := Sign(PayloadType, payload, other)
	forged.Signatures[0].KeyID = KeyID(pub)
	if _, err := Verify(forged, PayloadType, pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("forged keyid: err = %v", err)
	}
	e := env
	e.PayloadType = "application/json"
	if _, err := Verify(e, PayloadType, pub); !errors.Is(err, ErrPayloadType) {
		t.Errorf("wrong payload type: err = %v", err)
	}
	// The payload type is inside the signature: relabelling it breaks it.
	relabelled := Sign("application/json", payload, key)
	relabelled.PayloadType = PayloadType
	if _, err := Verify(relabelled, PayloadType, pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("relabelled payload type: err = %v", err)
	}
	two := env
	two.Signatures = append(two.Signatures, env.Signatures[0])
	if _, err := Verify(two, PayloadType, pub); !errors.Is(err, ErrMalformed) {
		t.Errorf("two signatures: err = %v", err)
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"empty":     ``,
		"not json":  `hello`,
		"no sig":    `{"payloadType":"a","payload":"YQ==","signatures":[]}`,
		"unknown":   `{"payloadType":"a","payload":"YQ==","signatures":[{"keyid":"k","sig":"YQ=="}],"x":1}`,
		"trailing":  `{"payloadType":"a","payload":"YQ==","signatures":[{"keyid":"k","sig":"YQ=="}]} {}`,
		"too large": `{"payloadType":"` + string(make([]byte, MaxEnvelopeSize)) + `"}`,
	} {
		if _, err := ParseEnvelope([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseEnvelope: never panics, and whatever parses and verifies under a
// fresh key must have been signed by it (which random input never is).
func FuzzParseEnvelope(f *testing.F) {
	key, _ := GenerateKey()
	good, _ := json.Marshal(Sign(PayloadType, []byte(`{"a":1}`), key))
	f.Add(good)
	f.Add([]byte(`{"payloadType":"x","payload":"","signatures":[]}`))
	other, _ := GenerateKey()
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEnvelope(data)
		if err != nil {
			return
		}
		if _, err := Verify(e, PayloadType, other.Public().(ed25519.PublicKey)); err == nil {
			t.Fatal("random envelope verified under an unrelated key")
		}
	})
}
