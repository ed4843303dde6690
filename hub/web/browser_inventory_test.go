package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
)

// TestBrowserInventory drives Chromium through the inventory pages as an
// adviser: the entity page lists the FortiGate its agent declares; a NAS
// declared with the form and two appliances imported from a pasted CSV
// appear; the host page's software list is filtered with its form and
// shows what changed.
func TestBrowserInventory(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 1)
	a, ent := inventoryHost(t, e)
	shots := artefacts(t)
	b := newBrowser(t, chromium, 1366)
	bctx := b.ctx
	do := b.do
	text := b.text
	// waitFor waits for the page a form led to (its address holds param)
	// to be loaded: the element read next may be on the previous page too.
	waitFor := func(param string) {
		t.Helper()
		for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(50 * time.Millisecond) {
			loc, err := chromedp.Run(bctx, chromedp.Location())
			if err != nil || !strings.Contains(loc, param) {
				continue
			}
			if state, err := chromedp.Run(bctx, chromedp.Evaluate[string]("document.readyState")); err == nil && state == "complete" {
				return
			}
		}
		t.Fatalf("no page with %s after 30 s", param)
	}
	base := e.srv.URL
	do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))

	do("entity page", chromedp.Navigate(fmt.Sprintf("%s/entity/%d", base, ent.ID)), chromedp.WaitVisible(chromedp.CSS(`#assets-list`)))
	if got := text(`#assets-list`); !strings.Contains(got, "FortiGate") {
		t.Errorf("agent's declared FortiGate not listed: %q", got)
	}
	do("declare a NAS",
		chromedp.Click(chromedp.CSS(`#assets details:first-of-type summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#as-vendor`)),
		chromedp.SendKeys(chromedp.CSS(`#as-vendor`), "Synology"),
		chromedp.SendKeys(chromedp.CSS(`#as-product`), "DSM"),
		chromedp.SendKeys(chromedp.CSS(`#as-version`), "7.2.1"),
		chromedp.SendKeys(chromedp.CSS(`#as-name`), "NAS sauvegardes"),
		chromedp.Click(chromedp.CSS(`#asset-form button[type=submit]`)))
	// The message may already be on the page: wait for the next page.
	waitFor("assets=1")
	if got := text(`#assets-msg`); !strings.Contains(got, "1 équipement(s) ajouté(s)") {
		t.Errorf("after the form: %q", got)
	}
	do("import CSV",
		chromedp.Click(chromedp.CSS(`#assets details:nth-of-type(2) summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#as-csv`)),
		chromedp.SendKeys(chromedp.CSS(`#as-csv`), "éditeur;produit;version;nom\nIvanti;Connect Secure;22.7R2.3;VPN\nVMware;ESXi;8.0.3;\n"),
		chromedp.Click(chromedp.CSS(`#asset-import button[type=submit]`)))
	waitFor("assets=2")
	if got := text(`#assets-msg`); !strings.Contains(got, "2 équipement(s) ajouté(s)") {
		t.Errorf("after the import: %q", got)
	}
	list := text(`#assets-list`)
	for _, want := range []string{"FortiGate", "DSM", "7.2.1", "NAS sauvegardes", "Connect Secure", "ESXi", "conseiller@csirt.example"} {
		if !strings.Contains(list, want) {
			t.Errorf("declared appliances lack %q: %q", want, list)
		}
	}
	if buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(90)); err == nil {
		writeShot(t, shots, "20-entity-assets", buf)
	}

	do("host page", chromedp.Navigate(base+"/host/"+a.ID), chromedp.WaitVisible(chromedp.CSS(`#sw-list`)))
	if got := text(`#sw-changes`); !strings.Contains(got, "telnet") || !strings.Contains(got, "3.0.16-1~deb12u1") {
		t.Errorf("changes: %q", got)
	}
	do("filter", chromedp.SendKeys(chromedp.CSS(`#sw-q`), "firefox"), chromedp.Click(chromedp.CSS(`#sw-filter button[type=submit]`)))
	waitFor("q=firefox")
	if got, n := text(`#sw-list tbody`), text(`#sw-count`); !strings.Contains(got, "Mozilla Firefox") || strings.Contains(got, "openssl") || !strings.Contains(n, "1 logiciels sur 4") {
		t.Errorf("filtered list: %q (%s)", got, n)
	}
	if buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(90)); err == nil {
		writeShot(t, shots, "21-host-software", buf)
	}
}

func writeShot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
