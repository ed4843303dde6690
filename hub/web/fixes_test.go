package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
)

// enrolAt enrols agent a for entity e at the given time, with a's host.
func enrolAt(t testing.TB, st store.Store, e store.Entity, a *hubtest.Agent, at time.Time) {
	t.Helper()
	ctx := context.Background()
	tok := "tok-" + a.ID
	if err := st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey), Hostname: a.Host.Hostname, OS: a.Host.OS, Platform: a.Host.Platform}, at); err != nil {
		t.Fatal(err)
	}
}

func report(t testing.TB, st store.Store, a *hubtest.Agent, at time.Time) {
	t.Helper()
	sc := a.Next(at)
	if o, err := st.SaveScorecard(context.Background(), api.Record(sc.Summary(), a.Sign(sc), at)); err != nil || o != store.Stored {
		t.Fatalf("save: %v %v", o, err)
	}
}

func postForm(t testing.TB, c *http.Client, u string, v url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNeverReported (issue 14, item 4): an entity whose hosts never sent a
// scorecard shows "jamais" as its last report, not its enrolment time;
// silence is still counted from the enrolment.
func TestNeverReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	ctx := context.Background()
	recent, _ := e.st.EnsureEntity(ctx, "Mairie de Recente", "commune")
	old, _ := e.st.EnsureEntity(ctx, "Mairie d'Autrefois", "commune")
	enrolAt(t, e.st, recent, hubtest.NewAgent(1, 0.5), now.Add(-2*time.Hour))
	enrolAt(t, e.st, old, hubtest.NewAgent(2, 0.5), now.AddDate(0, -2, 0))
	c, _ := e.login(t, "conseiller@csirt.example")
	_, body := get(t, c, e.srv.URL+"/")
	for _, name := range []string{"Mairie de Recente", "Mairie d&#39;Autrefois"} {
		row := regexp.MustCompile(`(?s)<tr>\s*<th scope="row"><a href="/entity/\d+">` + name + `</a>.*?</tr>`).FindString(body)
		if !regexp.MustCompile(`<td( class="late")?>jamais</td>\s*</tr>`).MatchString(row) {
			t.Errorf("heat map row of %s does not say jamais: %s", name, row)
		}
	}
	for _, d := range []string{"23/11/2026 07:00", "23/09/2026 09:00"} {
		if strings.Contains(body, "— Dernier bilan\u00a0: "+d) || strings.Contains(body, "<td>"+d+"</td>") {
			t.Errorf("enrolment time %s shown as a last report", d)
		}
	}
	if !strings.Contains(body, "Mairie d&#39;Autrefois</a> — Dernier bilan\u00a0: jamais (enrôlé le 23/09/2026 09:00)") {
		t.Errorf("silent entity not listed with its enrolment:\n%s", body)
	}
	if strings.Contains(body, "Mairie de Recente</a> — Dernier bilan") {
		t.Error("an entity enrolled two hours ago is listed as silent")
	}
}

// TestSameHostname (item 9): two hosts named "vm" in one entity are told
// apart by the start of their agent ID on the entity page (table, chart
// legend, actions) and the agents page; a unique name stays as it is.
func TestSameHostname(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	ctx := context.Background()
	ent, _ := e.st.EnsureEntity(ctx, "Mairie de Plouguerneau", "commune")
	other, _ := e.st.EnsureEntity(ctx, "Mairie de Lanildut", "commune")
	var vms []*hubtest.Agent
	for i, en := range []store.Entity{ent, ent, ent, other} {
		a := hubtest.NewAgent(uint64(10+i), 0.2)
		a.Host.Hostname = "vm"
		if i == 2 {
			a.Host.Hostname = "mairie-srv01"
		}
		enrolAt(t, e.st, en, a, now.AddDate(0, 0, -3))
		report(t, e.st, a, now.AddDate(0, 0, -2))
		report(t, e.st, a, now.AddDate(0, 0, -1))
		vms = append(vms, a)
	}
	c, _ := e.login(t, "admin@csirt.example")
	_, body := get(t, c, fmt.Sprintf("%s/entity/%d", e.srv.URL, ent.ID))
	for _, a := range vms[:2] {
		label := "vm (" + a.ID[:8] + ")"
		if !strings.Contains(body, `">`+label+`</a>`) {
			t.Errorf("hosts table lacks %q", label)
		}
		if !strings.Contains(body, "</svg> "+label+" (") {
			t.Errorf("chart legend lacks %q", label)
		}
	}
	if !strings.Contains(body, `">mairie-srv01</a>`) || regexp.MustCompile(`mairie-srv01 \([0-9a-f]{8}\)`).MatchString(body) {
		t.Error("a unique host name is not shown as is")
	}
	if strings.Contains(body, `">vm</a>`) {
		t.Error("a shared host name shown alone")
	}
	if !regexp.MustCompile(`Postes\x{a0}: (vm \([0-9a-f]{8}\)|mairie-srv01)(, (vm \([0-9a-f]{8}\)|mairie-srv01))+</p>`).MatchString(body) {
		t.Error("actions do not name the hosts apart")
	}
	_, body = get(t, c, e.srv.URL+"/admin/agents")
	if !strings.Contains(body, "vm ("+vms[0].ID[:8]+")") || !strings.Contains(body, `">vm</a>`) {
		t.Error("agents page: the two vm of one entity not told apart, or the other entity's vm not left alone")
	}
}

