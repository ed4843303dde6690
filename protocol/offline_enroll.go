package protocol

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Offline enrolment (docs/protocol.md, "Offline enrolment"): a host that
// cannot reach its hub writes its signed enrolment request (SignEnroll, the
// very body of POST /api/v1/enroll) to a file; the hub's operator runs
// `vigie-hub enroll-offline` on it, which enrols exactly as the API does
// and writes an OfflineEnrollResponse signed with the hub's signing key;
// the agent reads it back with ParseOfflineEnrollResponse.

// OfflineEnrollPayloadType identifies a signed offline enrolment response
// inside a DSSE envelope, signed by the hub's signing key (HubKeys.SigningKey).
const OfflineEnrollPayloadType = "application/vnd.vigie.enroll-response.v1+json"

// OfflineEnrollRequestSuffix and OfflineEnrollResponseSuffix end the names
// the commands suggest for the two files (a convention, never trusted).
const (
	OfflineEnrollRequestSuffix  = ".enroll-request.json"
	OfflineEnrollResponseSuffix = ".enroll-response.json"
)

// OfflineEnrollResponse is what the hub hands back to an agent enrolled
// offline: the reply the API would have given, plus the hub's public URL
// (for a later move online) and when it was issued.
type OfflineEnrollResponse struct {
	EnrollResponse
	// HubURL is the hub's public address, https://…, for an agent that
	// later reaches the network; empty when the hub does not know it.
	HubURL   string    `json:"hub_url,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
}

// SignOfflineEnrollResponse returns r as a DSSE envelope (JSON) signed by
// the hub's signing key, after checking that r names that key, so that
// the agent can verify the file with what is inside it.
func SignOfflineEnrollResponse(r OfflineEnrollResponse, hubKey ed25519.PrivateKey) ([]byte, error) {
	if r.SigningKey != EncodePublicKey(hubKey.Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("offline enrolment response: hub_signing_key is not the signing key's public half")
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(Sign(OfflineEnrollPayloadType, payload, hubKey), "", "  ")
}

// ParseOfflineEnrollResponse reads a response file: a DSSE envelope of
// OfflineEnrollPayloadType, at most MaxEnrollSize bytes, whose payload is a
// complete response (agent ID, entity, sector, hub SPKI, both hub keys)
// and whose signature verifies with the hub_signing_key it carries.
//
// That signature proves the file was not altered since whoever holds that
// key signed it; it does not prove that key is the hub's. The caller
// compares what it can with what it was given out of band (the hub's
// fingerprint, its signing key). Errors wrap ErrEnvelopeTooLarge,
// ErrMalformed, ErrPayloadType, ErrUnknownKey or ErrBadSignature.
func ParseOfflineEnrollResponse(data []byte) (OfflineEnrollResponse, error) {
	var r OfflineEnrollResponse
	if len(data) > MaxEnrollSize {
		return r, fmt.Errorf("%w: %d bytes (limit %d)", ErrEnvelopeTooLarge, len(data), MaxEnrollSize)
	}
	env, err := ParseEnvelope(data)
	if err != nil {
		return r, err
	}
	payload, err := OpenUnverified(env, OfflineEnrollPayloadType)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return OfflineEnrollResponse{}, fmt.Errorf("%w: offline enrolment response: %v", ErrMalformed, err)
	}
	if err := r.check(); err != nil {
		return OfflineEnrollResponse{}, err
	}
	pub, _, _ := r.HubKeys.Parse() // checked by r.check
	if _, err := Verify(env, OfflineEnrollPayloadType, pub); err != nil {
		return OfflineEnrollResponse{}, err
	}
	return r, nil
}

// check says whether r is complete and well formed.
func (r OfflineEnrollResponse) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: offline enrolment response: %s", ErrMalformed, fmt.Sprintf(format, a...))
	}
	if !ValidAgentID(r.AgentID) {
		return bad("agent_id %q is not an agent ID", Clip(r.AgentID, 80))
	}
	if strings.TrimSpace(r.Entity) == "" || len(r.Entity) > MaxLabel {
		return bad("entity missing or too long")
	}
	if _, err := ParseSector(r.Sector); err != nil {
		return bad("sector: %v", err)
	}
	if b, err := hex.DecodeString(r.HubSPKISHA256); err != nil || len(b) != 32 || strings.ToLower(r.HubSPKISHA256) != r.HubSPKISHA256 {
		return bad("hub_spki_sha256 is not 64 lower-case hex digits")
	}
	if _, _, err := r.HubKeys.Parse(); err != nil {
		return bad("hub keys: %v", err)
	}
	if r.HubURL != "" {
		u, err := url.Parse(r.HubURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(r.HubURL) > 2048 {
			return bad("hub_url %q is not an https:// address", Clip(r.HubURL, 80))
		}
	}
	if r.IssuedAt.IsZero() {
		return bad("issued_at missing")
	}
	return nil
}
