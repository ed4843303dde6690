package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// FuzzOpenBundle: whatever the bytes, OpenBundle either refuses them or
// returns a bundle whose manifest matches its parts and that, signed
// again, opens to the same content; and no change to a valid bundle's
// bytes opens to different advisories.
func FuzzOpenBundle(f *testing.F) {
	_, key, _ := ed25519.GenerateKey(bytes.NewReader(make([]byte, 64)))
	pub := key.Public().(ed25519.PublicKey)
	good, err := protocol.SignBundle(&protocol.Bundle{CreatedAt: time.Unix(1700000000, 0).UTC(), HubVersion: "1.0",
		Advisories: []protocol.BundleAdvisory{{Reference: "CERTFR-2025-AVI-0001", Raw: []byte(`{"reference":"CERTFR-2025-AVI-0001"}`)}},
		Aliases:    []byte("[[vendor]]\nname = \"Fortinet\"\n")}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"payloadType":"application/vnd.vigie.bundle.v1+json","payload":"e30=","signatures":[{"keyid":"x","sig":"AA=="}]}`))
	f.Add([]byte("not json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := protocol.OpenBundle(data, pub)
		if err != nil {
			if b != nil {
				t.Fatal("refused with a bundle")
			}
			return
		}
		if b.SHA256["aliases"] != protocol.Digest(b.Aliases) || len(b.Advisories) > protocol.MaxBundleAdvisories {
			t.Fatalf("opened bundle's manifest does not match its parts")
		}
		// Only the key's holder could make it: the content is what was signed.
		if !bytes.Equal(data, good) {
			again, err := protocol.SignBundle(b, key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := protocol.OpenBundle(again, pub); err != nil {
				t.Fatalf("re-signed bundle refused: %v", err)
			}
		}
		if len(b.Advisories) != 1 || b.Advisories[0].Reference != "CERTFR-2025-AVI-0001" {
			t.Fatalf("a changed bundle opened with other advisories: %+v", b.Advisories)
		}
	})
}
