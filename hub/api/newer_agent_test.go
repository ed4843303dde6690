package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestNewerAgentScorecard is the forward-compatibility rule end to end
// (docs/protocol.md, "Compatibility"): a real hub, its API and its web
// interface on one HTTPS server, receives a scorecard from an agent newer
// than itself, carrying a field, a check ID (iot.default-password), a domain (iot)
// and a result status (stale) it does not know. The upload is stored (201,
// never a 4xx that would quarantine it in the agent's spool), and the host
// page shows it: the unknown status as an error, the unknown domain under
// its ID, and the overview gives the domain its own column.
func TestNewerAgentScorecard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := func() time.Time { return t0 }
	ui, err := web.New(web.Config{Store: st, Now: now, Argon2: auth.Fast, MinAggregate: 1})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	api.New(api.Config{Store: st, Now: now, EnrollsPerMinute: -1}).Register(mux)
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()

	tok, err := app.New(app.Config{Store: st, Now: now}).CreateToken(ctx, "Mairie de Ploudalmézeau", "commune", time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	a := hubtest.NewAgent(21, 0.5)
	r, err := a.Enroll(ctx, srv.Client(), srv.URL, tok)
	expect(t, "enrol", r, err, 201, "")

	// The newer agent's document: this version's scorecard plus what a
	// later version adds, as JSON this hub has no type for.
	sc := a.Next(t0)
	sc.Results = append(sc.Results, protocol.Result{ID: "iot.default-password", Version: 1, Status: "stale", Domain: "iot", Severity: protocol.High,
		Evidence: protocol.Textf("mot de passe krbtgt inchangé depuis 900 jours", "krbtgt password unchanged for 900 days")})
	sc.Domains = append(sc.Domains, protocol.DomainScore{Domain: "iot", Score: 40, Fail: 1})
	var doc map[string]any
	b, _ := json.Marshal(sc)
	json.Unmarshal(b, &doc)
	doc["directory"] = map[string]any{"forest": "mairie.local", "functional_level": 2016}
	payload, _ := json.Marshal(doc)
	env := a.SignPayload(payload)
	r, err = a.Upload(ctx, srv.Client(), srv.URL, env)
	expect(t, "newer agent's upload", r, err, 201, "")
	if r.Body["status"] != protocol.IngestStored {
		t.Fatalf("upload answered %v, want stored", r.Body)
	}
	rec, err := st.Scorecard(ctx, a.ID, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DomainScores.Get("iot") != 40 {
		t.Errorf("unknown domain's score not kept: %v", rec.DomainScores)
	}
	if !bytes.Equal(rec.Envelope, env) {
		t.Error("stored envelope is not byte for byte the one received")
	}

	// An adviser's session, made directly in the store.
	h, _ := auth.Hash("mot de passe très long", auth.Fast)
	u, err := st.CreateUser(ctx, store.User{Email: "conseiller@csirt.example", Role: store.RoleAdviser, PasswordHash: h})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("newer-agent-cookie"))
	if err := st.CreateSession(ctx, store.Session{Hash: sum[:], UserID: u.ID, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	page := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "__Host-vigie_session", Value: "newer-agent-cookie"})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return string(body)
	}
	body := page("/host/" + a.ID)
	if !strings.Contains(body, "Signature Ed25519 valide") || strings.Contains(body, `id="unreadable"`) {
		t.Errorf("host page does not show the newer agent's scorecard whole")
	}
	row := regexp.MustCompile(`(?s)<tr class="r-([a-z-]+)">\s*<td><span class="st st-([a-z-]+)">([^<]*)</span></td>\s*<td>(?:<strong>[^<]*</strong><br>)?<code>iot\.default-password</code>`).FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("host page lacks the unknown check iot.default-password:\n%s", body)
	}
	if row[1] != "error" || row[2] != "error" || row[3] != protocol.Error.Label("fr") {
		t.Errorf("unknown status shown as %q/%q %q, want an error (%q)", row[1], row[2], row[3], protocol.Error.Label("fr"))
	}
	if !regexp.MustCompile(`<li class="hm hm2">iot <strong>40</strong></li>`).MatchString(body) {
		t.Error("host page does not show the unknown domain under its ID with its score")
	}
	body = page("/")
	if !regexp.MustCompile(`<th scope="col" class="num">iot</th>`).MatchString(body) {
		t.Error("overview has no column for the unknown domain")
	}
}
