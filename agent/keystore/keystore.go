// Package keystore keeps the host's signing key and writes files
// atomically: the one place where the agent key is created, read and
// protected (0600 on Unix, an ACL for SYSTEM and Administrators only on
// Windows), used by `vigie scan --out`, `vigie enroll`, `vigie install` and
// the agent service alike.
package keystore

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vigie-cyber/vigie/protocol"
)

// LoadOrCreateKey is the agent's key bootstrap, the same for the service,
// `vigie enroll`, `vigie install` and `vigie scan --out`: the key's folder
// (the agent's state folder) is created or restricted first (0700; on
// Windows SYSTEM and Administrators only, inherited by what is created
// inside), then the key at path is read, or created with its public half
// beside it (.pub), and restricted itself (0600; the same DACL). An existing
// key is restricted again, so a key copied in with loose rights is fixed.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	if err := ProtectDir(filepath.Dir(path)); err != nil {
		return nil, false, fmt.Errorf("protect key directory %s: %w", filepath.Dir(path), err)
	}
	k, err := LoadKey(path)
	if errors.Is(err, os.ErrNotExist) {
		if k, err = protocol.GenerateKey(); err != nil {
			return nil, false, err
		}
		if err := SaveKey(path, k); err != nil {
			return nil, false, err
		}
		created = true
	} else if err != nil {
		return nil, false, err
	}
	if err := protectFile(path); err != nil {
		return nil, false, fmt.Errorf("protect key %s: %w", path, err)
	}
	return k, created, nil
}

// LoadKey reads an existing private key (PKCS#8 PEM Ed25519). A missing
// file is an error matching os.ErrNotExist.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	k, err := protocol.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("read key %s (want an Ed25519 PKCS#8 PEM private key): %w", path, err)
	}
	return k, nil
}

// SaveKey writes the private key 0600 (atomically) and the public key 0644.
func SaveKey(path string, k ed25519.PrivateKey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	priv, err := protocol.MarshalPrivateKey(k)
	if err != nil {
		return err
	}
	pub, err := protocol.MarshalPublicKey(k.Public().(ed25519.PublicKey))
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
	SyncDir(filepath.Dir(path))
	return nil
}

// SyncDir makes a rename in dir durable (best effort: not supported on
// Windows, where NTFS journals the rename itself).
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
