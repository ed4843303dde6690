package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
)

// artefacts is where screenshots go: $VIGIE_ARTEFACTS, else
// testdata/screenshots (git-ignored).
func artefacts(t *testing.T) string {
	dir := os.Getenv("VIGIE_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser drives Debian's Chromium through the adviser's journey: log
// in, read the heat map, open an entity and a host, export CSV; it writes a
// screenshot of each page.
func TestBrowser(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	seed(t, e.st, 8, 2, 6)
	shots := artefacts(t)
	downloads := t.TempDir()

	b := newBrowser(t, chromium, 1366)
	bctx := b.ctx
	do := b.do
	text := b.text

	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := e.srv.URL
	do("open login", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	shot("01-login")
	do("log in",
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	heat := text(`#heatmap`)
	rows, err := chromedp.Run(bctx, chromedp.Nodes(chromedp.CSSAll(`#heatmap tbody tr`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 || !strings.Contains(heat, "Mairie de Test 000") || !strings.Contains(heat, "Centre hospitalier 001") {
		t.Errorf("heat map: %d rows, text %q", len(rows), heat)
	}
	shot("02-overview")
	firstEntity := text(`#heatmap tbody tr:nth-child(2) th a`)
	do("open entity", chromedp.Click(chromedp.CSS(`#heatmap tbody tr:nth-child(2) th a`)), chromedp.WaitVisible(chromedp.CSS(`#hosts`)))
	if hosts := text(`#hosts`); !strings.Contains(hosts, "poste-") && !strings.Contains(hosts, "PC-ACCUEIL") {
		t.Errorf("entity %q hosts table: %q", firstEntity, hosts)
	}
	shot("03-entity")
	do("open host", chromedp.Click(chromedp.CSS(`#hosts tbody tr:first-child th a`)), chromedp.WaitVisible(chromedp.CSS(`#sigstatus`)))
	if sig := text(`#sigstatus`); !strings.Contains(sig, "Signature Ed25519 valide") {
		t.Errorf("signature status: %q", sig)
	}
	shot("04-host")
	do("English", chromedp.Navigate(base+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	shot("05-overview-en")
	do("back to French", chromedp.Navigate(base+"/?lang=fr"), chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))

	// Export CSV by clicking the link, as an adviser does.
	done := make(chan string, 1)
	var once sync.Once
	listen := func(ev any) {
		if p, ok := ev.(*browser.EventDownloadProgress); ok && p.State == browser.DownloadProgressStateCompleted {
			once.Do(func() { done <- p.GUID })
		}
	}
	if err := chromedp.ListenBrowser(bctx, listen); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := chromedp.CallBrowser(bctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	do("export", chromedp.Click(chromedp.CSS(`#export-csv`)))
	select {
	case guid := <-done:
		data, err := os.ReadFile(filepath.Join(downloads, guid))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 1+16 || !strings.Contains(lines[0], `"entity","sector","hostname"`) {
			t.Errorf("downloaded CSV has %d lines: %q", len(lines), lines[0])
		}
	case <-bctx.Done():
		t.Fatal("CSV download did not complete")
	}
	for _, n := range []string{"01-login", "02-overview", "03-entity", "04-host", "05-overview-en"} {
		if fi, err := os.Stat(filepath.Join(shots, n+".png")); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s missing or empty: %v", n, err)
		}
	}
}

// TestBrowserAdmin drives Chromium through an administrator's journey
// (issue 14, items 7 and 8): a token made in the form comes with the
// install command; revoking an agent asks first, and only the confirmation
// revokes; on a phone-sized screen, check IDs wrap only between their
// parts, never inside a word.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) { c.SPKI = strings.Repeat("ab", 32) })
	seed(t, e.st, 6, 1, 2)
	b := newBrowser(t, chromium, 1366)
	bctx := b.ctx
	do := b.do
	text := b.text
	shot := b.shot
	base := e.srv.URL
	do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "admin@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))

	do("create a token", chromedp.Navigate(base+"/admin/tokens"), chromedp.WaitVisible(chromedp.CSS(`#entity`)),
		chromedp.SendKeys(chromedp.CSS(`#entity`), "Mairie de Landéda"),
		chromedp.Click(chromedp.CSS(`form.stack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#installcmd`)))
	tok := text(`#newtoken`)
	if cmd := text(`#installcmd`); cmd != "vigie install --hub "+base+" --token "+tok+" --fingerprint "+strings.Repeat("ab", 32) {
		t.Errorf("install command %q", cmd)
	}
	if msg := text(`.newtoken p`); !strings.Contains(msg, "valable 3 jours") {
		t.Errorf("token message %q", msg)
	}
	shot("06-token")

	rows, _ := e.st.Hosts(context.Background(), store.HostFilter{})
	victim := rows[0].Agent.ID
	sel := `form[action="/admin/agents/` + victim + `/revoke"] button`
	do("ask to revoke", chromedp.Navigate(base+"/admin/agents"), chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(`#confirm-revoke`)))
	if a, _ := e.st.Agent(context.Background(), victim); a.Revoked() {
		t.Fatal("revoked before confirmation")
	}
	shot("07-revoke-confirm")
	do("cancel", chromedp.Click(chromedp.CSS(`#cancel-revoke`)), chromedp.WaitVisible(chromedp.CSS(`#agents`)))
	if a, _ := e.st.Agent(context.Background(), victim); a.Revoked() {
		t.Fatal("revoked after cancel")
	}
	do("revoke", chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(`#confirm-revoke`)),
		chromedp.Click(chromedp.CSS(`#confirm-revoke`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if a, _ := e.st.Agent(context.Background(), victim); !a.Revoked() {
		t.Error("not revoked after confirmation")
	}

	// A phone-sized screen: check IDs wrap, but only at <wbr>. Each text
	// node of a code.id lies between two break points: on one line, it
	// has one box.
	do("narrow overview", chromedp.EmulateViewport(360, 800), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#top-h`)))
	res, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`(() => {
		let broken = 0, wrapped = 0, ids = 0;
		for (const c of document.querySelectorAll('code.id')) {
			ids++;
			if (c.getClientRects().length > 1) wrapped++;
			for (const n of c.childNodes) {
				if (n.nodeType !== Node.TEXT_NODE || n.textContent === '') continue;
				const r = document.createRange(); r.selectNodeContents(n);
				const tops = new Set([...r.getClientRects()].map(b => Math.round(b.top)));
				if (tops.size > 1) broken++;
			}
		}
		return [ids, wrapped, broken];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	shot("08-overview-narrow")
	if res[0] == 0 || res[1] == 0 {
		t.Errorf("no check ID wraps on a 360 px screen (%d IDs): the test checks nothing", res[0])
	}
	if res[2] != 0 {
		t.Errorf("%d check ID parts broken mid-word", res[2])
	}
}
