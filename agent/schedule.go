package agent

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Clock is the agent's view of time, injected so that schedules, splay and
// backoff are tested without sleeping (STYLE.md rule 15).
type Clock interface {
	Now() time.Time
	// After returns a channel receiving once after d, and a stop function.
	After(d time.Duration) (<-chan time.Time, func())
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the wall time.
func (SystemClock) Now() time.Time { return time.Now() }

// After wraps time.NewTimer.
func (SystemClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Rand returns a uniform int64 in [0, n); n > 0. Injected for tests.
type Rand func(n int64) int64

// DefaultRand is math/rand/v2's generator (splay and jitter need no secrecy).
func DefaultRand(n int64) int64 { return rand.Int64N(n) }

func randDur(r Rand, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(r(int64(d)))
}

// Schedule decides when scans run.
type Schedule struct {
	Interval time.Duration // between scans
	Splay    time.Duration // random extra delay, so a region's agents do not all call at once
	// CatchUp bounds the random delay of a scan that is overdue (host was off
	// or the service stopped): it runs soon after start, not a full interval later.
	CatchUp time.Duration
	Rand    Rand
}

// DefaultCatchUp is the bound of the delay before an overdue scan.
const DefaultCatchUp = 5 * time.Minute

// Next returns when the next scan is due, given the last completed scan
// (zero if none) and now.
//
//   - never scanned, or the last scan is overdue: now plus a random delay of
//     at most CatchUp (and at most Splay), so that a region's agents booting
//     together after a power cut do not scan and upload in the same second;
//   - otherwise last + Interval + random [0, Splay).
//
// A last scan in the future (clock moved back) counts as now, so a clock
// jump backwards cannot postpone scans by more than one interval.
func (s Schedule) Next(last, now time.Time) time.Time {
	r := s.Rand
	if r == nil {
		r = DefaultRand
	}
	if last.After(now) {
		last = now
	}
	catch := s.CatchUp
	if catch <= 0 {
		catch = DefaultCatchUp
	}
	catch = min(catch, max(s.Splay, time.Second))
	if last.IsZero() || !last.Add(s.Interval).After(now) {
		return now.Add(randDur(r, catch))
	}
	return last.Add(s.Interval).Add(randDur(r, s.Splay))
}

// Backoff is exponential backoff with jitter for upload retries.
type Backoff struct {
	Base time.Duration // first delay, default 30 s
	Max  time.Duration // cap, default 6 h
	Rand Rand
}

// Default backoff bounds (docs/protocol.md).
const (
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffMax  = 6 * time.Hour
)

// Delay is the wait before retry number attempt (0 for the first retry):
// "equal jitter", half fixed and half random, of min(Max, Base*2^attempt).
// The fixed half guarantees that retries spread out; the random half that a
// region's agents do not retry in lockstep after a hub outage. A Retry-After
// from the hub wins when it is longer, capped at Max.
func (b Backoff) Delay(attempt int, retryAfter time.Duration) time.Duration {
	base, mx, r := b.Base, b.Max, b.Rand
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if mx <= 0 {
		mx = DefaultBackoffMax
	}
	if r == nil {
		r = DefaultRand
	}
	d := mx
	if attempt < 40 {
		d = min(mx, base<<attempt)
		if d <= 0 {
			d = mx
		}
	}
	d = d/2 + randDur(r, d/2+1)
	if retryAfter > d {
		d = min(retryAfter, mx)
	}
	return d
}

// ParseRetryAfter reads a Retry-After header: delta seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(DefaultBackoffMax/time.Second) {
			return DefaultBackoffMax
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), DefaultBackoffMax)
	}
	return 0
}
