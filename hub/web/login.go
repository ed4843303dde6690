package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Bounds on what a form may carry. Every field becomes something the hub
// keeps (a rate limiter's key, an audit row) or hashes (a password costs
// 64 MiB of argon2id), so none may be larger than its use needs.
const (
	// MaxFormSize bounds the body of any form of the UI.
	MaxFormSize = 16 << 10
	// MaxEmailLen is the longest e-mail address (RFC 5321: 254 bytes).
	MaxEmailLen = 254
	// MaxPasswordLen bounds a password (argon2id hashes any length).
	MaxPasswordLen = 1024
)

// throttleEvery is how often refused (throttled) logins are summed up in
// one audit row, instead of one row per request.
const throttleEvery = time.Minute

// maxThrottleAddrs bounds the addresses a throttle summary remembers.
const maxThrottleAddrs = 1000

// throttleLog counts logins refused by the rate limiters between two
// audit rows: a flood of refused requests costs one row a minute, not one
// row (with the attacker's text in it) per request.
type throttleLog struct {
	mu      sync.Mutex
	n       int
	addrs   map[string]int
	since   time.Time
	written time.Time // when the last summary was written
}

// add counts one refused login from addr and reports whether a summary is
// due (the first refusal after a quiet minute is written at once).
func (t *throttleLog) add(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.since = now
	}
	t.n++
	if t.addrs == nil {
		t.addrs = map[string]int{}
	}
	if _, ok := t.addrs[addr]; ok || len(t.addrs) < maxThrottleAddrs {
		t.addrs[addr]++
	}
	return now.Sub(t.written) >= throttleEvery
}

// take returns the summary of the refusals counted (n = 0: none) and
// starts counting again.
func (t *throttleLog) take(now time.Time) (n int, since time.Time, addrs string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, since = t.n, t.since
	if n == 0 {
		return 0, since, ""
	}
	type count struct {
		addr string
		n    int
	}
	var top []count
	for a, c := range t.addrs {
		top = append(top, count{a, c})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n || top[i].n == top[j].n && top[i].addr < top[j].addr })
	var parts []string
	for i, c := range top {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("+%d", len(top)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", c.addr, c.n))
	}
	t.n, t.addrs, t.written = 0, nil, now
	return n, since, strings.Join(parts, ", ")
}

// flushThrottled writes the summary of refused logins when one is due, or
// whatever was counted when force is set (before the audit log is shown).
func (s *Server) flushThrottled(ctx context.Context, force bool) {
	now := s.cfg.Now()
	s.throttled.mu.Lock()
	due := s.throttled.n > 0 && (force || now.Sub(s.throttled.written) >= throttleEvery)
	s.throttled.mu.Unlock()
	if !due {
		return
	}
	n, since, addrs := s.throttled.take(now)
	if n > 0 {
		s.record(ctx, "", "login_throttled", addrs, fmt.Sprintf("%d connexion(s) refusée(s) depuis %s", n, since.UTC().Format(time.RFC3339)))
	}
}

// takePasswordSlot waits up to PasswordWait for one of the
// MaxPasswordChecks argon2id slots; false when none came free.
func (s *Server) takePasswordSlot(ctx context.Context) bool {
	if s.pwSlots == nil {
		return true
	}
	select {
	case s.pwSlots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.cfg.PasswordWait)
	defer t.Stop()
	select {
	case s.pwSlots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	s.log.Warn("login: every password check slot busy, login refused with 503", "slots", cap(s.pwSlots))
	return false
}

func (s *Server) releasePasswordSlot() {
	if s.pwSlots != nil {
		<-s.pwSlots
	}
}

type loginData struct {
	Email, LoginCSRF, Err string
}

func (d loginData) flash() (string, string) { return "", d.Err }

func (s *Server) loginPage(q *req) {
	tok := randomToken()
	http.SetCookie(q.W, &http.Cookie{Name: loginCookie, Value: tok, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.render(q, http.StatusOK, "login", q.L.T("login"), loginData{LoginCSRF: tok})
}

// formError answers a form that could not be parsed: too large (413) or
// malformed (400).
func (s *Server) formError(q *req, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.message(q, http.StatusRequestEntityTooLarge, q.L.F("badinput", fmt.Sprintf("> %d o", MaxFormSize)))
		return
	}
	s.message(q, http.StatusBadRequest, q.L.T("badcsrf"))
}

func (s *Server) loginPost(q *req) {
	r := q.R
	if err := r.ParseForm(); err != nil {
		s.formError(q, err)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		s.message(q, http.StatusForbidden, q.L.T("badcsrf"))
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	again := func(status int, msg string) {
		tok := randomToken()
		http.SetCookie(q.W, &http.Cookie{Name: loginCookie, Value: tok, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
		s.render(q, status, "login", q.L.T("login"), loginData{Email: email, LoginCSRF: tok, Err: msg})
	}
	if len(email) > MaxEmailLen || len(password) > MaxPasswordLen {
		// No account has such an address: refused before it becomes a
		// limiter key or an audit row, and before any hashing.
		email = ""
		again(http.StatusBadRequest, q.L.T("badlogin"))
		return
	}
	ip := clientIP(r)
	s.flushThrottled(r.Context(), false)
	// Per address and source: someone elsewhere guessing an adviser's
	// password cannot lock the adviser out (the per-source limit and the
	// cost of argon2id bound the guessing).
	okIP, _ := s.loginIP.Allow(ip)
	okID, _ := s.loginID.Allow(email + "\x00" + ip)
	if !okIP || !okID {
		if s.throttled.add(ip, s.cfg.Now()) {
			s.flushThrottled(r.Context(), false)
		}
		again(http.StatusTooManyRequests, q.L.T("toomany"))
		return
	}
	if !s.takePasswordSlot(r.Context()) {
		q.W.Header().Set("Retry-After", "5")
		again(http.StatusServiceUnavailable, q.L.T("busy"))
		return
	}
	u, err := s.cfg.Store.UserByEmail(r.Context(), email)
	good := false
	if err == nil && !u.Disabled {
		good, _ = s.check(u.PasswordHash, password)
	} else {
		// Same work for an unknown account, so timing does not reveal it.
		s.check(s.dummy, password)
	}
	s.releasePasswordSlot()
	if !good {
		s.record(r.Context(), email, "login_failed", ip, "")
		again(http.StatusUnauthorized, q.L.T("badlogin"))
		return
	}
	cookie := randomToken()
	now := s.cfg.Now()
	se := store.Session{Hash: hashCookie(cookie), UserID: u.ID, CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.cfg.Store.CreateSession(r.Context(), se); err != nil {
		s.fail(q, err)
		return
	}
	http.SetCookie(q.W, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionTTL.Seconds())})
	http.SetCookie(q.W, &http.Cookie{Name: loginCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	s.record(r.Context(), u.Email, "login", ip, "")
	http.Redirect(q.W, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(q *req) {
	c, err := q.R.Cookie(sessionCookie)
	if err == nil {
		se, u, err := s.cfg.Store.SessionUser(q.R.Context(), hashCookie(c.Value), s.cfg.Now())
		if err == nil {
			q.R.ParseForm()
			if subtle.ConstantTimeCompare([]byte(q.R.PostForm.Get("csrf")), []byte(se.CSRF)) != 1 {
				s.message(q, http.StatusForbidden, q.L.T("badcsrf"))
				return
			}
			s.cfg.Store.DeleteSession(q.R.Context(), se.Hash)
			s.record(q.R.Context(), u.Email, "logout", "", "")
		}
	}
	http.SetCookie(q.W, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(q.W, q.R, "/login", http.StatusSeeOther)
}
