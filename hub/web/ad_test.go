package web_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
)

// seedAD adds three entities with Active Directory to a seeded region:
// Mairie AD-1 at level 1 (GPP password and a roastable admin), Mairie
// AD-4 at level 4 (machine account quota), Hôpital AD-? whose directory
// was unreadable but whose SYSVOL holds a GPP password. It returns the
// entities' IDs by name.
func seedAD(t testing.TB, st store.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	ids := map[string]int64{}
	for i, c := range []struct {
		entity, sector, host string
		level                int
		failing              []string
	}{
		{"Mairie AD-1", "commune", "DC-MAIRIE1", 1, []string{ad.IDGPPPasswords, ad.IDPrivRoastable}},
		{"Mairie AD-4", "commune", "DC-MAIRIE4", 4, []string{ad.IDMachineQuota}},
		{"Hôpital AD-?", "hospital", "DC-HOPITAL", 0, []string{ad.IDGPPPasswords}},
	} {
		e, err := st.EnsureEntity(ctx, c.entity, c.sector)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.entity] = e.ID
		a := hubtest.NewAgent(uint64(9000+i), 0.8)
		a.Host.Hostname = c.host
		tok := fmt.Sprint("ad-", i)
		st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now.AddDate(0, -1, 0), ExpiresAt: now})
		if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey), Hostname: c.host}, now.AddDate(0, -1, 0)); err != nil {
			t.Fatal(err)
		}
		sc := a.DC(now.Add(-time.Hour), c.level, c.failing...)
		if o, err := st.SaveScorecard(ctx, api.Record(sc.Summary(), a.Sign(sc), now)); err != nil || o != store.Stored {
			t.Fatal(o, err)
		}
	}
	return ids
}

var tagsRE = regexp.MustCompile(`<[^>]+>`)

// text is a page fragment without its tags and with spaces collapsed.
func text(h string) string {
	return strings.Join(strings.Fields(stdhtml.UnescapeString(tagsRE.ReplaceAllString(h, " "))), " ")
}

// section returns the HTML from the element with id to the end of its
// table or section.
func section(t *testing.T, body, id, end string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s in page", id)
	}
	j := strings.Index(body[i:], end)
	if j < 0 {
		t.Fatalf("#%s not closed by %s", id, end)
	}
	return body[i : i+j]
}

// TestADPages: the region's AD page lists, per failing control point, the
// entities concerned with their AD level and hosts, GPP passwords first
// (guidance rank); the overview's heat map gains an AD level column; the
// entity page shows the level, where it comes from and what blocks the
// next one.
func TestADPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 6, 1, 2)
	ids := seedAD(t, e.st)
	c, _ := e.login(t, "conseiller@csirt.example")

	resp, body := get(t, c, e.srv.URL+"/ad")
	if resp.StatusCode != 200 {
		t.Fatalf("/ad: %d", resp.StatusCode)
	}
	gpp := text(section(t, body, "adcheck-"+ad.IDGPPPasswords, "</tr>"))
	if !strings.Contains(gpp, "Mairie AD-1 1 (DC-MAIRIE1)") || !strings.Contains(gpp, "Hôpital AD-? ? (DC-HOPITAL)") || strings.Contains(gpp, "AD-4") ||
		strings.Index(gpp, "Mairie AD-1") > strings.Index(gpp, "Hôpital AD-?") {
		t.Errorf("GPP row: %q", gpp)
	}
	if !strings.Contains(gpp, guidance[ad.IDGPPPasswords].In("fr").Title) {
		t.Errorf("GPP row without its title: %q", gpp)
	}
	checksTable := section(t, body, "adchecks", "</table>")
	order := regexp.MustCompile(`id="adcheck-([^"]+)"`).FindAllStringSubmatch(checksTable, -1)
	var got []string
	for _, m := range order {
		got = append(got, m[1])
	}
	if want := []string{ad.IDGPPPasswords, ad.IDPrivRoastable, ad.IDMachineQuota}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("control points in order %v, want %v (guidance ranks)", got, want)
	}
	ents := text(section(t, body, "adentities", "</table>"))
	if !strings.Contains(ents, "Mairie AD-1 Commune ou intercommunalité 1 niveau 1 sur 5 d'après DC-MAIRIE1") || !strings.Contains(ents, "Mairie AD-4 Commune ou intercommunalité 4 niveau 4 sur 5") ||
		!strings.Contains(ents, "niveau non établi (annuaire illisible)") || strings.Contains(ents, "Mairie de Test") {
		t.Errorf("entities table: %q", ents)
	}
	if strings.Index(ents, "AD-1") > strings.Index(ents, "AD-4") || strings.Index(ents, "AD-4") > strings.Index(ents, "AD-?") {
		t.Errorf("entities not weakest first: %q", ents)
	}

	_, body = get(t, c, e.srv.URL+"/")
	heat := section(t, body, "heatmap", "</table>")
	if !strings.Contains(heat, `<a href="/ad">Niveau AD</a>`) {
		t.Error("heat map without an AD level column")
	}
	for name, want := range map[string]string{"Mairie AD-1": `<td class="adl"><span class="lv lv0">1</span></td>`, "Mairie AD-4": `<td class="adl"><span class="lv lv3">4</span></td>`,
		"Mairie de Test 003": `<td class="adl">—</td>`} {
		i := strings.Index(heat, ">"+name+"<")
		if i < 0 {
			t.Fatalf("%s not in heat map", name)
		}
		row := heat[i : i+strings.Index(heat[i:], "</tr>")]
		if !strings.Contains(row, want) {
			t.Errorf("%s heat map row lacks %s: %s", name, want, row)
		}
	}

	_, body = get(t, c, e.srv.URL+fmt.Sprint("/entity/", ids["Mairie AD-1"]))
	sec := text(section(t, body, "ad", "</section>"))
	if !strings.Contains(sec, "1 niveau 1 sur 5 — d'après DC-MAIRIE1") || !strings.Contains(sec, "Pour atteindre le niveau suivant, corriger : "+ad.IDGPPPasswords+" , "+ad.IDPrivRoastable) {
		t.Errorf("entity AD section: %q", sec)
	}
	_, body = get(t, c, e.srv.URL+"/entity/1?lang=en")
	if strings.Contains(body, `id="ad"`) {
		t.Error("an entity without AD has an AD section")
	}
	_, body = get(t, c, e.srv.URL+"/ad?lang=en")
	if !strings.Contains(text(body), "level not established (directory unreadable)") {
		t.Error("AD page not in English")
	}
}

// TestADBrowser: an adviser reaches the AD page from the menu in Chromium
// and finds which entities still have GPP passwords.
func TestADBrowser(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 5, 1, 2)
	seedAD(t, e.st)
	b := newBrowser(t, chromium, 1366)
	bctx := b.ctx
	if err := chromedp.Do(bctx,
		chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/ad"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#adchecks`)),
	); err != nil {
		t.Fatal(err)
	}
	row, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#adcheck-`+strings.ReplaceAll(ad.IDGPPPasswords, ".", `\.`))))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "Mairie AD-1") || !strings.Contains(row, "Hôpital AD-?") || strings.Contains(row, "Mairie AD-4") {
		t.Errorf("GPP row in the browser: %q", row)
	}
	buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artefacts(t), "06-ad.png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
