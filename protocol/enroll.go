package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
)

// EnrollPayloadType identifies a signed enrolment request inside a DSSE
// envelope (protocol v2). The envelope is signed by the key being
// enrolled: whoever enrols a public key proves they hold its private half,
// so a token holder cannot enrol another host's key (its .pub is
// world-readable) and lock that host out. The same signed request is what
// an offline enrolment carries.
const EnrollPayloadType = "application/vnd.vigie.enroll.v1+json"

// SignEnroll returns req as the body of POST /api/v1/enroll: a DSSE
// envelope (JSON) signed by key, with req.PublicKey set to key's public
// half.
func SignEnroll(req EnrollRequest, key ed25519.PrivateKey) ([]byte, error) {
	req.PublicKey = EncodePublicKey(key.Public().(ed25519.PublicKey))
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Sign(EnrollPayloadType, payload, key))
}

// VerifyEnroll reads a signed enrolment request and returns it with the
// public key it enrols, after checking that the envelope is signed by that
// very key. Errors wrap ErrEnvelopeTooLarge or ErrMalformed (not an
// envelope, not a request, no valid public key: the caller's 400),
// ErrPayloadType, ErrUnknownKey or ErrBadSignature (no proof of
// possession).
func VerifyEnroll(data []byte) (EnrollRequest, ed25519.PublicKey, error) {
	var req EnrollRequest
	if len(data) > MaxEnrollSize {
		return req, nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrEnvelopeTooLarge, len(data), MaxEnrollSize)
	}
	env, err := ParseEnvelope(data)
	if err != nil {
		return req, nil, err
	}
	payload, err := OpenUnverified(env, EnrollPayloadType)
	if err != nil {
		return req, nil, err
	}
	// Unknown fields are ignored: a newer agent may add some.
	if err := json.Unmarshal(payload, &req); err != nil {
		return EnrollRequest{}, nil, fmt.Errorf("%w: enrolment request: %v", ErrMalformed, err)
	}
	pub, err := DecodePublicKey(req.PublicKey)
	if err != nil {
		return EnrollRequest{}, nil, err
	}
	if _, err := Verify(env, EnrollPayloadType, pub); err != nil {
		return EnrollRequest{}, nil, err
	}
	return req, pub, nil
}
