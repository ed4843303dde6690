// Package ratelimit is a keyed token bucket (per agent, per IP, per account)
// with an injected clock, so limits are tested without sleeping.
package ratelimit

import (
	"crypto/sha256"
	"math"
	"sync"
	"time"
)

// DefaultMaxKeys bounds memory: past it, buckets that have refilled are
// forgotten (a full bucket and a forgotten one behave the same); if none
// has, new keys share one overflow bucket until some have. A key is kept
// as sent when short, else as its SHA-256 (MaxKeyLen): the keys come from
// outside (an e-mail typed into the login form, an address, an agent ID),
// so neither their number nor their length may grow the limiter.
const DefaultMaxKeys = 100_000

// MaxKeyLen is the longest key kept as sent; longer ones are hashed.
const MaxKeyLen = 64

// Limiter allows n events per period per key, with bursts up to burst.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
	maxKeys int
	// overflow is the bucket new keys share while the map is full.
	overflow *bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter; n <= 0 means unlimited. now may be nil (time.Now).
func New(n int, per time.Duration, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	l := &Limiter{burst: float64(burst), now: now, buckets: map[string]*bucket{}, maxKeys: DefaultMaxKeys}
	if n > 0 {
		l.rate = float64(n) / per.Seconds()
	}
	return l
}

// WithMaxKeys sets how many keys the limiter remembers (at least 1; tests
// use a small number) and returns it.
func (l *Limiter) WithMaxKeys(n int) *Limiter {
	l.maxKeys = max(n, 1)
	return l
}

// Len is the number of keys remembered.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

func bound(key string) string {
	if len(key) <= MaxKeyLen {
		return key
	}
	h := sha256.Sum256([]byte(key))
	return string(h[:])
}

// Allow takes one token for key. When none is left it returns false and how
// long until one is (for Retry-After).
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate == 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	key = bound(key)
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(t)
		}
		if len(l.buckets) >= l.maxKeys {
			// Full of keys still counting: a flood of new keys shares one
			// bucket rather than growing the map or evicting keys that are
			// being limited (which would reset their count).
			if l.overflow == nil {
				l.overflow = &bucket{tokens: l.burst, last: t}
			}
			b = l.overflow
		} else {
			b = &bucket{tokens: l.burst, last: t}
			l.buckets[key] = b
		}
	}
	if el := t.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = t
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

func (l *Limiter) sweep(t time.Time) {
	for k, b := range l.buckets {
		if b.tokens+t.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// RetryAfter formats a wait as whole seconds for the Retry-After header
// (at least 1).
func RetryAfter(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
