package checkstest

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI, where a missing peer is a failure.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need returns the path of a program an integration test needs. When it is
// missing the test skips locally but fails in CI: a skipped integration test
// in CI is a missing test (test.sh installs every peer).
func Need(t testing.TB, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		Unavailable(t, program+" is not installed (test.sh installs it)")
	}
	return p
}

// Unavailable skips locally and fails in CI, for any missing peer.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("integration peer missing in CI: %s", why)
	}
	t.Skipf("skipped: %s", why)
}
