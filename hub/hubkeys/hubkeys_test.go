package hubkeys

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/protocol"
)

func TestRoundTripAndPublic(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	sf, af, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(sf, af)
	if err != nil {
		t.Fatal(err)
	}
	if back.Public() != k.Public() {
		t.Fatalf("public keys changed through the files: %+v vs %+v", back.Public(), k.Public())
	}
	pub, rcpt, err := k.Public().Parse()
	if err != nil {
		t.Fatal(err)
	}
	// What the hub signs verifies with what it publishes.
	env := k.Sign("application/x-test", []byte("hello"))
	if _, err := protocol.Verify(env, "application/x-test", pub); err != nil {
		t.Fatalf("hub signature does not verify with its published key: %v", err)
	}
	// What an agent encrypts to the published recipient, the hub opens.
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("fiche"))
	w.Close()
	r, err := back.Decrypt(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); string(got) != "fiche" {
		t.Fatalf("decrypted %q", got)
	}
}

func TestDecryptForeignAndGarbage(t *testing.T) {
	k, _ := Generate()
	other, _ := age.GenerateX25519Identity()
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, other.Recipient())
	w.Write([]byte("x"))
	w.Close()
	if _, err := k.Decrypt(&buf); !errors.Is(err, ErrNotForThisHub) {
		t.Fatalf("file for another key: got %v, want ErrNotForThisHub", err)
	}
	if _, err := k.Decrypt(bytes.NewReader([]byte("not age at all"))); err == nil || errors.Is(err, ErrNotForThisHub) {
		t.Fatalf("garbage: got %v, want an unreadable-file error", err)
	}
}

func TestParseRefusesBadFiles(t *testing.T) {
	k, _ := Generate()
	sf, af, _ := k.Marshal()
	if _, err := Parse([]byte("nope"), af); err == nil {
		t.Fatal("bad signing key accepted")
	}
	if _, err := Parse(sf, []byte("# nothing\n")); err == nil {
		t.Fatal("empty age file accepted")
	}
	two := append(append([]byte{}, af...), af...)
	if _, err := Parse(sf, two); err == nil {
		t.Fatal("two identities accepted")
	}
	if _, _, err := (protocol.HubKeys{}).Parse(); !errors.Is(err, protocol.ErrNoHubKeys) {
		t.Fatalf("empty HubKeys: %v", err)
	}
	if _, _, err := (protocol.HubKeys{SigningKey: k.Public().SigningKey, AgeRecipient: "age1nope"}).Parse(); err == nil {
		t.Fatal("bad recipient accepted")
	}
}

func TestFingerprint(t *testing.T) {
	a, _ := Generate()
	b, _ := Generate()
	fa, err := Fingerprint(a.Public().SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := Fingerprint(b.Public().SigningKey)
	if fa == fb || fa == "" {
		t.Fatalf("fingerprints %q %q", fa, fb)
	}
	if _, err := Fingerprint("xx"); err == nil {
		t.Fatal("bad key fingerprinted")
	}
}
