package web_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
)

// TestBrowserComparison drives Chromium through the comparison with peers
// as an admin: with a cohort of 5 the entity page shows the figures and
// the checks it is behind on, and prints on A4 (its print stylesheet:
// the PDF's pages are A4, few, hold the comparison and not the
// navigation; poppler's pdfinfo and pdftotext read it back); the admin
// moves a peer to another band with the page's form, and with a cohort
// of 4 the page says there are not enough comparable entities.
func TestBrowserComparison(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	pdfinfo, pdftotext := checkstest.Need(t, "pdfinfo"), checkstest.Need(t, "pdftotext")
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	ids := seedCohort(t, e.st, 5)
	b := newBrowser(t, chromium, 1366)
	base := e.srv.URL
	b.do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "admin@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	if got := b.text(`#cohorts`); !strings.Contains(got, "1 000 à 3 499 habitants") {
		t.Errorf("overview distributions: %q", got)
	}

	target := fmt.Sprintf("%s/entity/%d", base, ids[0])
	b.do("entity page", chromedp.Navigate(target), chromedp.WaitVisible(chromedp.CSS(`#cmp-table`)))
	table := b.text(`#cmp-table`)
	for _, want := range []string{"Médiane", "Niveau de maturité (0 à 4)", "Hygiène"} {
		if !strings.Contains(table, want) {
			t.Errorf("comparison table lacks %q: %q", want, table)
		}
	}
	if got := b.text(`#behind`); !strings.Contains(got, "hygiene.firewall") || !strings.Contains(got, "réussie par 4 pair(s) sur 4 (100 %)") {
		t.Errorf("behind peers: %q", got)
	}
	// The box plots are drawn: one per figure shown, each with the entity's mark.
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#cmp-table svg.box circle.own").length`)); err != nil || n < 2 {
		t.Errorf("box plots with the entity's mark: %d, %v", n, err)
	}
	b.shot("40-comparison")

	// Printed on A4, comparison included, navigation left out.
	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPrintBackground(),
		func(p *page.PrintToPDFParams) { v := true; p.PreferCSSPageSize = &v }))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	file := filepath.Join(t.TempDir(), "rapport.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(artefacts(t), "41-comparison-report.pdf"), pdf, 0o644)
	info, err := exec.Command(pdfinfo, file).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	size := regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(info)
	if m == nil || size == nil {
		t.Fatalf("pdfinfo output: %s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	w, _ := strconv.ParseFloat(string(size[1]), 64)
	h, _ := strconv.ParseFloat(string(size[2]), 64)
	// A4 is 210 × 297 mm, 595.3 × 841.9 pt; Chromium rounds to its pixels.
	if w < 593 || w > 598 || h < 840 || h > 845 {
		t.Errorf("page size %.2f x %.2f pt, want A4 (595 x 842)", w, h)
	}
	if pages < 1 || pages > 6 {
		t.Errorf("%d pages for a one-host entity's report", pages)
	}
	txt, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(txt)
	for _, want := range []string{"Commune 0", "Rapport de maturité cyber", "Comparaison avec les entités comparables", "Médiane", "hygiene.firewall", "réussie par 4 pair(s) sur 4"} {
		if !strings.Contains(text, want) {
			t.Errorf("printed report lacks %q", want)
		}
	}
	for _, nav := range []string{"Jetons d'enrôlement", "Se déconnecter", "Changer la tranche de taille"} {
		if strings.Contains(text, nav) {
			t.Errorf("printed report shows %q", nav)
		}
	}

	// The admin moves a peer to another band: four left.
	b.do("peer page", chromedp.Navigate(fmt.Sprintf("%s/entity/%d", base, ids[4])), chromedp.WaitVisible(chromedp.CSS(`#cmp-table`)),
		chromedp.Click(chromedp.CSS(`#comparison details.admin summary`)), chromedp.WaitVisible(chromedp.CSS(`#newband`)),
		chromedp.SetValue(chromedp.CSS(`#newband`), "pop-lt-1000"), chromedp.Click(chromedp.CSS(`#setband`)))
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById("sizeband")||{}).textContent||""`)); err == nil && got == "moins de 1 000 habitants" {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the band change did not reach the page")
		}
	}
	b.do("entity page, cohort of 4", chromedp.Navigate(target), chromedp.WaitVisible(chromedp.CSS(`#cmp-few`)))
	if got := b.text(`#cmp-few`); !strings.Contains(got, "Pas assez d'entités comparables") || !strings.Contains(got, "il en faut 5") {
		t.Errorf("cohort of 4: %q", got)
	}
	if got := b.text(`#cmp-cohort`); !strings.Contains(got, "4 entité(s)") {
		t.Errorf("cohort of 4 size: %q", got)
	}
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#cmp-table, #behind").length`)); n != 0 {
		t.Errorf("cohort of 4 shows %d figure elements", n)
	}
	b.shot("42-comparison-too-few")
}
