package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

// advEnv is a hub UI with the advisories matcher, two Windows 10 22H2
// workstations (one a build behind December 2025's, with Firefox ESR
// 140.5; one up to date) in two entities, and testdata's advisories.
func advEnv(t *testing.T) (*env, *app.Advisories, map[string]int64) {
	t.Helper()
	var m *app.Advisories
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) {
		var err error
		m, err = app.New(app.Config{Store: c.Store, Now: func() time.Time { return now }}).NewAdvisories(app.AdvisoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		c.Advisories = m
	})
	ids := map[string]int64{}
	for i, h := range []struct{ entity, sector, host, build, esr string }{
		{"Mairie de Loctudy", "commune", "PC-ACCUEIL", "10.0.19045.6575", "140.5.0"},
		{"Port de Loctudy", "port", "PC-CAPITAINERIE", "10.0.19045.6691", "146.0"},
	} {
		a := hubtest.NewAgent(uint64(700+i), 0.8)
		a.Host = protocol.HostInfo{Hostname: h.host, OS: "windows", Platform: "Microsoft Windows 10 Professionnel", Arch: "amd64",
			OSBuild: h.build, OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client"}
		a.Software = []protocol.Package{{Name: "Mozilla Firefox ESR (x64 fr)", Version: h.esr, Publisher: "Mozilla", Source: protocol.SourceWindowsRegistry, Arch: "x64"}}
		ag, _ := enrolHost(t, e.st, h.entity, a)
		ids[h.host] = ag.EntityID
		if err := m.MatchHost(context.Background(), ag.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Import(context.Background(), "test", nil, "../../testdata/advisory/docs"); err != nil {
		t.Fatal(err)
	}
	return e, m, ids
}

// TestAdvisoryPages: the « Avis CERT-FR » page lists exposed advisories
// first with their counts, and filters by sector; the advisory page says
// who, installed against fixed version, confidence, CERT-FR's link and
// solution, and gives a CSV; the entity and host pages list the
// advisories affecting them; « Qui utilise… ? » finds the hosts by product
// and version range.
func TestAdvisoryPages(t *testing.T) {
	t.Parallel()
	e, _, ids := advEnv(t)
	c, _ := e.login(t, "conseiller@csirt.example")

	resp, body := get(t, c, e.srv.URL+"/advisories")
	if resp.StatusCode != 200 {
		t.Fatalf("/advisories: %d", resp.StatusCode)
	}
	list := section(t, body, "advisories", "</table>")
	i1092, i1099, i0288 := strings.Index(list, "CERTFR-2025-AVI-1092"), strings.Index(list, "CERTFR-2025-AVI-1099"), strings.Index(list, "CERTFR-2025-AVI-0288")
	if i1092 < 0 || i1099 < 0 || i0288 < 0 || i0288 < i1092 || i0288 < i1099 {
		t.Errorf("exposed advisories not first: %d %d %d", i1092, i1099, i0288)
	}
	if row := text(section(t, body, "adv-CERTFR-2025-AVI-1092", "</tr>")); !strings.HasSuffix(row, "2025-12-10 1 1") {
		t.Errorf("AVI-1092 row: %q", row)
	}
	_, body = get(t, c, e.srv.URL+"/advisories?sector=port")
	if row := text(section(t, body, "adv-CERTFR-2025-AVI-1092", "</tr>")); !strings.HasSuffix(row, "0 0") {
		t.Errorf("AVI-1092 for ports: %q", row)
	}

	resp, body = get(t, c, e.srv.URL+"/advisories/CERTFR-2025-AVI-1092")
	if resp.StatusCode != 200 {
		t.Fatalf("advisory page: %d", resp.StatusCode)
	}
	who := text(section(t, body, "exposures", "</table>"))
	if !strings.Contains(who, "Mairie de Loctudy PC-ACCUEIL Windows 10 Version 22H2 10.0.19045.6575 10.0.19045.6691 certain") || strings.Contains(who, "CAPITAINERIE") {
		t.Errorf("who: %q", who)
	}
	if !strings.Contains(body, `href="https://www.cert.ssi.gouv.fr/avis/CERTFR-2025-AVI-1092/"`) || !strings.Contains(body, `id="sol-h"`) {
		t.Error("advisory page without CERT-FR's link or solution")
	}
	resp, body = get(t, c, e.srv.URL+"/advisories/CERTFR-2025-AVI-1092/exposure.csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(rows) != 2 || rows[0][0] != "advisory" || rows[1][5] != "PC-ACCUEIL" || rows[1][10] != "certain" {
		t.Errorf("CSV: %d %v %q", resp.StatusCode, err, body)
	}
	if resp, _ := get(t, c, e.srv.URL+"/advisories/CERTFR-2099-AVI-0001"); resp.StatusCode != 404 {
		t.Errorf("unknown advisory: %d", resp.StatusCode)
	}

	_, body = get(t, c, fmt.Sprintf("%s/entity/%d", e.srv.URL, ids["PC-ACCUEIL"]))
	ent := text(section(t, body, "host-advisories", "</section>"))
	if !strings.Contains(ent, "CERTFR-2025-AVI-1092") || !strings.Contains(ent, "CERTFR-2025-AVI-1099") {
		t.Errorf("entity page advisories: %q", ent)
	}
	_, body = get(t, c, fmt.Sprintf("%s/entity/%d", e.srv.URL, ids["PC-CAPITAINERIE"]))
	if ent := text(section(t, body, "host-advisories", "</section>")); !strings.Contains(ent, "Aucun avis") {
		t.Errorf("up-to-date entity's advisories: %q", ent)
	}

	_, body = get(t, c, e.srv.URL+"/whouses?product=firefox+esr&from=140&to=145")
	uses := text(section(t, body, "uses", "</table>"))
	if !strings.Contains(uses, "PC-ACCUEIL") || strings.Contains(uses, "CAPITAINERIE") {
		t.Errorf("who uses Firefox ESR 140-145: %q", uses)
	}
	_, body = get(t, c, e.srv.URL+"/whouses?product=firefox+esr")
	if uses := text(section(t, body, "uses", "</table>")); !strings.Contains(uses, "PC-ACCUEIL") || !strings.Contains(uses, "PC-CAPITAINERIE") {
		t.Errorf("who uses Firefox ESR: %q", uses)
	}
}

// TestBrowserAdvisories drives Chromium: from the navigation to « Avis
// CERT-FR », the exposed advisory, the host exposed with its versions, then
// « Qui utilise… ? ».
func TestBrowserAdvisories(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e, _, _ := advEnv(t)
	shots := artefacts(t)
	b := newBrowser(t, chromium, 1366)
	bctx := b.ctx
	do := b.do
	textOf := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		}
	}
	base := e.srv.URL
	do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	do("open Avis CERT-FR", chromedp.Click(chromedp.CSS(`nav a[href="/advisories"]`)), chromedp.WaitVisible(chromedp.CSS(`#advisories`)))
	if first := textOf(`#advisories tbody tr:first-child`); !strings.Contains(first, "CERTFR-2025-AVI-1099") {
		t.Errorf("first advisory: %q", first)
	}
	shot("20-advisories")
	do("open AVI-1092", chromedp.Click(chromedp.CSS(`a[href="/advisories/CERTFR-2025-AVI-1092"]`)), chromedp.WaitVisible(chromedp.CSS(`#exposures`)))
	if who := textOf(`#exposures tbody`); !strings.Contains(who, "PC-ACCUEIL") || !strings.Contains(who, "10.0.19045.6575") || !strings.Contains(who, "10.0.19045.6691") {
		t.Errorf("exposed hosts: %q", who)
	}
	shot("21-advisory")
	do("who uses", chromedp.Navigate(base+"/whouses"), chromedp.WaitVisible(chromedp.CSS(`#product`)),
		chromedp.SendKeys(chromedp.CSS(`#product`), "Firefox ESR"), chromedp.SendKeys(chromedp.CSS(`#to`), "145"),
		chromedp.Click(chromedp.CSS(`form.filters button`)), chromedp.WaitVisible(chromedp.CSS(`#uses`)))
	if uses := textOf(`#uses tbody`); !strings.Contains(uses, "PC-ACCUEIL") || strings.Contains(uses, "CAPITAINERIE") {
		t.Errorf("who uses: %q", uses)
	}
	shot("22-whouses")
}

// TestAdvisoryPageDeclaredAsset: an appliance an adviser declared for an
// entity (no agent, no host page) is listed as exposed without a link to a
// host page that does not exist.
func TestAdvisoryPageDeclaredAsset(t *testing.T) {
	t.Parallel()
	e, m, ids := advEnv(t)
	ctx := context.Background()
	a := app.New(app.Config{Store: e.st})
	if _, err := a.AddAssets(ctx, ids["PC-CAPITAINERIE"], []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.2.3", Name: "pare-feu capitainerie"}}, "asset_add", "conseiller@csirt.example"); err != nil {
		t.Fatal(err)
	}
	if err := m.SyncEntityAssets(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := e.login(t, "conseiller@csirt.example")
	_, body := get(t, c, e.srv.URL+"/advisories/CERTFR-2025-AVI-1084")
	who := section(t, body, "exposures", "</table>")
	if !strings.Contains(text(who), "Port de Loctudy") || !strings.Contains(text(who), "7.2.3") {
		t.Fatalf("declared FortiGate not listed as exposed: %q", text(who))
	}
	if strings.Contains(who, `href="/host/"`) {
		t.Errorf("a declared appliance links to an empty host page: %s", who)
	}
}
