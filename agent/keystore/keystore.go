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

// LoadOrCreateKey reads the private key at path, or creates it (0600, and its
// public half beside it as .pub) when absent. The directory is created 0700.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := protocol.ParsePrivateKey(data)
		if err != nil {
			return nil, false, fmt.Errorf("read key %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read key %s: %w", path, err)
	}
	k, err := protocol.GenerateKey()
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
	return nil
}
