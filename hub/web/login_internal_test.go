package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
)

// TestPasswordChecksBounded (issue 13, item 2): no more than
// MaxPasswordChecks argon2id checks (64 MiB each) run at once, whatever
// the number of addresses logging in; the next login waits PasswordWait,
// then gets 503 with Retry-After, and goes through once a slot is free.
func TestPasswordChecksBounded(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, Argon2: auth.Fast, MaxPasswordChecks: 2, PasswordWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := New(Config{Store: st, Argon2: auth.Fast}); cap(d.pwSlots) != 4 {
		t.Errorf("default: %d checks at once, want 4", cap(d.pwSlots))
	}
	release := make(chan struct{})
	var running, most atomic.Int32
	s.check = func(encoded, pw string) (bool, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		return false, nil
	}
	h := s.Handler()
	post := func(ip string) *httptest.ResponseRecorder {
		form := url.Values{"csrf": {"c"}, "email": {"conseiller@csirt.example"}, "password": {"faux"}}
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: loginCookie, Value: "c"})
		r.RemoteAddr = ip + ":1234"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); codes <- post("192.0.2." + string(rune('1'+i))).Code }()
	}
	for running.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	busy := post("198.51.100.1")
	if busy.Code != http.StatusServiceUnavailable || busy.Header().Get("Retry-After") == "" {
		t.Errorf("third login while two checks run: %d (Retry-After %q), want 503", busy.Code, busy.Header().Get("Retry-After"))
	}
	// Twenty logins from twenty addresses: never more than two checks.
	for i := range 18 {
		wg.Add(1)
		go func() { defer wg.Done(); codes <- post("203.0.113." + string(rune('a'+i))).Code }()
	}
	close(release)
	wg.Wait()
	close(codes)
	if most.Load() != 2 {
		t.Errorf("%d checks ran at once, want at most (and here exactly) 2", most.Load())
	}
	failed := 0
	for c := range codes {
		if c == http.StatusUnauthorized {
			failed++
		}
	}
	if failed < 2 {
		t.Errorf("only %d logins were checked once the slots were free", failed)
	}
}
