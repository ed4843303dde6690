package agent

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/protocol"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func half(n int64) int64 { return n / 2 }
func zero(int64) int64   { return 0 }
func top(n int64) int64  { return n - 1 }

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	s := Schedule{Interval: 24 * time.Hour, Splay: time.Hour, Rand: half}
	for _, tc := range []struct {
		name      string
		last, now time.Time
		want      time.Time
	}{
		{"first start: soon, with at most 5 min of splay", time.Time{}, t0, t0.Add(150 * time.Second)},
		{"on schedule: last + interval + splay", t0, t0.Add(time.Hour), t0.Add(24*time.Hour + 30*time.Minute)},
		{"missed run (host was off 3 days): catch up soon", t0, t0.Add(72 * time.Hour), t0.Add(72*time.Hour + 150*time.Second)},
		{"exactly due: catch up", t0, t0.Add(24 * time.Hour), t0.Add(24*time.Hour + 150*time.Second)},
		{"clock moved back: last counts as now", t0.Add(48 * time.Hour), t0, t0.Add(24*time.Hour + 30*time.Minute)},
	} {
		if got := s.Next(tc.last, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: next = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Splay spreads agents over [0, Splay).
	lo := Schedule{Interval: time.Hour, Splay: 10 * time.Minute, Rand: zero}.Next(t0, t0)
	hi := Schedule{Interval: time.Hour, Splay: 10 * time.Minute, Rand: top}.Next(t0, t0)
	if !lo.Equal(t0.Add(time.Hour)) || hi.Sub(lo) != 10*time.Minute-1 {
		t.Errorf("splay range %v .. %v", lo, hi)
	}
	// No splay: catch-up is still bounded by one second, not zero-divided.
	if got := (Schedule{Interval: time.Hour, Rand: top}).Next(time.Time{}, t0); got.Sub(t0) >= time.Second {
		t.Errorf("no splay catch-up %v", got.Sub(t0))
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := Backoff{Rand: zero}
	var got []time.Duration
	for i := 0; i < 12; i++ {
		got = append(got, b.Delay(i, 0))
	}
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 3 * time.Hour, 3 * time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("floor of delays (-want +got):\n%s", diff)
	}
	bt := Backoff{Rand: top}
	if d := bt.Delay(0, 0); d != 30*time.Second {
		t.Errorf("top of first delay %v", d)
	}
	if d := bt.Delay(1000, 0); d != 6*time.Hour {
		t.Errorf("cap %v", d)
	}
	if d := b.Delay(0, 10*time.Minute); d != 10*time.Minute {
		t.Errorf("Retry-After longer than backoff: %v", d)
	}
	if d := b.Delay(0, 100*time.Hour); d != 6*time.Hour {
		t.Errorf("Retry-After capped: %v", d)
	}
	if d := b.Delay(5, time.Second); d != 8*time.Minute {
		t.Errorf("short Retry-After does not shorten backoff: %v", d)
	}
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"120", 2 * time.Minute}, {" 5 ", 5 * time.Second}, {"0", 0}, {"-3", 0}, {"soon", 0}, {"", 0},
		{t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{t0.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999", 6 * time.Hour},
	} {
		if got := ParseRetryAfter(tc.v, t0); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// fakeClock fires timers when advanced; armed receives each After call.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, armed: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
	} else {
		c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	}
	c.mu.Unlock()
	c.armed <- d
	return ch, func() {}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(c.now) {
			tm.ch <- c.now
		} else {
			keep = append(keep, tm)
		}
	}
	c.timers = keep
}

func (c *fakeClock) waitArmed(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.armed:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("service loop never went to sleep")
		return 0
	}
}

// TestRunLoopCatchUpAndInterval drives the service loop with a fake clock: a
// run missed while the host was off happens within the catch-up delay, the
// next one an interval (plus splay) later, the loop never sleeps longer than
// MaxWait, and it stops at once when cancelled.
func TestRunLoopCatchUpAndInterval(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	clock := newFakeClock(t0)
	var scans atomic.Int32
	a, cfg := enrolledAgent(t, hub, Options{Clock: clock, Rand: half, Scan: func(ctx context.Context, o ScanOptions) (*protocol.Scorecard, error) {
		scans.Add(1)
		return fakeScan(ctx, o)
	}})
	UpdateState(cfg.StateDir, func(s *State) error { s.LastScan = t0.Add(-3 * time.Hour); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()

	if d := clock.waitArmed(t); d != 150*time.Second { // catch-up: min(5m, splay 10m) * half
		t.Fatalf("first sleep %v, want 2m30s", d)
	}
	clock.Advance(150 * time.Second)
	// After the catch-up scan: next at +1h +5m (interval + half splay), slept in MaxWait steps.
	var slept time.Duration
	for scans.Load() < 2 {
		d := clock.waitArmed(t)
		if d > 5*time.Minute {
			t.Fatalf("slept %v > MaxWait", d)
		}
		if scans.Load() != 1 {
			t.Fatalf("scans = %d during the interval", scans.Load())
		}
		slept += d
		clock.Advance(d)
		if slept > 2*time.Hour {
			t.Fatal("second scan never came")
		}
		waitFor(t, func() bool { return scans.Load() == 2 || len(clock.armed) > 0 })
	}
	if slept != 65*time.Minute {
		t.Errorf("second scan after %v, want 1h05m", slept)
	}
	clock.waitArmed(t)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not stop")
	}
	if got := hub.storedSeqs(); len(got) != 2 {
		t.Errorf("delivered %v", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

// TestRunRetriesWithBackoff: with the hub failing, the loop wakes at the
// backoff deadline (not at the next scan) and delivers once the hub is back.
func TestRunRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	var down atomic.Bool
	down.Store(true)
	hub.fault = func(int) fault {
		if down.Load() {
			return err503retry
		}
		return none
	}
	clock := newFakeClock(t0)
	a, _ := enrolledAgent(t, hub, Options{Clock: clock, Rand: zero, Backoff: &Backoff{Rand: zero}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	clock.waitArmed(t) // catch-up delay 0
	clock.Advance(0)
	// Scan done, upload failed: first retry 15 s later (equal jitter floor of 30 s).
	if d := clock.waitArmed(t); d != 15*time.Second {
		t.Fatalf("retry sleep %v, want 15s", d)
	}
	down.Store(false)
	clock.Advance(15 * time.Second)
	waitFor(t, func() bool { return len(hub.storedSeqs()) == 1 })
}