// TestTokenInstallCommand (items 1 and 8): a token made in the interface
// comes with the vigie install command (the configured public address, or
// the page's, and the fingerprint) and its validity in words; a token for
// an existing entity in another sector or under another spelling is
// refused with what exists; an administrator changes a sector on the
// entity page, audited; an adviser cannot.
func TestTokenInstallCommand(t *testing.T) {
	t.Parallel()
	spki := hex.EncodeToString(func() []byte { h := sha256.Sum256([]byte("clé")); return h[:] }())
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) { c.SPKI = spki })
	c, csrf := e.login(t, "admin@csirt.example")
	code, body := postForm(t, c, e.srv.URL+"/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"Mairie de Plouguerneau"}, "sector": {"commune"}, "hours": {"72"}})
	tok := regexp.MustCompile(`id="newtoken" class="big">([0-9A-Z-]+)<`).FindStringSubmatch(body)
	if code != http.StatusCreated || tok == nil {
		t.Fatalf("token create: %d", code)
	}
	want := "vigie install --hub " + e.srv.URL + " --token " + tok[1] + " --fingerprint " + spki
	if !strings.Contains(body, `<code id="installcmd">`+want+`</code>`) || !strings.Contains(body, "--public-url") {
		t.Errorf("install command %q not shown:\n%s", want, body)
	}
	if !strings.Contains(body, "valable 3 jours") {
		t.Error("validity not in words")
	}
	// With a configured public address, that one.
	e2 := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) { c.SPKI, c.PublicURL = spki, "https://vigie.region.fr" })
	c2, csrf2 := e2.login(t, "admin@csirt.example")
	_, body = postForm(t, c2, e2.srv.URL+"/admin/tokens?lang=en", url.Values{"csrf": {csrf2}, "entity": {"Port de Brest"}, "sector": {"port"}, "hours": {"36"}})
	if !strings.Contains(body, "vigie install --hub https://vigie.region.fr --token ") || strings.Contains(body, "--public-url") || !strings.Contains(body, "valid for 36 hours") {
		t.Errorf("configured address or English words missing:\n%s", body)
	}

	// Item 1: no second entity, no silent sector change.
	for _, v := range []url.Values{
		{"entity": {"Mairie de Plouguerneau"}, "sector": {"port"}},
		{"entity": {"mairie de plouguerneau"}, "sector": {"commune"}},
	} {
		v.Set("csrf", csrf)
		v.Set("hours", "72")
		code, body := postForm(t, c, e.srv.URL+"/admin/tokens", v)
		if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "« Mairie de Plouguerneau » existe déjà") {
			t.Errorf("%v: %d, want 409 naming the existing entity", v, code)
		}
	}
	es, _ := e.st.Entities(context.Background())
	if len(es) != 1 || es[0].Sector != "commune" {
		t.Fatalf("entities after refused tokens: %+v", es)
	}
	entityURL := fmt.Sprintf("%s/entity/%d", e.srv.URL, es[0].ID)
	_, body = get(t, c, entityURL)
	if !strings.Contains(body, `action="/admin/entities/`) {
		t.Error("no sector change on the entity page for an administrator")
	}
	adv, advCSRF := e.login(t, "conseiller@csirt.example")
	if _, body := get(t, adv, entityURL); strings.Contains(body, `action="/admin/entities/`) {
		t.Error("sector change offered to an adviser")
	}
	if code, _ := postForm(t, adv, fmt.Sprintf("%s/admin/entities/%d/sector", e.srv.URL, es[0].ID), url.Values{"csrf": {advCSRF}, "sector": {"port"}}); code != http.StatusForbidden {
		t.Errorf("adviser changing a sector: %d", code)
	}
	if code, _ := postForm(t, c, fmt.Sprintf("%s/admin/entities/%d/sector", e.srv.URL, es[0].ID), url.Values{"sector": {"port"}}); code != http.StatusForbidden {
		t.Errorf("sector change without CSRF token: %d", code)
	}
	if code, _ := postForm(t, c, fmt.Sprintf("%s/admin/entities/%d/sector", e.srv.URL, es[0].ID), url.Values{"csrf": {csrf}, "sector": {"ports"}}); code != http.StatusBadRequest {
		t.Errorf("unknown sector: %d", code)
	}
	if code, _ := postForm(t, c, fmt.Sprintf("%s/admin/entities/%d/sector", e.srv.URL, es[0].ID), url.Values{"csrf": {csrf}, "sector": {"port"}}); code != http.StatusSeeOther {
		t.Errorf("sector change: %d", code)
	}
	if got, _ := e.st.Entity(context.Background(), es[0].ID); got.Sector != "port" {
		t.Errorf("sector %q after the change", got.Sector)
	}
	_, body = get(t, c, e.srv.URL+"/audit")
	if !strings.Contains(body, "<td>Secteur d&#39;une entité changé</td><td>Mairie de Plouguerneau</td><td>Commune ou intercommunalité → Port</td>") {
		t.Errorf("sector change not in the audit log in words:\n%s", body)
	}
}

