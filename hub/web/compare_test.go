package web_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// seedCohort enrols n communes of the 1 000–3 499 band, each with one
// host whose latest scorecard passes every check, except "Commune 0",
// which fails the firewall check and warns on DMARC. It returns their IDs.
func seedCohort(t testing.TB, st store.Store, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for i := range n {
		e, err := st.EnsureEntity(ctx, fmt.Sprintf("Commune %d", i), "commune")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetEntitySizeBand(ctx, e.ID, "pop-1000-3499"); err != nil {
			t.Fatal(err)
		}
		a := hubtest.NewAgent(uint64(900+i), 1)
		if i == 0 {
			a.Override = map[string]protocol.Status{"hygiene.firewall": protocol.Fail, "dns.dmarc": protocol.Warn}
		}
		tok := fmt.Sprint("cohort-", i)
		st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now.AddDate(0, -1, 0), ExpiresAt: now})
		if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey), Hostname: a.Host.Hostname, OS: a.Host.OS, Platform: a.Host.Platform, AgentVersion: "1.0.0"}, now.AddDate(0, -1, 0)); err != nil {
			t.Fatal(err)
		}
		sc := a.Next(now.Add(-time.Hour))
		if o, err := st.SaveScorecard(ctx, api.Record(sc.Summary(), a.Sign(sc), now.Add(-time.Hour))); err != nil || o != store.Stored {
			t.Fatalf("seed: %v %v", o, err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// TestComparisonPages: the entity page compares the entity with its four
// peers in both languages, and lists the checks it is behind on with the
// share of peers passing; the overview shows the sector's distribution;
// an admin changes a band with the CSRF-protected form (audited), an
// adviser cannot, a band of the other scale is refused; with four left the
// page says there are not enough comparable entities; the tokens form
// gives a new entity its band.
func TestComparisonPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	ids := seedCohort(t, e.st, 5)
	c, csrf := e.login(t, "admin@csirt.example")
	page := func(lang string, id int64) string {
		t.Helper()
		resp, body := get(t, c, fmt.Sprintf("%s/entity/%d?lang=%s", e.srv.URL, id, lang))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("entity page: %d", resp.StatusCode)
		}
		return body
	}
	fr := page("fr", ids[0])
	for _, want := range []string{`id="cmp-table"`, "Entités du même secteur et de la même taille dans la région : Commune ou intercommunalité · 1 000 à 3 499 habitants — 5 entité(s)",
		"Médiane", "1er quartile", `<svg class="box"`, `class="own"`, "hygiene.firewall</code> — réussie par 4 pair(s) sur 4 (100 %)", "dns.dmarc</code> — réussie par 4 pair(s) sur 4 (100 %)",
		"Rapport de maturité cyber"} {
		if !strings.Contains(fr, want) {
			t.Errorf("French entity page lacks %q", want)
		}
	}
	if strings.Contains(fr, "Pas assez d&#39;entités comparables") || strings.Contains(fr, "style=") {
		t.Error("French entity page: « pas assez » with 5, or an inline style")
	}
	if en := page("en", ids[0]); !strings.Contains(en, "Comparison with comparable entities") || !strings.Contains(en, "passed by 4 of 4 peers (100%)") || !strings.Contains(en, "1,000 to 3,499 inhabitants") {
		t.Error("English entity page lacks the comparison")
	}
	if peer := page("fr", ids[1]); !strings.Contains(peer, "Aucune : sur chaque vérification en défaut ici") {
		t.Error("a peer passing everything is shown behind on something")
	}
	_, ov := get(t, c, e.srv.URL+"/?lang=fr")
	if !strings.Contains(ov, `id="cohorts"`) || !strings.Contains(ov, "Commune ou intercommunalité — toutes tailles") || !strings.Contains(ov, "1 000 à 3 499 habitants") {
		t.Error("overview lacks the sector's distributions")
	}

	post := func(cl *http.Client, path string, v url.Values) int {
		t.Helper()
		resp, err := cl.PostForm(e.srv.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	band := func(id int64) string {
		en, _ := e.st.Entity(context.Background(), id)
		return en.SizeBand
	}
	path := fmt.Sprintf("/admin/entities/%d/size-band", ids[4])
	if code := post(c, path, url.Values{"csrf": {"forged"}, "size_band": {"pop-lt-1000"}}); code != http.StatusForbidden || band(ids[4]) != "pop-1000-3499" {
		t.Errorf("forged CSRF: %d", code)
	}
	adviser, acsrf := e.login(t, "conseiller@csirt.example")
	if code := post(adviser, path, url.Values{"csrf": {acsrf}, "size_band": {"pop-lt-1000"}}); code != http.StatusForbidden || band(ids[4]) != "pop-1000-3499" {
		t.Errorf("adviser changed a band: %d", code)
	}
	if code := post(c, path, url.Values{"csrf": {csrf}, "size_band": {"hosts-lt-20"}}); code != http.StatusBadRequest || band(ids[4]) != "pop-1000-3499" {
		t.Errorf("hosts band for a commune: %d", code)
	}
	if code := post(c, path, url.Values{"csrf": {csrf}, "size_band": {"pop-lt-1000"}}); code != http.StatusSeeOther || band(ids[4]) != "pop-lt-1000" {
		t.Errorf("band change: %d %q", code, band(ids[4]))
	}
	log, _ := e.st.AuditLog(context.Background(), 5)
	if log[0].Action != "entity_size_band" || log[0].Actor != "admin@csirt.example" || log[0].Detail != "pop-1000-3499 -> pop-lt-1000" {
		t.Errorf("audit %+v", log[0])
	}
	if _, body := get(t, c, e.srv.URL+"/audit"); !strings.Contains(body, "1 000 à 3 499 habitants → moins de 1 000 habitants") {
		t.Error("audit page does not say the band change in words")
	}
	fr = page("fr", ids[0])
	if !strings.Contains(fr, "Pas assez d&#39;entités comparables") || strings.Contains(fr, `id="cmp-table"`) || strings.Contains(fr, "réussie par") {
		t.Error("cohort of 4: figures shown or no « pas assez »")
	}

	// The tokens form.
	if code := post(c, "/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"CH de Landerneau"}, "sector": {"hospital"}, "size_band": {"hosts-20-99"}, "hours": {"72"}}); code != http.StatusCreated {
		t.Errorf("token with band: %d", code)
	}
	if code := post(c, "/admin/tokens", url.Values{"csrf": {csrf}, "entity": {"Port du Conquet"}, "sector": {"port"}, "size_band": {"pop-lt-1000"}, "hours": {"72"}}); code != http.StatusBadRequest {
		t.Errorf("population band for a port: %d", code)
	}
	es, _ := e.st.Entities(context.Background())
	for _, x := range es {
		if x.Name == "Port du Conquet" {
			t.Error("refused token made its entity")
		}
		if x.Name == "CH de Landerneau" && x.SizeBand != "hosts-20-99" {
			t.Errorf("token's entity band %q", x.SizeBand)
		}
	}
	if _, body := get(t, c, e.srv.URL+"/admin/tokens"); !strings.Contains(body, `<optgroup label="Communes : population">`) || !strings.Contains(body, `<option value="hosts-100-plus">100 postes ou plus</option>`) {
		t.Error("tokens form does not offer the bands")
	}
}
