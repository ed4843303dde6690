package web_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
)

// TestBrowserAlerts drives Chromium through an adviser's alert settings:
// choose events, a sector and the daily digest, save, find them again on
// the page and in the store; the test alert button queues a mail to them.
func TestBrowserAlerts(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	var eng *alert.Engine
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) {
		var err error
		eng, err = alert.New(alert.Config{Store: c.Store, SMTP: &alert.SMTPConfig{Addr: "127.0.0.1:1", From: "vigie@csirt.example", TLS: alert.TLSNone}})
		if err != nil {
			t.Fatal(err)
		}
		c.Alerts, c.AlertsPerHour = eng, 12
	})
	seed(t, e.st, 6, 1, 2)
	shots := artefacts(t)
	b := newBrowser(t, chromium, 400)
	bctx := b.ctx
	do := b.do
	text := b.text
	base := e.srv.URL
	do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	do("open my alerts", chromedp.Click(chromedp.CSS(`nav a[href="/alerts"]`)), chromedp.WaitVisible(chromedp.CSS(`#subscription`)))
	if s := text(`#subscription`); !strings.Contains(s, "au plus 12 courriels par heure") {
		t.Errorf("the cap is not said: %q", s)
	}
	do("choose", chromedp.Click(chromedp.CSS(`input[name=event][value=regression]`)),
		chromedp.Click(chromedp.CSS(`input[name=event][value=critical]`)),
		chromedp.Click(chromedp.CSS(`input[name=sector][value=commune]`)),
		chromedp.Click(chromedp.CSS(`input[name=mode][value=digest]`)),
		chromedp.Click(chromedp.CSS(`#save`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if buf, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(shots, "09-alerts.png"), buf, 0o644)
	}
	u, _ := e.st.UserByEmail(context.Background(), "conseiller@csirt.example")
	subs, err := store.Alerts(e.st).Subscriptions(context.Background())
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions %+v %v", subs, err)
	}
	s := subs[0]
	if s.UserID != u.ID || s.Mode != "digest" || !slices.Equal(s.Events, []string{"critical", "regression"}) || !slices.Equal(s.Sectors, []string{"commune"}) || s.All {
		t.Errorf("saved %+v", s)
	}
	// The page shows them again.
	do("reload", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.CSS(`#subscription`)))
	checked, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#subscription input:checked')].map(i => i.name + '=' + i.value)`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(checked)
	if want := []string{"event=critical", "event=regression", "mode=digest", "sector=commune"}; !slices.Equal(checked, want) {
		t.Errorf("checked %v, want %v", checked, want)
	}
	do("test alert", chromedp.Click(chromedp.CSS(`#testalert`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	ds, err := store.Alerts(e.st).Deliveries(context.Background(), 10)
	if err != nil || len(ds) != 1 || ds[0].Address != "conseiller@csirt.example" || ds[0].State != store.DeliveryPending {
		t.Fatalf("test alert deliveries %+v %v", ds, err)
	}
}
