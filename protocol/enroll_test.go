package protocol_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

func enrollKey(seed byte) ed25519.PrivateKey {
	var s [32]byte
	s[0] = seed
	return ed25519.NewKeyFromSeed(s[:])
}

// TestSignedEnrollment (protocol v2): the enrolment request proves
// possession of the key it enrols; another key's signature, a request
// naming another key, an altered request or a scorecard's payload type
// are refused.
func TestSignedEnrollment(t *testing.T) {
	t.Parallel()
	mine, theirs := enrollKey(1), enrollKey(2)
	req := protocol.EnrollRequest{Token: "7F3K-Q9XD", Host: protocol.HostInfo{Hostname: "pc-accueil"}, AgentVersion: "2.0.0"}
	body, err := protocol.SignEnroll(req, mine)
	if err != nil {
		t.Fatal(err)
	}
	got, pub, err := protocol.VerifyEnroll(body)
	if err != nil || got.Token != req.Token || got.Host.Hostname != "pc-accueil" || !pub.Equal(mine.Public()) ||
		got.PublicKey != protocol.EncodePublicKey(mine.Public().(ed25519.PublicKey)) {
		t.Fatalf("VerifyEnroll = %+v, %v", got, err)
	}

	// Someone holding a token enrols another host's public key (its .pub
	// is world-readable) with their own signature.
	victim := req
	victim.PublicKey = protocol.EncodePublicKey(theirs.Public().(ed25519.PublicKey))
	payload, _ := json.Marshal(victim)
	forged, _ := json.Marshal(protocol.Sign(protocol.EnrollPayloadType, payload, mine))
	if _, _, err := protocol.VerifyEnroll(forged); !errors.Is(err, protocol.ErrUnknownKey) {
		t.Errorf("another host's key signed by mine: %v, want ErrUnknownKey", err)
	}
	// ...and with the victim's key ID in the envelope, the signature fails.
	var env protocol.Envelope
	json.Unmarshal(forged, &env)
	env.Signatures[0].KeyID = protocol.KeyID(theirs.Public().(ed25519.PublicKey))
	forged, _ = json.Marshal(env)
	if _, _, err := protocol.VerifyEnroll(forged); !errors.Is(err, protocol.ErrBadSignature) {
		t.Errorf("another host's key, its key ID, my signature: %v, want ErrBadSignature", err)
	}
	scorecard, _ := json.Marshal(protocol.Sign(protocol.PayloadType, payload, theirs))
	if _, _, err := protocol.VerifyEnroll(scorecard); !errors.Is(err, protocol.ErrPayloadType) {
		t.Errorf("scorecard payload type: %v", err)
	}
	plain, _ := json.Marshal(req) // a version 1 request, unsigned
	if _, _, err := protocol.VerifyEnroll(plain); !errors.Is(err, protocol.ErrMalformed) {
		t.Errorf("unsigned request: %v, want ErrMalformed", err)
	}
	noKey, _ := json.Marshal(protocol.Sign(protocol.EnrollPayloadType, []byte(`{"token":"x"}`), mine))
	if _, _, err := protocol.VerifyEnroll(noKey); !errors.Is(err, protocol.ErrMalformed) {
		t.Errorf("request without a key: %v", err)
	}
}

// FuzzVerifyEnroll: whatever the input, an accepted request names the key
// that signed it, and its envelope verifies with that key.
func FuzzVerifyEnroll(f *testing.F) {
	k := enrollKey(3)
	good, _ := protocol.SignEnroll(protocol.EnrollRequest{Token: "T"}, k)
	f.Add(good)
	f.Add([]byte(`{"token":"x","public_key":"AAAA"}`))
	f.Add([]byte(`{"payloadType":"application/vnd.vigie.enroll.v1+json","payload":"e30=","signatures":[{"keyid":"x","sig":"AA=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, pub, err := protocol.VerifyEnroll(data)
		if err != nil {
			return
		}
		env, perr := protocol.ParseEnvelope(data)
		if perr != nil || env.Signatures[0].KeyID != protocol.KeyID(pub) || req.PublicKey != protocol.EncodePublicKey(pub) {
			t.Fatalf("accepted request does not name its signer: %+v", req)
		}
		if _, err := protocol.Verify(env, protocol.EnrollPayloadType, pub); err != nil {
			t.Fatalf("accepted request does not verify: %v", err)
		}
	})
}
