package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
)

// postLogin posts the login form to h as a browser at ip would (the login
// cookie and the form's CSRF field agree) and returns the status.
func postLogin(h http.Handler, ip, email, password string) int {
	form := url.Values{"csrf": {"c"}, "email": {email}, "password": {password}}
	r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: "__Host-vigie_login", Value: "c"})
	r.RemoteAddr = ip + ":40000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func auditCount(t *testing.T, st store.Store, action string) (n int, rows []store.AuditEntry) {
	t.Helper()
	log, err := st.AuditLog(context.Background(), 10_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == action {
			n++
			rows = append(rows, e)
		}
	}
	return n, rows
}

// TestLoginFormBounds: the login form cannot fill the disk or the memory
// (issue 13, item 1): a form over 16 KiB is refused unread (413), an
// address over 254 bytes is refused before it becomes a limiter key or an
// audit row, and throttled requests are counted in one audit row a minute
// instead of one row each.
func TestLoginFormBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	h := e.ui.Handler()
	if code := postLogin(h, "192.0.2.1", strings.Repeat("a", 4<<20)+"@x.example", "x"); code != http.StatusRequestEntityTooLarge {
		t.Errorf("4 MB address: %d, want 413", code)
	}
	if code := postLogin(h, "192.0.2.1", strings.Repeat("a", 300)+"@x.example", "x"); code != http.StatusBadRequest {
		t.Errorf("300-byte address: %d, want 400", code)
	}
	if code := postLogin(h, "192.0.2.1", "admin@csirt.example", strings.Repeat("p", web.MaxPasswordLen+1)); code != http.StatusBadRequest {
		t.Errorf("oversized password: %d, want 400", code)
	}
	log, _ := e.st.AuditLog(context.Background(), 100)
	if len(log) != 0 {
		t.Errorf("refused forms were audited: %+v", log)
	}

	refused := 0
	for i := range 200 {
		if postLogin(h, "192.0.2.2", fmt.Sprintf("guess%d-%s@x.example", i, strings.Repeat("z", 200)), "faux") == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 150 {
		t.Fatalf("%d of 200 guesses from one address throttled", refused)
	}
	n, rows := auditCount(t, e.st, "login_throttled")
	if n != 1 || !strings.Contains(rows[0].Target, "192.0.2.2") || strings.Contains(rows[0].Detail+rows[0].Actor, "guess") {
		t.Fatalf("%d login_throttled rows for %d throttled requests, want 1 summing them up without their text: %+v", n, refused, rows)
	}
	// Showing the audit log writes what was counted since.
	admin, _ := e.login(t, "admin@csirt.example")
	get(t, admin, e.srv.URL+"/audit")
	n, rows = auditCount(t, e.st, "login_throttled")
	total := 0
	for _, r := range rows {
		k, _ := strconv.Atoi(strings.Fields(r.Detail)[0])
		total += k
	}
	if n != 2 || total != refused {
		t.Errorf("%d rows counting %d throttled requests, want 2 counting %d: %+v", n, total, refused, rows)
	}
}

// TestAuditPaged: the audit page shows 100 entries and a link to the
// older ones, however long the log.
func TestAuditPaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	for i := range 250 {
		e.st.Audit(context.Background(), store.AuditEntry{At: now, Actor: "cli", Action: "export", Target: fmt.Sprintf("row-%03d", i)})
	}
	admin, _ := e.login(t, "admin@csirt.example")
	rowRE := regexp.MustCompile(`row-\d{3}`)
	olderRE := regexp.MustCompile(`href="(/audit\?before=\d+)"`)
	seen := map[string]bool{}
	path, pages := "/audit", 0
	for path != "" {
		resp, body := get(t, admin, e.srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		rows := rowRE.FindAllString(body, -1)
		if len(rows) > web.AuditPageSize {
			t.Fatalf("%s shows %d rows, page size %d", path, len(rows), web.AuditPageSize)
		}
		for _, r := range rows {
			seen[r] = true
		}
		path = ""
		if m := olderRE.FindStringSubmatch(body); m != nil {
			path = m[1]
		}
		if pages++; pages > 5 {
			t.Fatal("endless pages")
		}
	}
	if len(seen) != 250 || pages != 3 {
		t.Errorf("%d distinct rows over %d pages, want 250 over 3", len(seen), pages)
	}
	resp, _ := get(t, admin, e.srv.URL+"/audit?before=x")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("before=x: %d", resp.StatusCode)
	}
}

// TestLoginLockPerSource (issue 13, item 4): failures from one source lock
// the address there only; the adviser logs in from elsewhere.
func TestLoginLockPerSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	h := e.ui.Handler()
	for range 5 {
		postLogin(h, "203.0.113.9", "conseiller@csirt.example", "faux")
	}
	if code := postLogin(h, "203.0.113.9", "conseiller@csirt.example", "mot de passe très long"); code != http.StatusTooManyRequests {
		t.Errorf("sixth attempt from the attacker's address: %d, want 429", code)
	}
	if code := postLogin(h, "198.51.100.7", "conseiller@csirt.example", "mot de passe très long"); code != http.StatusSeeOther {
		t.Errorf("the adviser from their own address: %d, want 303 (logged in)", code)
	}
}

// TestTokenInstallCommandPublicURL (issue 13, item 9): a new token comes with the
// install command naming the hub's public address and fingerprint.
func TestTokenInstallCommandPublicURL(t *testing.T) {
	t.Parallel()
	spki := strings.Repeat("ab", 32)
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) {
		c.PublicURL, c.SPKI = "https://hub.region.example", spki
	})
	c, csrf := e.login(t, "admin@csirt.example")
	resp, err := c.PostForm(e.srv.URL+"/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"Mairie de Plouguerneau"}, "sector": {"commune"}, "hours": {"72"}, "uses": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`id="newtoken" class="big">([0-9A-Z-]+)<`).FindStringSubmatch(string(b))
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("token create: %d", resp.StatusCode)
	}
	want := "vigie install --hub https://hub.region.example --token " + m[1] + " --fingerprint " + spki
	if !strings.Contains(string(b), want) {
		t.Errorf("page lacks %q", want)
	}
	toks, _ := e.st.Tokens(context.Background())
	if len(toks) != 1 || toks[0].Uses != 3 {
		t.Errorf("token from the form: %+v", toks)
	}
}