var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

// TestWording (item 7): pages name sectors, audit actions and durations in
// words; the agents and accounts tables have a state column, not
// "Résultat", and no header over their buttons; check IDs break only
// between their parts; French puts a space before a colon, English none.
func TestWording(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 7, 1, 2)
	c, csrf := e.login(t, "admin@csirt.example")
	postForm(t, c, e.srv.URL+"/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"CH de Morlaix"}, "sector": {"hospital"}, "hours": {"72"}})
	rows, _ := e.st.Hosts(context.Background(), store.HostFilter{})
	pages := []string{"/", fmt.Sprintf("/entity/%d", rows[1].Agent.EntityID), "/host/" + rows[1].Agent.ID, "/admin/tokens", "/admin/agents", "/admin/users", "/audit"}
	for _, lang := range []string{"fr", "en"} {
		get(t, c, e.srv.URL+"/?lang="+lang)
		for _, p := range pages {
			_, body := get(t, c, e.srv.URL+p)
			text := html.UnescapeString(tagRE.ReplaceAllString(body, " "))
			for _, code := range []string{"hospital", "commune"} {
				if regexp.MustCompile(`>` + code + `<|\(` + code + `\)`).MatchString(body) {
					t.Errorf("%s %s shows the sector code %s", lang, p, code)
				}
			}
			for _, raw := range []string{"token_create", "agent_enroll", "72h0m0s", "il y a 0", "Result\n", ">Résultat<"} {
				if strings.Contains(body, raw) && !(raw == ">Résultat<" && strings.HasPrefix(p, "/host/")) {
					t.Errorf("%s %s shows %q", lang, p, raw)
				}
			}
			if lang == "en" {
				if m := regexp.MustCompile(`\S+[ \x{a0}]:`).FindString(text); m != "" {
					t.Errorf("English %s has a space before a colon: %q", p, m)
				}
			} else if m := regexp.MustCompile(`\p{L}:[ \x{a0}]`).FindString(text); m != "" {
				t.Errorf("French %s lacks the space before a colon: %q", p, m)
			}
		}
	}
	get(t, c, e.srv.URL+"/?lang=fr")
	_, body := get(t, c, e.srv.URL+"/admin/agents")
	if !strings.Contains(body, `<th scope="col">État</th>`) || !strings.Contains(body, `<th scope="col"><span class="sr">Action</span></th>`) {
		t.Error("agents table headers")
	}
	_, body = get(t, c, e.srv.URL+"/")
	if !strings.Contains(body, "Entités\u00a0: 7") {
		t.Error("French colon spacing on the overview")
	}
	if got := string(web.CheckID("patch.security-pending")); got != "patch.<wbr>security-<wbr>pending" {
		t.Errorf("CheckID = %q", got)
	}
	if got := string(web.CheckID("x.<b>")); got != "x.<wbr>&lt;b&gt;" {
		t.Errorf("CheckID does not escape: %q", got)
	}
}
