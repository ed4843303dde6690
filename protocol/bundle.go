package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// Bundles for isolated hubs (docs/protocol.md, "Bundles"): what a connected
// hub exports for a hub that cannot reach CERT-FR: the advisories it
// stored, its alias table and the identity of its guidance catalogue. One
// file, a DSSE envelope signed by the exporting hub's HubKeys.SigningKey
// over a Bundle; every part is inline, so the one signature covers every
// byte, and each part's SHA-256 is listed in the manifest so that a report
// can name what differs.

// BundlePayloadType is the DSSE payload type of a bundle.
const BundlePayloadType = "application/vnd.vigie.bundle.v1+json"

// MaxBundleSize bounds a bundle file (256 MiB: ten years of CERT-FR
// advisories take a few tens).
const MaxBundleSize = 256 << 20

// MaxBundleAdvisories bounds the advisories of one bundle.
const MaxBundleAdvisories = 100_000

// Bundle is the signed payload.
type Bundle struct {
	Format     int               `json:"format"` // 1
	CreatedAt  time.Time         `json:"created_at"`
	HubVersion string            `json:"hub_version"`
	Advisories []BundleAdvisory  `json:"advisories"`
	Aliases    []byte            `json:"aliases"` // the alias table's TOML source
	Catalogue  BundleCatalogue   `json:"catalogue"`
	SHA256     map[string]string `json:"sha256"` // part -> hex SHA-256: "aliases", "advisories"
}

// BundleAdvisory is one CERT-FR document, byte for byte as stored.
type BundleAdvisory struct {
	Reference string `json:"reference"`
	Raw       []byte `json:"raw"`
}

// BundleCatalogue names the exporting hub's guidance catalogue: the
// isolated hub compares, it does not replace its own (docs/protocol.md).
type BundleCatalogue struct {
	Checks int    `json:"checks"`
	SHA256 string `json:"sha256"`
}

// Digest is the hex SHA-256 of b.
func Digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// advisoriesDigest hashes the advisories in order, each as its reference,
// a NUL and its SHA-256, so that no two lists share a digest.
func advisoriesDigest(as []BundleAdvisory) string {
	h := sha256.New()
	for _, a := range as {
		d := sha256.Sum256(a.Raw)
		h.Write([]byte(a.Reference))
		h.Write([]byte{0})
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal fills the manifest's digests.
func (b *Bundle) Seal() {
	b.Format = 1
	b.SHA256 = map[string]string{"aliases": Digest(b.Aliases), "advisories": advisoriesDigest(b.Advisories)}
}

// ErrBundleKey says a bundle is not signed by the expected hub key.
var ErrBundleKey = errors.New("bundle not signed by the expected hub key")

// OpenBundle verifies data, a bundle file, against the exporting hub's
// key and returns its content, checked: the format, the manifest's
// digests, the references. A bundle signed by another key gives
// ErrBundleKey; anything else malformed, ErrMalformed.
func OpenBundle(data []byte, key ed25519.PublicKey) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("%w: bundle larger than %d bytes", ErrMalformed, MaxBundleSize)
	}
	// ParseEnvelope's own bound is a scorecard's: a bundle is larger.
	var env Envelope
	if err := jsonv2.Unmarshal(data, &env, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.PayloadType != BundlePayloadType || len(env.Signatures) != 1 {
		return nil, fmt.Errorf("%w: not a Vigie bundle (one signature of %s expected)", ErrMalformed, BundlePayloadType)
	}
	if env.Signatures[0].KeyID != KeyID(key) {
		return nil, ErrBundleKey
	}
	payload, err := Verify(env, BundlePayloadType, key)
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			return nil, err
		}
		// Signed by the expected key's ID, but the bytes changed.
		return nil, fmt.Errorf("%w: signature invalid: %v", ErrMalformed, err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: bundle: %v", ErrMalformed, err)
	}
	if b.Format != 1 {
		return nil, fmt.Errorf("%w: bundle format %d (this hub reads 1)", ErrMalformed, b.Format)
	}
	if len(b.Advisories) > MaxBundleAdvisories {
		return nil, fmt.Errorf("%w: %d advisories", ErrMalformed, len(b.Advisories))
	}
	for _, a := range b.Advisories {
		if a.Reference == "" || len(a.Reference) > 100 || len(a.Raw) == 0 {
			return nil, fmt.Errorf("%w: advisory %q without reference or document", ErrMalformed, a.Reference)
		}
	}
	if b.SHA256["aliases"] != Digest(b.Aliases) || b.SHA256["advisories"] != advisoriesDigest(b.Advisories) {
		return nil, fmt.Errorf("%w: a part does not match the manifest's SHA-256", ErrMalformed)
	}
	return &b, nil
}

// SignBundle returns the bundle file: b sealed and signed by key.
func SignBundle(b *Bundle, key ed25519.PrivateKey) ([]byte, error) {
	b.Seal()
	payload, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxBundleSize*3/4-4096 {
		return nil, fmt.Errorf("bundle too large: %d bytes", len(payload))
	}
	return json.Marshal(Sign(BundlePayloadType, payload, key))
}
