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

// TestLimiterBoundsKeys: keys come from outside (the login form's e-mail):
// a flood of long, distinct keys neither grows the limiter past its bound
// nor keeps the keys' bytes; once full, new keys share one bucket, so the
// flood is itself limited, and keys already counting keep their count.
func TestLimiterBoundsKeys(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := New(5, 15*time.Minute, 5, func() time.Time { return now }).WithMaxKeys(100)
	for range 5 {
		l.Allow("victim@mairie.example")
	}
	big := make([]byte, 64<<10)
	refused := 0
	for i := range 1000 {
		big[i%len(big)] = byte('a' + i%26)
		big[len(big)-1-i] = byte(i)
		if ok, _ := l.Allow(string(big)); !ok {
			refused++
		}
	}
	if l.Len() > 100 {
		t.Errorf("%d keys remembered, bound 100", l.Len())
	}
	kept := 0
	for k := range l.buckets {
		kept += len(k)
	}
	if kept > 100*(MaxKeyLen+1) {
		t.Errorf("%d bytes of keys kept for 100 keys", kept)
	}
	if refused == 0 {
		t.Error("a flood of new keys past the bound was never limited")
	}
	if ok, _ := l.Allow("victim@mairie.example"); ok {
		t.Error("a key being limited lost its count in the flood")
	}
}
