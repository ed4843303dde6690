package checks

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// RunOptions tunes the runner.
type RunOptions struct {
	// Timeout is the default per-check deadline (Meta.Timeout overrides it).
	Timeout time.Duration
	// Concurrency bounds how many checks run at once.
	Concurrency int
	// Grace is how long the runner waits past the deadline for a check that
	// ignores its context before giving up on it.
	Grace time.Duration
}

// DefaultRunOptions suits a scan on a small host.
var DefaultRunOptions = RunOptions{Timeout: 20 * time.Second, Concurrency: 8, Grace: 500 * time.Millisecond}

// RunAll runs every check and returns one result per check, in the order of
// list. A check that panics, errors or hangs yields an error result for that
// check alone: a scorecard never has a hole where a check should be.
func RunAll(ctx context.Context, h *Host, list []Check, opt RunOptions) []protocol.Result {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultRunOptions.Timeout
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultRunOptions.Concurrency
	}
	if opt.Grace <= 0 {
		opt.Grace = DefaultRunOptions.Grace
	}
	out := make([]protocol.Result, len(list))
	sem := make(chan struct{}, opt.Concurrency)
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				out[i] = stamp(c.Meta(), Errored(protocol.Text{FR: "scan interrompu", EN: "scan interrupted"}, ctx.Err()), 0)
				return
			}
			out[i] = runOne(ctx, h, c, opt)
		}()
	}
	wg.Wait()
	return out
}

func runOne(ctx context.Context, h *Host, c Check, opt RunOptions) protocol.Result {
	m := c.Meta()
	if len(m.OS) > 0 && !slices.Contains(m.OS, h.OS) {
		return stamp(m, Skipped(protocol.Textf("ne s'applique pas à %s", "does not apply to %s", h.OS)), 0)
	}
	timeout := opt.Timeout
	if m.Timeout > 0 {
		timeout = m.Timeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan protocol.Result, 1) // buffered: a hung check that returns late does not leak a blocked goroutine
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Errored(protocol.Text{FR: "erreur interne de la vérification", EN: "internal error in the check"},
					fmt.Errorf("panic: %v\n%s", p, firstLines(debug.Stack(), 12)))
			}
		}()
		done <- c.Run(cctx, h)
	}()
	timer := time.NewTimer(timeout + opt.Grace)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.Status == "" {
			r = Errored(protocol.Text{FR: "résultat vide", EN: "empty result"}, fmt.Errorf("check %s returned no status", m.ID))
		}
		if r.Status != protocol.Error && cctx.Err() != nil && ctx.Err() == nil {
			// Finished, but only because its I/O was cut at the deadline.
			r = Errored(protocol.Textf("délai de %s dépassé", "deadline of %s exceeded", timeout), cctx.Err())
		}
		return stamp(m, r, time.Since(start))
	case <-timer.C:
		return stamp(m, Errored(protocol.Textf("délai de %s dépassé", "deadline of %s exceeded", timeout),
			fmt.Errorf("check %s did not stop", m.ID)), time.Since(start))
	}
}

func stamp(m Meta, r protocol.Result, d time.Duration) protocol.Result {
	r.ID, r.Version, r.Target, r.Duration = m.ID, m.Version, m.Target, d
	if m.Declared {
		r.Declared = true
	}
	return r
}

func firstLines(b []byte, n int) string {
	for i, c := range b {
		if c == '\n' {
			n--
			if n == 0 {
				return string(b[:i])
			}
		}
	}
	return string(b)
}
