package checks_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
)

func TestReadFileMax(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("12345"), 0o644)
	if b, err := checks.ReadFileMax(p, 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	if _, err := checks.ReadFileMax(p, 4); !errors.Is(err, checks.ErrFileTooLarge) {
		t.Errorf("over the limit: err = %v, want ErrFileTooLarge", err)
	}
	if _, err := checks.ReadFileMax(filepath.Join(dir, "absent"), 5); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent: err = %v", err)
	}
	if _, err := checks.ReadFileMax(dir, 5); err == nil {
		t.Error("a directory was read as a file")
	}
}
