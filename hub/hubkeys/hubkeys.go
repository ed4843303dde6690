// Package hubkeys holds the hub's own keys: an Ed25519 key that signs what
// the hub hands out (bundles for isolated hubs, aggregates for the national
// hub) and an age X25519 identity that opens what agents encrypt to the hub
// (offline scorecards, incident bundles). Agents learn the public halves at
// enrolment or from GET /api/v1/hub-keys (protocol.HubKeys).
//
// The private halves are two files in the hub's data folder, 0600, written
// once and never rotated silently: a new age identity would make every
// stick already in the field unreadable. Reading and writing the files is
// the caller's job (cmd/vigie-hub), so this package only encodes.
package hubkeys

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/protocol"
)

// File names inside the data folder.
const (
	SigningFile = "hub-signing.key" // PKCS#8 PEM, like the agent's key
	AgeFile     = "hub-age.key"     // an age identity line, AGE-SECRET-KEY-1…
)

// Keys are the hub's private keys.
type Keys struct {
	Signing ed25519.PrivateKey
	Age     *age.X25519Identity
}

// Generate makes a new pair.
func Generate() (*Keys, error) {
	sk, err := protocol.GenerateKey()
	if err != nil {
		return nil, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	return &Keys{Signing: sk, Age: id}, nil
}

// Marshal returns the two files' contents.
func (k *Keys) Marshal() (signing, ageFile []byte, err error) {
	signing, err = protocol.MarshalPrivateKey(k.Signing)
	if err != nil {
		return nil, nil, err
	}
	ageFile = []byte("# Clé age du hub Vigie : ouvre les fiches hors ligne et les lots d'incident.\n" +
		"# public key: " + k.Age.Recipient().String() + "\n" + k.Age.String() + "\n")
	return signing, ageFile, nil
}

// Parse reads the two files' contents back.
func Parse(signing, ageFile []byte) (*Keys, error) {
	sk, err := protocol.ParsePrivateKey(signing)
	if err != nil {
		return nil, fmt.Errorf("%s : %w", SigningFile, err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(ageFile))
	if err != nil {
		return nil, fmt.Errorf("%s : %w", AgeFile, err)
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("%s : une seule identité age attendue, %d lues", AgeFile, len(ids))
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, fmt.Errorf("%s : identité age X25519 attendue", AgeFile)
	}
	return &Keys{Signing: sk, Age: id}, nil
}

// Public returns what the hub publishes.
func (k *Keys) Public() protocol.HubKeys {
	return protocol.HubKeys{
		SigningKey:   protocol.EncodePublicKey(k.Signing.Public().(ed25519.PublicKey)),
		AgeRecipient: k.Age.Recipient().String(),
	}
}

// Sign wraps payload in a DSSE envelope signed by the hub.
func (k *Keys) Sign(payloadType string, payload []byte) protocol.Envelope {
	return protocol.Sign(payloadType, payload, k.Signing)
}

// ErrNotForThisHub says an age file was encrypted to another recipient
// (another hub, or the CSIRT's own key).
var ErrNotForThisHub = errors.New("chiffré pour une autre clé que celle de ce hub")

// Decrypt opens an age stream encrypted to the hub. The plaintext is read
// lazily: the caller bounds what it reads.
func (k *Keys) Decrypt(r io.Reader) (io.Reader, error) {
	pr, err := age.Decrypt(r, k.Age)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrNotForThisHub
	}
	if err != nil {
		return nil, fmt.Errorf("fichier age illisible : %w", err)
	}
	return pr, nil
}

// Fingerprint is a short, human-comparable form of a signing key, as read
// aloud on the phone when a hub's key is pinned: the agent-ID form of the
// key (protocol.KeyID).
func Fingerprint(signingKey string) (string, error) {
	pub, err := protocol.DecodePublicKey(strings.TrimSpace(signingKey))
	if err != nil {
		return "", err
	}
	return protocol.KeyID(pub), nil
}
