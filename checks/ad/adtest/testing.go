package adtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-cyber/vigie/checks/checkstest"
)

// Start provisions and starts a domain controller for t, stopped when t
// ends. A missing peer skips locally and fails in CI.
func Start(t testing.TB, opts Options) *DC {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
		// t.TempDir's parent is this test's own folder, 0700 like it: let
		// the DC's SMB sessions through (New opens the rest).
		os.Chmod(filepath.Dir(opts.Dir), 0o711)
	}
	if opts.Log == nil {
		opts.Log = t.Logf
	}
	d, err := New(context.Background(), opts)
	if errors.Is(err, ErrUnavailable) {
		checkstest.Unavailable(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
