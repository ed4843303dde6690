// Package archtest checks the shape of the code base from its tests: which
// package may import which (the layers of ARCHITECTURE.md), what a binary
// links, how long a file may grow. It asks the go tool (go list), so the
// rules read the same import graph the compiler builds.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Module is the project's module path.
const Module = "github.com/vigie-cyber/vigie"

// Package is what go list says about one package.
type Package struct {
	ImportPath string
	Dir        string
	Imports    []string // non-test imports
	Deps       []string // transitive non-test dependencies (with -deps)
	Error      *struct{ Err string }
}

// List runs `go list -json [args] patterns` for goos (empty: the host's)
// from dir and returns the packages. A missing go tool skips the test
// locally and fails it in CI (CI=true), like any missing peer.
func List(t testing.TB, dir, goos string, args ...string) []Package {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the go tool is not on PATH")
		}
		t.Skip("the go tool is not on PATH")
	}
	cmd := exec.Command(gobin, append([]string{"list", "-e", "-json=ImportPath,Dir,Imports,Deps,Error"}, args...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if goos != "" {
		cmd.Env = append(cmd.Env, "GOOS="+goos, "CGO_ENABLED=0")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	pkgs, err := decode(out)
	if err != nil {
		t.Fatalf("go list output: %v", err)
	}
	for _, p := range pkgs {
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
	}
	return pkgs
}

// decode reads go list's stream of JSON objects.
func decode(data []byte) ([]Package, error) {
	var out []Package
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var p Package
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}

// Root returns the module's root directory (the folder of go.mod), found
// upwards from the test's working directory.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's directory")
		}
		dir = parent
	}
}
