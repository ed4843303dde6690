package keystore

import (
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
