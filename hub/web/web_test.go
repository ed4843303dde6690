package web_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

var sectors = []string{"commune", "hospital", "port"}

// seed enrols hosts for n entities and stores `cards` signed scorecards per
// host, one a day up to now; entity 0 has been silent for 60 days.
func seed(t testing.TB, st store.Store, n, hosts, cards int) {
	t.Helper()
	ctx := context.Background()
	seedN := uint64(0)
	for i := range n {
		name := fmt.Sprintf("Mairie de Test %03d", i)
		if i%3 == 1 {
			name = fmt.Sprintf("Centre hospitalier %03d", i)
		} else if i%3 == 2 {
			name = fmt.Sprintf("Port de commerce %03d", i)
		}
		e, err := st.EnsureEntity(ctx, name, sectors[i%3])
		if err != nil {
			t.Fatal(err)
		}
		for range hosts {
			seedN++
			a := hubtest.NewAgent(seedN, float64(i%10)/10+0.05)
			tok := fmt.Sprint("seed-", seedN)
			st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now.AddDate(0, -6, 0), ExpiresAt: now})
			if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey), Hostname: a.Host.Hostname, OS: a.Host.OS, Platform: a.Host.Platform, PlatformVersion: a.Host.PlatformVersion, AgentVersion: "1.0.0"}, now.AddDate(0, -6, 0)); err != nil {
				t.Fatal(err)
			}
			end := now
			if i == 0 {
				end = now.AddDate(0, 0, -60)
			}
			for c := range cards {
				at := end.Add(-time.Duration(cards-1-c) * 24 * time.Hour)
				sc := a.Next(at)
				env := a.Sign(sc)
				if o, err := st.SaveScorecard(ctx, api.Record(sc.Summary(), env, at.Add(time.Minute))); err != nil || o != store.Stored {
					t.Fatalf("seed: %v %v", o, err)
				}
			}
		}
	}
}

// guidance is the real catalogue, so pages are tested with the advice
// advisers will read.
var guidance = func() checks.Catalogue {
	c, err := catalogue.Load()
	if err != nil {
		panic(err)
	}
	return c
}()

type env struct {
	st     store.Store
	srv    *httptest.Server
	ui     *web.Server
	client *http.Client
}

func newEnv(t testing.TB, dsn string, minAgg int, opts ...func(*web.Config)) *env {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := web.Config{Store: st, Guidance: guidance, Version: "test", Now: func() time.Time { return now }, Argon2: auth.Fast, MinAggregate: minAgg}
	for _, o := range opts {
		o(&cfg)
	}
	ui, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	api.New(api.Config{Store: st, Now: func() time.Time { return now }}).Register(mux)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	for _, u := range []struct{ email, role string }{{"admin@csirt.example", "admin"}, {"conseiller@csirt.example", "adviser"}} {
		h, _ := auth.Hash("mot de passe très long", auth.Fast)
		if _, err := st.CreateUser(context.Background(), store.User{Email: u.email, Role: store.Role(u.role), PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}
	return &env{st: st, srv: srv, ui: ui}
}

func (e *env) newClient(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: the server's client is shared
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", body)
	}
	return m[1]
}

func (e *env) login(t testing.TB, email string) (*http.Client, string) {
	t.Helper()
	c := e.newClient(t)
	_, body := get(t, c, e.srv.URL+"/login")
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, body)}, "email": {email}, "password": {"mot de passe très long"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = get(t, c, e.srv.URL+"/")
	return c, csrfOf(t, body)
}

func TestLoginAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	c := e.newClient(t)
	resp, _ := get(t, c, e.srv.URL+"/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("anonymous overview: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(t, c, e.srv.URL+"/login")
	if got := resp.Header.Get("Content-Security-Policy"); got != web.CSP || !strings.Contains(got, "default-src 'none'") {
		t.Errorf("CSP = %q", got)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("inline script or style in page")
	}
	if !strings.Contains(body, `lang="fr"`) || !strings.Contains(body, "Se connecter") {
		t.Error("login page not French by default")
	}
	// Without the login cookie's value, the form is refused (CSRF).
	resp, err := e.newClient(t).PostForm(e.srv.URL+"/login", url.Values{"csrf": {"forged"}, "email": {"admin@csirt.example"}, "password": {"mot de passe très long"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged login form: %d", resp.StatusCode)
	}
	// Wrong password: 401 and audited.
	resp, err = c.PostForm(e.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, body)}, "email": {"admin@csirt.example"}, "password": {"faux"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "incorrect") {
		t.Errorf("wrong password: %d %s", resp.StatusCode, b)
	}
	// Rate limit: five failures per account in 15 minutes.
	for range 5 {
		_, body = get(t, c, e.srv.URL+"/login")
		resp, _ = c.PostForm(e.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, body)}, "email": {"conseiller@csirt.example"}, "password": {"faux"}})
		resp.Body.Close()
	}
	_, body = get(t, c, e.srv.URL+"/login")
	resp, _ = c.PostForm(e.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, body)}, "email": {"conseiller@csirt.example"}, "password": {"mot de passe très long"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("sixth attempt: %d, want 429", resp.StatusCode)
	}

	admin, csrf := e.login(t, "admin@csirt.example")
	var session *http.Cookie
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range admin.Jar.Cookies(u) {
		if ck.Name == "__Host-vigie_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	resp, err = admin.PostForm(e.srv.URL+"/logout", url.Values{"csrf": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout with a wrong CSRF token: %d", resp.StatusCode)
	}
	resp, _ = admin.PostForm(e.srv.URL+"/logout", url.Values{"csrf": {csrf}})
	resp.Body.Close()
	if resp, _ := get(t, admin, e.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
	log, _ := e.st.AuditLog(context.Background(), 100)
	actions := map[string]bool{}
	for _, a := range log {
		actions[a.Action] = true
	}
	for _, want := range []string{"login", "login_failed", "login_throttled", "logout"} {
		if !actions[want] {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	c := e.newClient(t)
	_, body := get(t, c, e.srv.URL+"/login")
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, body)}, "email": {"admin@csirt.example"}, "password": {"mot de passe très long"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var raw string
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "__Host-vigie_session=") {
			raw = h
		}
	}
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(raw, attr) {
			t.Errorf("session cookie %q lacks %s", raw, attr)
		}
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 7, 2, 4)
	c, csrf := e.login(t, "conseiller@csirt.example")

	resp, body := get(t, c, e.srv.URL+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("overview %d", resp.StatusCode)
	}
	for _, want := range []string{`id="heatmap"`, "Mairie de Test 000", "Port de commerce 002", "Répartition des niveaux", "Entités concernées", "silencieuses depuis plus de 30 jours"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<code class="id">[a-z]+\.<wbr>[a-z<>-]+</code></td><td class="num">[1-7]</td>`).MatchString(body) {
		t.Error("no most-failed check listed")
	}
	if !regexp.MustCompile(`(?s)silencieuses.*Mairie de Test 000`).MatchString(body) {
		t.Error("entity silent for 60 days not listed")
	}
	// Filtering by sector leaves fewer than 5 entities: aggregates hidden.
	_, body = get(t, c, e.srv.URL+"/?sector=port")
	if strings.Contains(body, "Mairie de Test") || !strings.Contains(body, "Statistiques masquées") {
		t.Error("sector filter or aggregate threshold not applied")
	}
	_, body = get(t, c, e.srv.URL+"/?lang=en")
	if !strings.Contains(body, "Heat map") || !strings.Contains(body, `lang="en"`) {
		t.Error("English not served")
	}
	_, body = get(t, c, e.srv.URL+"/") // remembered by the cookie
	if !strings.Contains(body, "Heat map") {
		t.Error("language not remembered")
	}
	get(t, c, e.srv.URL+"/?lang=fr")

	rows, _ := e.st.Hosts(context.Background(), store.HostFilter{})
	entityID := rows[len(rows)-1].Agent.EntityID
	resp, body = get(t, c, fmt.Sprintf("%s/entity/%d", e.srv.URL, entityID))
	if resp.StatusCode != 200 || !strings.Contains(body, "<polyline") || !strings.Contains(body, "Les 6 mesures prioritaires") || !strings.Contains(body, `id="hosts"`) {
		t.Errorf("entity page %d lacks chart, actions or hosts", resp.StatusCode)
	}
	agent := rows[len(rows)-1].Agent.ID
	resp, body = get(t, c, e.srv.URL+"/host/"+agent)
	if resp.StatusCode != 200 || !strings.Contains(body, "Signature Ed25519 valide") || !strings.Contains(body, "Toutes les vérifications") {
		t.Errorf("host page %d lacks signature status or results", resp.StatusCode)
	}
	if resp, _ := get(t, c, e.srv.URL+"/host/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown host: %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, e.srv.URL+"/entity/999999"); resp.StatusCode != 404 {
		t.Errorf("unknown entity: %d", resp.StatusCode)
	}

	resp, body = get(t, c, e.srv.URL+"/export.csv?sector=hospital")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 1+2*2 || !strings.Contains(lines[0], "score_patch") || !strings.Contains(body, "Centre hospitalier") || strings.Contains(body, "Mairie") {
		t.Errorf("csv export:\n%s", body)
	}
	resp, body = get(t, c, e.srv.URL+"/export.json")
	if resp.StatusCode != 200 || !strings.Contains(body, `"hosts"`) || strings.Count(body, `"agent_id"`) != 14 {
		t.Errorf("json export %d: %d hosts", resp.StatusCode, strings.Count(body, `"agent_id"`))
	}

	// An adviser cannot reach the admin pages, nor post without CSRF.
	if resp, _ := get(t, c, e.srv.URL+"/admin/tokens"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("adviser on admin page: %d", resp.StatusCode)
	}
	resp, _ = c.PostForm(e.srv.URL+"/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"X"}, "hours": {"1"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("adviser creating a token: %d", resp.StatusCode)
	}
}

func TestAdminPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 1, 1, 1)
	c, csrf := e.login(t, "admin@csirt.example")
	post := func(path string, v url.Values) (int, string) {
		t.Helper()
		resp, err := c.PostForm(e.srv.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post("/admin/tokens", url.Values{"entity": {"Mairie de Plouguerneau"}, "sector": {"commune"}, "hours": {"72"}}); code != http.StatusForbidden {
		t.Errorf("form without CSRF token: %d", code)
	}
	code, body := post("/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"Mairie de Plouguerneau"}, "sector": {"commune"}, "hours": {"72"}})
	m := regexp.MustCompile(`id="newtoken" class="big">([0-9A-Z-]+)<`).FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("token create: %d", code)
	}
	// The token shown works for enrolment.
	a := hubtest.NewAgent(500, 0.5)
	r, err := a.Enroll(context.Background(), e.srv.Client(), e.srv.URL, m[1])
	if err != nil || r.Status != 201 || r.Body["entity"] != "Mairie de Plouguerneau" {
		t.Fatalf("enrol with the UI token: %v %v", r, err)
	}
	before, _ := e.st.Entities(context.Background())
	for name, v := range map[string]url.Values{
		"empty entity":        {"entity": {""}, "sector": {"commune"}},
		"NUL in the name":     {"entity": {"Mairie\x00de X"}, "sector": {"commune"}},
		"line break":          {"entity": {"Mairie\nde X"}, "sector": {"commune"}},
		"invalid UTF-8":       {"entity": {"Mairie \xff"}, "sector": {"commune"}},
		"unknown sector":      {"entity": {"Mairie de X"}, "sector": {"comune"}},
		"no sector":           {"entity": {"Mairie de X"}},
		"name over 200 bytes": {"entity": {strings.Repeat("é", 101)}, "sector": {"commune"}},
	} {
		v.Set("csrf", csrf)
		v.Set("hours", "72")
		if code, _ := post("/admin/tokens", v); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if es, _ := e.st.Entities(context.Background()); len(es) != len(before) {
		t.Errorf("refused entries created entities: %+v", es)
	}

	if code, _ := post("/admin/users", url.Values{"csrf": {csrf}, "email": {"nou\x00veau@csirt.example"}, "role": {"adviser"}, "password": {"une phrase de passe longue"}}); code != http.StatusBadRequest {
		t.Errorf("NUL in an address: %d", code)
	}
	code, body = post("/admin/users", url.Values{"csrf": {csrf}, "email": {"nouveau@csirt.example"}, "role": {"adviser"}, "password": {"court"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "trop court") {
		t.Errorf("weak password: %d", code)
	}
	if code, _ = post("/admin/users", url.Values{"csrf": {csrf}, "email": {"nouveau@csirt.example"}, "role": {"adviser"}, "password": {"une phrase de passe longue"}}); code != http.StatusCreated {
		t.Errorf("user add: %d", code)
	}
	u, err := e.st.UserByEmail(context.Background(), "nouveau@csirt.example")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.Check(u.PasswordHash, "une phrase de passe longue"); !ok {
		t.Error("stored hash does not check")
	}
	if code, _ = post(fmt.Sprintf("/admin/users/%d/disabled", u.ID), url.Values{"csrf": {csrf}, "disabled": {"1"}}); code != http.StatusSeeOther {
		t.Errorf("disable: %d", code)
	}
	if u, _ := e.st.UserByEmail(context.Background(), "nouveau@csirt.example"); !u.Disabled {
		t.Error("not disabled")
	}

	// Revoking takes two steps: the list's button asks, the confirmation revokes.
	code, body = post("/admin/agents/"+a.ID+"/revoke", url.Values{"csrf": {csrf}})
	if code != 200 || !strings.Contains(body, `id="confirm-revoke"`) || !strings.Contains(body, "même avec un nouveau jeton") {
		t.Errorf("revoke, first step: %d", code)
	}
	if ag, _ := e.st.Agent(context.Background(), a.ID); ag.Revoked() {
		t.Error("revoked without confirmation")
	}
	if code, _ := post("/admin/agents/"+a.ID+"/revoke", url.Values{"confirm": {"1"}}); code != http.StatusForbidden {
		t.Errorf("confirmation without CSRF token: %d", code)
	}
	code, body = post("/admin/agents/"+a.ID+"/revoke", url.Values{"csrf": {csrf}, "confirm": {"1"}})
	if code != 200 || !strings.Contains(body, "Agent révoqué") {
		t.Errorf("revoke: %d", code)
	}
	r, _ = a.Upload(context.Background(), e.srv.Client(), e.srv.URL, a.Sign(a.Next(now)))
	if r.Status != 403 {
		t.Errorf("upload after revocation in the UI: %d", r.Status)
	}
	_, body = get(t, c, e.srv.URL+"/audit")
	// Actions and details in words, not as recorded.
	for _, want := range []string{"Jeton d&#39;enrôlement créé", "valable 3 jours", "Compte créé", "conseiller", "Compte désactivé", "Agent révoqué", "Agent enrôlé"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %s", want)
		}
	}
	for _, raw := range []string{"token_create", "user_add", "agent_revoke", "72h0m0s", "<code>"} {
		if strings.Contains(body, raw) {
			t.Errorf("audit page shows %s", raw)
		}
	}
	for _, p := range []string{"/admin/users", "/admin/agents", "/admin/tokens"} {
		if resp, body := get(t, c, e.srv.URL+p); resp.StatusCode != 200 || strings.Contains(body, "style=") {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestBuildOverviewPrivacy(t *testing.T) {
	t.Parallel()
	rows := []store.HostRow{}
	for i := range 4 {
		rows = append(rows, store.HostRow{
			Agent:  store.Agent{ID: fmt.Sprint(i), EntityID: int64(i + 1), Entity: fmt.Sprint("E", i), Sector: "commune", EnrolledAt: now.AddDate(0, -1, 0)},
			Latest: &store.Scorecard{Score: 50, Level: 2, ReceivedAt: now, DomainScores: store.DomainScores{protocol.DomainPatch: 50, protocol.DomainBackup: -1, protocol.DomainHygiene: 50, protocol.DomainTLS: 50, protocol.DomainDNS: 50, protocol.DomainOrganisation: 50}, Failed: []string{"backup.recent"}},
		})
	}
	ov := app.BuildOverview(rows, app.Filter{Level: -1}, now, 30*24*time.Hour, 5)
	if !ov.Hidden || ov.TopFailed != nil || ov.Distribution != [5]int{} {
		t.Errorf("4 entities < 5: aggregates shown: %+v", ov)
	}
	rows = append(rows, store.HostRow{Agent: store.Agent{ID: "x", EntityID: 9, Entity: "E9", EnrolledAt: now.AddDate(0, -2, 0)}})
	ov = app.BuildOverview(rows, app.Filter{Level: -1}, now, 30*24*time.Hour, 5)
	if ov.Hidden || ov.Distribution[2] != 4 || len(ov.Silent) != 1 || ov.TopFailed[0].Entities != 4 {
		t.Errorf("5 entities: %+v", ov)
	}
	if ov.Entities[0].Domains.Get(protocol.DomainBackup) != -1 {
		t.Error("absent domain not marked")
	}
	if got := app.BuildOverview(rows, app.Filter{Level: 2}, now, time.Hour, 0); got.Total != 4 {
		t.Errorf("level filter: %d", got.Total)
	}
}

// TestUnreadableDetails: a genuine scorecard whose details do not follow
// the format (evidence as a number) is filed on its summary, as
// protocol.Summary documents, and its host page says in words why the
// details are missing instead of showing an empty page.
func TestUnreadableDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 1, 1, 0)
	rows, err := e.st.Hosts(ctx, store.HostFilter{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("hosts: %v %v", rows, err)
	}
	a := hubtest.NewAgent(1, 0.05) // seed's first agent: same key
	if a.ID != rows[0].Agent.ID {
		t.Fatal("not the seeded agent")
	}
	sc := a.Next(now)
	payload, _ := json.Marshal(sc)
	mistyped := strings.Replace(string(payload), `"evidence":{`, `"evidence":42,"x":{`, 1)
	r, err := a.Upload(ctx, e.srv.Client(), e.srv.URL, a.SignPayload([]byte(mistyped)))
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("upload: %+v %v", r, err)
	}
	c, _ := e.login(t, "conseiller@csirt.example")
	_, body := get(t, c, e.srv.URL+"/host/"+a.ID)
	if !strings.Contains(body, `id="unreadable"`) || !strings.Contains(body, "ne suit pas le format des bilans") || !strings.Contains(body, "Signature Ed25519 valide") {
		t.Errorf("host page of an unreadable scorecard lacks the explanation or the signature status:\n%s", body)
	}
	if !strings.Contains(body, fmt.Sprintf(`<span class="big hm hm%s">%d</span>`, web.Bucket(sc.Score), sc.Score)) {
		t.Errorf("score %d read on receipt not shown", sc.Score)
	}
	_, body = get(t, c, fmt.Sprintf("%s/entity/%d", e.srv.URL, rows[0].Agent.EntityID))
	if !regexp.MustCompile(`id="unreadable">Actions manquantes[^<]*` + a.Host.Hostname).MatchString(body) {
		t.Error("entity page does not say which host's actions are missing")
	}
	// The next, well-formed scorecard shows whole.
	r, err = a.Upload(ctx, e.srv.Client(), e.srv.URL, a.Sign(a.Next(now.Add(time.Hour))))
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("upload: %+v %v", r, err)
	}
	_, body = get(t, c, e.srv.URL+"/host/"+a.ID)
	if strings.Contains(body, `id="unreadable"`) || !strings.Contains(body, "Toutes les vérifications") {
		t.Error("well-formed scorecard not shown whole")
	}
	_, body = get(t, c, fmt.Sprintf("%s/entity/%d", e.srv.URL, rows[0].Agent.EntityID))
	if strings.Contains(body, `id="unreadable"`) {
		t.Error("entity page still reports missing actions")
	}
}
