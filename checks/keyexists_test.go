package checks_test

import (
	"errors"
	"os"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
)

// deniedRegistry refuses every read, as a key an unprivileged scan cannot open.
type deniedRegistry struct{ checkstest.Registry }

func (deniedRegistry) SubKeys(string) ([]string, error) { return nil, os.ErrPermission }

// TestKeyExists: present, absent, and unreadable are three answers; an
// unreadable key is never taken for an absent one.
func TestKeyExists(t *testing.T) {
	t.Parallel()
	r := checkstest.Registry{Values: map[string]map[string]any{`HKLM\SOFTWARE\Vigie`: {"x": uint64(1)}}}
	if ok, err := checks.KeyExists(r, `HKLM\SOFTWARE\Vigie`); !ok || err != nil {
		t.Errorf("present key: %v %v", ok, err)
	}
	if ok, err := checks.KeyExists(r, `HKLM\SOFTWARE\Absent`); ok || err != nil {
		t.Errorf("absent key: %v %v", ok, err)
	}
	if ok, err := checks.KeyExists(deniedRegistry{}, `HKLM\SOFTWARE\Vigie`); ok || !errors.Is(err, os.ErrPermission) {
		t.Errorf("unreadable key: %v %v, want the error", ok, err)
	}
}
