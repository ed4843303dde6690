package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := New(60, time.Hour, 2, func() time.Time { return now })
	for i := range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("burst event %d refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != time.Minute {
		t.Fatalf("third event: ok=%v wait=%v, want refused for 1m", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("other key limited")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("refilled token refused")
	}
	if RetryAfter(1500*time.Millisecond) != 2 || RetryAfter(0) != 1 {
		t.Error("RetryAfter rounding")
	}
	var unlimited *Limiter
	if ok, _ := unlimited.Allow("x"); !ok {
		t.Error("nil limiter limits")
	}
	if ok, _ := New(0, time.Hour, 1, nil).Allow("x"); !ok {
		t.Error("n=0 limits")
	}
}
