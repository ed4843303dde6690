package report

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
)

// PayloadType identifies a Vigie scorecard inside a DSSE envelope.
const PayloadType = "application/vnd.vigie.scorecard.v1+json"

// MaxEnvelopeSize bounds what Verify and the hub accept (1 MiB).
const MaxEnvelopeSize = 1 << 20

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

// GenerateKey makes a new Ed25519 key pair.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

// MarshalPrivateKey encodes a key as PKCS#8 PEM (readable by openssl).
func MarshalPrivateKey(k ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey encodes a key as PKIX PEM.
func MarshalPublicKey(k ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a PKCS#8 PEM Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want Ed25519", k)
	}
	return ek, nil
}

// ParsePublicKey reads a PKIX PEM Ed25519 public key; a private key file is
// accepted too and its public half returned.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("not a PEM file")
	}
	switch b.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, want Ed25519", k)
		}
		return ek, nil
	case "PRIVATE KEY":
		k, err := ParsePrivateKey(data)
		if err != nil {
			return nil, err
		}
		return k.Public().(ed25519.PublicKey), nil
	}
	return nil, fmt.Errorf("PEM block %q, want PUBLIC KEY", b.Type)
}

// LoadOrCreateKey reads the private key at path, or creates it (0600, and its
// public half beside it as .pub) when absent. The directory is created 0700.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := ParsePrivateKey(data)
		if err != nil {
			return nil, false, fmt.Errorf("read key %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read key %s: %w", path, err)
	}
	k, err := GenerateKey()
	if err != nil {
		return nil, false, err
	}
	if err := SaveKey(path, k); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// SaveKey writes the private key 0600 (atomically) and the public key 0644.
func SaveKey(path string, k ed25519.PrivateKey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	priv, err := MarshalPrivateKey(k)
	if err != nil {
		return err
	}
	pub, err := MarshalPublicKey(k.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(path, priv, 0o600); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := WriteFileAtomic(PublicKeyPath(path), pub, 0o644); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return nil
}

// PublicKeyPath is where the public half of the key at path is written.
func PublicKeyPath(path string) string { return path + ".pub" }

// WriteFileAtomic writes to a temporary file in the same directory, syncs it
// and renames it over path, so a crash leaves the old file or the new one,
// never half of either.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}
