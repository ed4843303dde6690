//go:build !windows

package agent

import "os"

// protectKey makes the key readable by root only.
func protectKey(path string) error { return os.Chmod(path, 0o600) }

// protectDir creates the state directory, root only.
func protectDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}
