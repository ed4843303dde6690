package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/hub/hubtest"
)

// TestBrowserAnswers drives Chromium through an adviser filling in an
// entity's organisational answers: the entity level starts capped for want
// of answers, rises once everything is answered yes, and falls to Émergent
// with the reason when the offline backup question is answered « ne sait
// pas ».
func TestBrowserAnswers(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	ag, _ := enrolHost(t, e.st, "Mairie de Paimpol", hubtest.NewAgent(51, 1))
	enrolHost(t, e.st, "Mairie de Paimpol", hubtest.NewAgent(52, 1))
	shots := artefacts(t)

	b := newBrowser(t, chromium, 1366)
	bctx := b.ctx
	do := b.do
	text := b.text
	present := func(sel string) bool {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
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
	do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	if heat := text(`#heatmap`); !strings.Contains(heat, "Intermédiaire") {
		t.Errorf("overview before answers: %q, want the entity level Intermédiaire", heat)
	}
	do("open entity", chromedp.Navigate(fmt.Sprintf("%s/entity/%d", base, ag.EntityID)), chromedp.WaitVisible(chromedp.CSS(`#answers`)))
	if r := text(`#capreason`); !strings.Contains(r, "questions d'organisation") {
		t.Errorf("cap reason before answers: %q", r)
	}
	if lv := text(`#entitylevelname`); lv != "Intermédiaire" {
		t.Errorf("level before answers: %q", lv)
	}
	shot("10-entity-unanswered")

	// Saving reloads the page: the old one is marked so that the wait is
	// for the new one.
	save := []chromedp.Action[chromedp.Void]{chromedp.SetAttributeValue(chromedp.CSS(`#answers`), "data-stale", "1"),
		chromedp.Click(chromedp.CSS(`#saveanswers`)), chromedp.WaitVisible(chromedp.CSS(`#answers:not([data-stale])`))}
	var fill []chromedp.Action[chromedp.Void]
	for _, q := range organisation.Questions() {
		fill = append(fill, chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`select[name=%q]`, q.ID)), "yes"))
	}
	fill = append(fill, save...)
	do("answer yes everywhere", fill...)
	if lv := text(`#entitylevelname`); lv != "Optimal" || present(`#capreason`) {
		t.Errorf("after all yes: level %q, cap reason present %v", lv, present(`#capreason`))
	}
	if who := text(`[id="q-org.inventory"]`); !strings.Contains(who, "conseiller@csirt.example") {
		t.Errorf("who answered: %q", who)
	}

	do("offline backup: don't know", append([]chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`select[name="org.offline-backup"]`), "unknown")}, save...)...)
	if lv, r := text(`#entitylevelname`), text(`#capreason`); lv != "Émergent" || !strings.Contains(r, "org.offline-backup") {
		t.Errorf("offline backup « ne sait pas »: level %q, reason %q", lv, r)
	}
	if row := text(`[id="q-org.offline-backup"]`); !strings.Contains(row, "non renseigné") || !strings.Contains(row, "constaté") {
		t.Errorf("offline backup row: %q, want « non renseigné » and the backups constatées", row)
	}
	if first := text(`#top6 li:first-child`); !strings.Contains(first, "org.offline-backup") {
		t.Errorf("first priority measure: %q", first)
	}
	shot("11-entity-answered")
	do("overview", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	if heat := text(`#heatmap`); !strings.Contains(heat, "Émergent") {
		t.Errorf("overview after answers: %q, want the entity level Émergent", heat)
	}
}
