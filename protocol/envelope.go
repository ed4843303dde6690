package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
)

// PayloadType identifies a Vigie scorecard inside a DSSE envelope.
const PayloadType = "application/vnd.vigie.scorecard.v1+json"

// MaxEnvelopeSize bounds what Verify and the hub accept (4 MiB): room for
// a full software inventory of 10,000 packages (TestInventoryFits).
const MaxEnvelopeSize = 4 << 20

// Envelope is a DSSE envelope (github.com/secure-systems-lab/dsse).
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"` // standard base64
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"` // standard base64
}

// Errors returned by Verify; the command line maps them to plain sentences.
var (
	ErrMalformed        = errors.New("malformed envelope")
	ErrPayloadType      = errors.New("unexpected payload type")
	ErrBadSignature     = errors.New("signature does not match")
	ErrUnknownKey       = errors.New("signed with another key")
	ErrEnvelopeTooLarge = errors.New("envelope too large")
)

// PAE is DSSE's pre-authentication encoding: what is actually signed, so the
// payload type cannot be swapped without breaking the signature.
func PAE(payloadType string, payload []byte) []byte {
	b := paePrefix(make([]byte, 0, 32+len(payloadType)+len(payload)), payloadType, len(payload))
	return append(b, payload...)
}

// paePrefix appends what PAE puts before a payload of n bytes.
func paePrefix(b []byte, payloadType string, n int) []byte {
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, ' ')
}

// decodedLen is the length of padded standard base64 s once decoded, when
// s holds no line breaks (the decoder skips them, which only makes it
// shorter).
func decodedLen(s string) int {
	n := len(s) / 4 * 3
	if len(s)%4 == 0 && len(s) > 0 && s[len(s)-1] == '=' {
		n--
		if s[len(s)-2] == '=' {
			n--
		}
	}
	return n
}

// KeyID derives the stable identifier of a public key: the first 16 bytes of
// its SHA-256, hex. It is also the agent ID, so nobody can claim an agent's ID
// without its private key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Sign wraps payload into a signed envelope.
func Sign(payloadType string, payload []byte, key ed25519.PrivateKey) Envelope {
	sig := ed25519.Sign(key, PAE(payloadType, payload))
	return Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []Signature{{KeyID: KeyID(key.Public().(ed25519.PublicKey)), Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
}

// ParseEnvelope decodes an envelope, refusing oversized or malformed input.
func ParseEnvelope(data []byte) (Envelope, error) {
	var e Envelope
	if len(data) > MaxEnvelopeSize {
		return e, fmt.Errorf("%w: %d bytes (limit %d)", ErrEnvelopeTooLarge, len(data), MaxEnvelopeSize)
	}
	// JSON v2 (the reference implementation of encoding/json/v2): about
	// 3.5 times faster than encoding/json on scorecards, which is most of the
	// hub's ingestion cost; it also refuses duplicate keys, invalid UTF-8 and
	// trailing data, which a signed document should never contain.
	if err := jsonv2.Unmarshal(data, &e, jsonv2.RejectUnknownMembers(true)); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.PayloadType == "" || e.Payload == "" || len(e.Signatures) == 0 {
		return e, fmt.Errorf("%w: payloadType, payload and signatures are required", ErrMalformed)
	}
	return e, nil
}

// Verify checks the envelope against pub and the expected payload type and
// returns the payload. Every signature present must be by pub and valid: an
// envelope with an extra unverifiable signature is refused, not half-trusted.
func Verify(e Envelope, payloadType string, pub ed25519.PublicKey) ([]byte, error) {
	if e.PayloadType != payloadType {
		return nil, fmt.Errorf("%w: %q, want %q", ErrPayloadType, e.PayloadType, payloadType)
	}
	// The payload is decoded straight into the signed message (PAE), whose
	// tail it is: one copy of it instead of two, on every upload the hub
	// verifies.
	n, bound := decodedLen(e.Payload), base64.StdEncoding.DecodedLen(len(e.Payload))
	pae := paePrefix(make([]byte, 0, 32+len(payloadType)+bound), payloadType, n)
	m, err := base64.StdEncoding.Strict().Decode(pae[len(pae):len(pae)+bound], []byte(e.Payload))
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64: %v", ErrMalformed, err)
	}
	if m != n {
		// Only when the payload carries line breaks (which the decoder
		// skips): the signed message holds what they decode to.
		pae = PAE(payloadType, pae[len(pae):len(pae)+m])
	} else {
		pae = pae[:len(pae)+n]
	}
	payload := pae[len(pae)-m:]
	if len(e.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures, want 1", ErrMalformed, len(e.Signatures))
	}
	s := e.Signatures[0]
	if s.KeyID != KeyID(pub) {
		return nil, fmt.Errorf("%w: key id %q, this key is %q", ErrUnknownKey, s.KeyID, KeyID(pub))
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is not a base64 Ed25519 signature", ErrMalformed)
	}
	if !ed25519.Verify(pub, pae, sig) {
		return nil, ErrBadSignature
	}
	return payload, nil
}

// SignScorecard returns the DSSE envelope (JSON) of sc signed with key. The
// payload is compact JSON: indentation is for people reading --json files;
// in the envelope it would add a third to every upload and stored copy.
func SignScorecard(sc *Scorecard, key ed25519.PrivateKey) ([]byte, error) {
	payload, err := json.Marshal(sc)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Sign(PayloadType, payload, key))
}

// OpenUnverified returns an envelope's payload WITHOUT checking its
// signature, after checking its form (payload type, one well-formed Ed25519
// signature, strict base64). It is for readers that cannot verify (the
// agent's spool without the key) or that verified the same bytes before
// (the hub's pages showing a stored envelope verified on receipt); anything
// deciding trust uses Verify.
func OpenUnverified(e Envelope, payloadType string) ([]byte, error) {
	if e.PayloadType != payloadType {
		return nil, fmt.Errorf("%w: %q, want %q", ErrPayloadType, e.PayloadType, payloadType)
	}
	if len(e.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures, want 1", ErrMalformed, len(e.Signatures))
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(e.Signatures[0].Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is not a base64 Ed25519 signature", ErrMalformed)
	}
	p, err := base64.StdEncoding.Strict().DecodeString(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64: %v", ErrMalformed, err)
	}
	return p, nil
}

// EncodePublicKey is a public key as the wire carries it (standard base64
// of the 32 raw bytes).
func EncodePublicKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// DecodePublicKey reads a public key as the wire carries it.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key is not 32 Ed25519 bytes in base64", ErrMalformed)
	}
	return ed25519.PublicKey(b), nil
}
