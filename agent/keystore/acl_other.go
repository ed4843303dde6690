//go:build !windows

package keystore

import "os"

// protectFile makes a file readable by its owner only (root for the service).
func protectFile(path string) error { return os.Chmod(path, 0o600) }

// ProtectDir creates the state directory, or restricts an existing one, to
// its owner only (0700): key, state, answers and spool live there.
func ProtectDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}
