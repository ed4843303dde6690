package protocol

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// PathHubKeys answers GET with the hub's public keys (HubKeys), for agents
// enrolled before the hub published them. Public keys are not secret; the
// agent reads them over its pinned connection, which is what makes them
// the hub's.
const PathHubKeys = "/api/v1/hub-keys"

// HubKeys are the hub's two public keys. The hub holds their private halves
// in its data folder.
type HubKeys struct {
	// SigningKey verifies what the hub signs (bundles for isolated hubs,
	// aggregates sent to the national hub): EncodePublicKey of an Ed25519
	// key.
	SigningKey string `json:"hub_signing_key,omitempty"`
	// AgeRecipient is the X25519 age recipient ("age1…") that offline
	// scorecards and incident bundles are encrypted to, so a lost USB
	// stick leaks nothing.
	AgeRecipient string `json:"hub_age_recipient,omitempty"`
}

// ErrNoHubKeys says a hub (older than protocol v3) published no keys.
var ErrNoHubKeys = errors.New("the hub publishes no keys (hub older than protocol v3)")

// Parse checks both keys and returns them usable. An empty HubKeys gives
// ErrNoHubKeys; a malformed one says which key is wrong.
func (k HubKeys) Parse() (ed25519.PublicKey, *age.X25519Recipient, error) {
	if k.SigningKey == "" && k.AgeRecipient == "" {
		return nil, nil, ErrNoHubKeys
	}
	pub, err := DecodePublicKey(k.SigningKey)
	if err != nil {
		return nil, nil, fmt.Errorf("hub_signing_key: %w", err)
	}
	r, err := age.ParseX25519Recipient(strings.TrimSpace(k.AgeRecipient))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hub_age_recipient: %v", ErrMalformed, err)
	}
	return pub, r, nil
}
