package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"filippo.io/age"
)

// testOfflineResponse is a complete response signed by a fresh hub key.
func testOfflineResponse(t testing.TB) (OfflineEnrollResponse, ed25519.PrivateKey) {
	hubKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	agentKey, _ := GenerateKey()
	return OfflineEnrollResponse{
		EnrollResponse: EnrollResponse{
			AgentID: KeyID(agentKey.Public().(ed25519.PublicKey)), Entity: "Centre hospitalier de Test", Sector: "hospital",
			HubSPKISHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			HubKeys:       HubKeys{SigningKey: EncodePublicKey(hubKey.Public().(ed25519.PublicKey)), AgeRecipient: id.Recipient().String()},
		},
		HubURL:   "https://hub.region.example:8443",
		IssuedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
	}, hubKey
}

func TestOfflineEnrollResponseRoundTrip(t *testing.T) {
	r, key := testOfflineResponse(t)
	data, err := SignOfflineEnrollResponse(r, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOfflineEnrollResponse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}

	// Signed by another key than the one it names: refused at signing and
	// at reading.
	other, _ := GenerateKey()
	if _, err := SignOfflineEnrollResponse(r, other); err == nil {
		t.Error("signed with a key the response does not name")
	}
	payload, _ := json.Marshal(r)
	forged, _ := json.Marshal(Sign(OfflineEnrollPayloadType, payload, other))
	if _, err := ParseOfflineEnrollResponse(forged); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("signed by another key: %v, want ErrUnknownKey", err)
	}

	// One changed field inside the signed payload: the signature fails.
	var env Envelope
	json.Unmarshal(data, &env)
	p, _ := base64.StdEncoding.DecodeString(env.Payload)
	env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte("hospital"), []byte("commune"), 1))
	tampered, _ := json.Marshal(env)
	if _, err := ParseOfflineEnrollResponse(tampered); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered payload: %v, want ErrBadSignature", err)
	}

	// Another payload type (the agent's own enrol request): refused.
	req, _ := SignEnroll(EnrollRequest{Token: "T"}, key)
	if _, err := ParseOfflineEnrollResponse(req); !errors.Is(err, ErrPayloadType) {
		t.Errorf("enrol request read as a response: %v", err)
	}

	// Incomplete responses are refused before any signature is trusted.
	for name, mut := range map[string]func(*OfflineEnrollResponse){
		"no agent":     func(r *OfflineEnrollResponse) { r.AgentID = "" },
		"no entity":    func(r *OfflineEnrollResponse) { r.Entity = " " },
		"bad sector":   func(r *OfflineEnrollResponse) { r.Sector = "ministry" },
		"short spki":   func(r *OfflineEnrollResponse) { r.HubSPKISHA256 = "abcd" },
		"no age key":   func(r *OfflineEnrollResponse) { r.AgeRecipient = "" },
		"http hub url": func(r *OfflineEnrollResponse) { r.HubURL = "http://hub.example" },
		"no date":      func(r *OfflineEnrollResponse) { r.IssuedAt = time.Time{} },
	} {
		bad, _ := testOfflineResponse(t)
		bad.SigningKey = r.SigningKey
		mut(&bad)
		payload, _ := json.Marshal(bad)
		data, _ := json.Marshal(Sign(OfflineEnrollPayloadType, payload, key))
		if _, err := ParseOfflineEnrollResponse(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if _, err := ParseOfflineEnrollResponse(make([]byte, MaxEnrollSize+1)); !errors.Is(err, ErrEnvelopeTooLarge) {
		t.Errorf("oversized: %v", err)
	}
}

// FuzzParseOfflineEnrollResponse: whatever the parser accepts is a
// complete response whose envelope verifies, independently, with the
// signing key it names, and which signs back to an equal response.
func FuzzParseOfflineEnrollResponse(f *testing.F) {
	r, key := testOfflineResponse(f)
	good, err := SignOfflineEnrollResponse(r, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"payloadType"`), []byte(`"payloadtype"`), 1))
	f.Add([]byte(`{"payloadType":"application/vnd.vigie.enroll-response.v1+json","payload":"e30=","signatures":[{"keyid":"x","sig":"AA=="}]}`))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseOfflineEnrollResponse(data)
		if err != nil {
			if got != (OfflineEnrollResponse{}) {
				t.Fatalf("error %v with a non-zero response", err)
			}
			return
		}
		if err := got.check(); err != nil {
			t.Fatalf("accepted an incomplete response: %v", err)
		}
		pub, _, err := got.HubKeys.Parse()
		if err != nil {
			t.Fatal(err)
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := Verify(env, OfflineEnrollPayloadType, pub)
		if err != nil {
			t.Fatalf("accepted an envelope that does not verify with its own key: %v", err)
		}
		var again OfflineEnrollResponse
		if err := json.Unmarshal(payload, &again); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("accepted response differs from its signed payload: %v", err)
		}
	})
}
