package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

func TestKeyFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "agent.key")
	k, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("private key mode %v, want 0600 (%v)", fi.Mode().Perm(), err)
		}
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created || !k.Equal(k2) {
		t.Fatalf("reload: created=%v err=%v equal=%v", created, err, k.Equal(k2))
	}
	pubData, _ := os.ReadFile(PublicKeyPath(path))
	pub, err := protocol.ParsePublicKey(pubData)
	if err != nil || !pub.Equal(k.Public()) {
		t.Fatalf("public key file: %v", err)
	}
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("corrupt key accepted")
	}
}

// TestLoadOrCreateKeyProtects: the bootstrap restricts the key's folder and
// the key even when they already exist with loose rights (a folder made by
// a package, a key copied in by hand), as the service always did and
// `vigie scan --out` did not.
func TestLoadOrCreateKeyProtects(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes; the Windows DACL is TestKeyDACL's")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "agent.key")
	if _, _, err := LoadOrCreateKey(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("existing state folder left %v, want 0700", fi.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	if _, created, err := LoadOrCreateKey(path); err != nil || created {
		t.Fatalf("reload: %v %v", created, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing key left %v, want 0600", fi.Mode().Perm())
	}
	if _, err := LoadKey(filepath.Join(dir, "absent.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadKey of a missing file: %v, want os.ErrNotExist", err)
	}
}
