package checks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

func fn(id string, f func(ctx context.Context, h *checks.Host) protocol.Result) checks.Check {
	return checks.Func{M: checks.Meta{ID: id, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.High}, F: f}
}

func TestRunAllIsolatesPanicsAndHangs(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	list := []checks.Check{
		fn("t.ok", func(context.Context, *checks.Host) protocol.Result {
			return checks.Passed(protocol.Textf("bien", "fine"), nil)
		}),
		fn("t.panic", func(context.Context, *checks.Host) protocol.Result { panic("boom") }),
		// Ignores its context entirely: the runner must give up on it.
		fn("t.hang", func(context.Context, *checks.Host) protocol.Result { <-release; return protocol.Result{} }),
		// Honours its context: returns when the deadline cuts its I/O.
		fn("t.slow", func(ctx context.Context, _ *checks.Host) protocol.Result {
			<-ctx.Done()
			return checks.Passed(protocol.Textf("trop tard", "too late"), nil)
		}),
		fn("t.empty", func(context.Context, *checks.Host) protocol.Result { return protocol.Result{} }),
		checks.Func{M: checks.Meta{ID: "t.windows", OS: []string{"windows"}}, F: func(context.Context, *checks.Host) protocol.Result {
			t.Error("a Windows-only check ran on Linux")
			return protocol.Result{}
		}},
	}
	start := time.Now()
	res := checks.RunAll(context.Background(), checkstest.Host(), list, checks.RunOptions{Timeout: 100 * time.Millisecond, Grace: 50 * time.Millisecond})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("RunAll took %s: a hung check blocked the scan", el)
	}
	want := map[string]protocol.Status{
		"t.ok": protocol.Pass, "t.panic": protocol.Error, "t.hang": protocol.Error, "t.slow": protocol.Error,
		"t.empty": protocol.Error, "t.windows": protocol.NotApplicable,
	}
	if len(res) != len(list) {
		t.Fatalf("got %d results for %d checks", len(res), len(list))
	}
	for i, r := range res {
		if r.ID != list[i].Meta().ID {
			t.Errorf("result %d has ID %q, want %q (order must follow the list)", i, r.ID, list[i].Meta().ID)
		}
		if r.Status != want[r.ID] {
			t.Errorf("%s: status %s, want %s (%s)", r.ID, r.Status, want[r.ID], r.Evidence.EN)
		}
	}
	if !strings.Contains(res[1].Evidence.EN, "boom") {
		t.Errorf("panic evidence %q does not name the panic", res[1].Evidence.EN)
	}
	if !strings.Contains(res[2].Evidence.FR, "délai") {
		t.Errorf("hang evidence %q does not say the deadline passed", res[2].Evidence.FR)
	}
}

func TestRunAllBoundsConcurrency(t *testing.T) {
	t.Parallel()
	var running, peak int32
	mu := make(chan struct{}, 1)
	var list []checks.Check
	for i := 0; i < 20; i++ {
		list = append(list, fn("t.c", func(context.Context, *checks.Host) protocol.Result {
			mu <- struct{}{}
			running++
			if running > peak {
				peak = running
			}
			<-mu
			time.Sleep(5 * time.Millisecond)
			mu <- struct{}{}
			running--
			<-mu
			return checks.Passed(protocol.Text{}, nil)
		}))
	}
	checks.RunAll(context.Background(), checkstest.Host(), list, checks.RunOptions{Concurrency: 3, Timeout: time.Second})
	if peak > 3 || peak == 0 {
		t.Fatalf("peak concurrency %d, want 1..3", peak)
	}
}

func TestRunAllCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := checks.RunAll(ctx, checkstest.Host(), []checks.Check{fn("t.x", func(ctx context.Context, _ *checks.Host) protocol.Result {
		return checks.Passed(protocol.Text{}, nil)
	})}, checks.RunOptions{Concurrency: 1})
	if len(res) != 1 || res[0].ID != "t.x" {
		t.Fatalf("cancelled scan lost its result: %+v", res)
	}
}
