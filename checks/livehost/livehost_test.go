package livehost_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/livehost"
)

func TestExecRunner(t *testing.T) {
	t.Parallel()
	r := livehost.ExecRunner{MaxOutput: 8}
	ctx := context.Background()
	out, err := r.Run(ctx, "sh", "-c", "echo 0123456789abcdef")
	if err != nil || string(out) != "01234567" {
		t.Fatalf("capped output = %q, %v; want the first 8 bytes", out, err)
	}
	_, err = r.Run(ctx, "sh", "-c", "echo oops >&2; exit 3")
	var ee *checks.ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || ee.Stderr != "oops" {
		t.Fatalf("exit error = %#v", err)
	}
	if _, err := r.Run(ctx, "vigie-no-such-program"); !errors.Is(err, checks.ErrNotFound) {
		t.Fatalf("missing program error = %v, want ErrNotFound", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := r.Run(tctx, "sleep", "10"); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("timeout not enforced: %v after %s", err, time.Since(start))
	}
}
