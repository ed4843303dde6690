package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sample is a fixed scorecard with one result of each status, including
// characters that must be escaped in HTML.
func sample() (*protocol.Scorecard, checks.Catalogue) {
	start := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	ranks := map[string]int{}
	m := func(id string, d protocol.Domain, sev protocol.Severity, rank int) checks.Meta {
		ranks[id] = rank
		return checks.Meta{ID: id, Version: 1, Domain: d, Severity: sev}
	}
	metas := []checks.Meta{
		m("patch.os-support", protocol.DomainPatch, protocol.Critical, 4),
		m("patch.security-pending", protocol.DomainPatch, protocol.High, 4),
		m("patch.reboot-pending", protocol.DomainPatch, protocol.Medium, 0),
		m("backup.recent", protocol.DomainBackup, protocol.High, 5),
		m("tls.cert-expiry", protocol.DomainTLS, protocol.High, 0),
		m("tls.hsts", protocol.DomainTLS, protocol.Low, 0),
		m("hygiene.firewall", protocol.DomainHygiene, protocol.High, 0),
		m("dns.spf", protocol.DomainDNS, protocol.Medium, 0),
	}
	metas[4].Target = "mairie.example:443"
	results := []protocol.Result{
		checks.Failed(protocol.Textf("Debian 11 : support LTS terminé le 31/08/2026", "Debian 11: LTS support ended 2026-08-31"), nil),
		checks.Failed(protocol.Textf("4 mises à jour de sécurité en attente <openssl>", "4 security updates pending <openssl>"), map[string]any{"pending": 4}),
		checks.Passed(protocol.Textf("aucun redémarrage en attente", "no reboot pending"), nil),
		checks.Skipped(protocol.Textf("aucun dossier de sauvegarde configuré", "no backup folder configured")),
		checks.Failed(protocol.Textf("certificat expiré depuis 3 jours", "certificate expired 3 days ago"), nil),
		{Status: protocol.Error, Evidence: protocol.Textf("délai dépassé", "deadline exceeded")},
		checks.Passed(protocol.Textf("pare-feu actif (nftables, 12 règles)", "firewall active (nftables, 12 rules)"), nil),
		checks.Passed(protocol.Textf("SPF présent, se termine par -all", "SPF present, ends with -all"), nil),
	}
	for i := range results {
		results[i].ID, results[i].Version, results[i].Target = metas[i].ID, 1, metas[i].Target
	}
	var list []checks.Check
	for _, mm := range metas {
		list = append(list, checks.Func{M: mm})
	}
	cat := checks.Catalogue{}
	for _, mm := range metas {
		cat[mm.ID] = checks.Guidance{
			Rank: ranks[mm.ID],
			FR:   checks.Advice{Title: "Titre " + mm.ID, What: "Ce que c'est", Why: "Pourquoi c'est important", Fix: "Que faire pour " + mm.ID, Effort: "30 min"},
			EN:   checks.Advice{Title: "Title " + mm.ID, What: "What it is", Why: "Why it matters", Fix: "What to do for " + mm.ID, Effort: "30 min"},
		}
	}
	// One measure with steps per OS: only the host's own are shown.
	g := cat["hygiene.firewall"]
	g.FR.Fix, g.FR.FixDebian, g.FR.FixWindows, g.FR.FixRHEL = "", "Debian : nft", "Windows : netsh", "Red Hat : firewalld"
	cat["hygiene.firewall"] = g
	sc := Build(Scan{
		Checks: list, Results: results, Catalogue: cat,
		Host:      protocol.HostInfo{Hostname: "mairie-srv01", OS: "linux", Platform: "debian", PlatformFamily: "debian", PlatformVersion: "12.7"},
		StartedAt: start, FinishedAt: start.Add(1300 * time.Millisecond),
		AgentID: "0123456789abcdef0123456789abcdef", Entity: "Mairie d'Exemple & environs", AgentVersion: "1.0.0",
	})
	sc.ID = "00000000000000000000000000000001"
	return sc, cat
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "report", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	norm := func(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }
	if norm(got) != norm(want) {
		t.Errorf("%s differs from golden file %s (go test ./report -update to accept):\n%s", name, path, firstDiff(norm(want), norm(got)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

func TestRenderGolden(t *testing.T) {
	sc, cat := sample()
	for _, lang := range []string{"fr", "en"} {
		var txt, html bytes.Buffer
		if err := WriteText(&txt, sc, cat, lang); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&html, sc, cat, lang); err != nil {
			t.Fatal(err)
		}
		golden(t, "scorecard."+lang+".txt", txt.Bytes())
		golden(t, "scorecard."+lang+".html", html.Bytes())
	}
	js, _ := sc.Encode()
	golden(t, "scorecard.json", append(js, '\n'))
}

func TestRenderContent(t *testing.T) {
	t.Parallel()
	sc, cat := sample()
	var txt, html bytes.Buffer
	WriteText(&txt, sc, cat, "fr")
	WriteHTML(&html, sc, cat, "fr")
	for _, want := range []string{
		"Niveau de maturité : 1/4 — Émergent\nNiveau plafonné à Émergent : une vérification critique échoue (patch.os-support).",
		"ÉCHEC", "4 mises à jour de sécurité en attente",
		"1. Titre patch.os-support",
		"Que faire pour patch.security-pending",
		"3. Titre tls.cert-expiry (mairie.example:443)",
	} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("terminal report lacks %q", want)
		}
	}
	h := html.String()
	if strings.Contains(h, "<openssl>") || !strings.Contains(h, "&lt;openssl&gt;") {
		t.Error("evidence not HTML-escaped")
	}
	if strings.Contains(h, "<script") || strings.Contains(h, "http://") || strings.Contains(h, "https://") {
		t.Error("HTML report must be self-contained: no script, no external resource")
	}
	if !strings.Contains(h, "Mairie d&#39;Exemple &amp; environs") {
		t.Error("entity not escaped")
	}
	// Round trip: a rendered scorecard decodes and validates.
	js, _ := sc.Encode()
	back, err := protocol.Decode(js)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	// Encoding (encoding/json) and decoding (JSON v2) must agree on every
	// field: durations in nanoseconds, facts, times, nested texts.
	again, _ := back.Encode()
	if !bytes.Equal(js, again) {
		t.Errorf("round trip changed the scorecard:\n%s\n%s", js, again)
	}
	if sc.Score < 40 || sc.Level != CriticalCap || !sc.LevelCapped {
		t.Errorf("score %d level %d capped %v: a failed critical check must cap a higher level", sc.Score, sc.Level, sc.LevelCapped)
	}
}

// TestTextNeutralisesEscapes: a hostname or evidence crafted with terminal
// escape sequences reaches the terminal as plain text (issue 13, item 8).
func TestTextNeutralisesEscapes(t *testing.T) {
	t.Parallel()
	sc, cat := sample()
	sc.Host.Hostname = "pc\x1b]0;pwned\x07\x1b[2J"
	sc.Results[0].Evidence.FR = "vu \x1b[31mrouge\r\x9b"
	var b bytes.Buffer
	WriteText(&b, sc, cat, "fr")
	if strings.ContainsAny(b.String(), "\x1b\x07\r\u009b") {
		t.Fatalf("control characters reached the terminal: %q", b.String())
	}
	if !strings.Contains(b.String(), "pc ]0;pwned") || !strings.Contains(b.String(), "vu  [31mrouge") {
		t.Errorf("text lost instead of neutralised: %q", b.String())
	}
}

// TestOnlyTheHostsSteps: a measure with steps per OS shows only the steps of
// the host's own OS (issue 17), in the text and HTML reports alike.
func TestOnlyTheHostsSteps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ os, family, want string }{
		{"linux", "debian", "Debian : nft"},
		{"windows", "", "Windows : netsh"},
		{"linux", "rhel", "Red Hat : firewalld"},
	} {
		sc, cat := sample()
		sc.Host.OS, sc.Host.PlatformFamily = tc.os, tc.family
		for i := range sc.Results {
			if sc.Results[i].ID == "hygiene.firewall" {
				sc.Results[i].Status = protocol.Fail
			}
		}
		sc.Actions = Prioritise(sc.Results, func(id string) int { return cat[id].Rank })
		var txt, html bytes.Buffer
		WriteText(&txt, sc, cat, "fr")
		WriteHTML(&html, sc, cat, "fr")
		for name, out := range map[string]string{"text": txt.String(), "html": html.String()} {
			if !strings.Contains(out, tc.want) {
				t.Errorf("%s/%s %s: lacks %q", tc.os, tc.family, name, tc.want)
			}
			for _, other := range []string{"Debian : nft", "Windows : netsh", "Red Hat : firewalld"} {
				if other != tc.want && strings.Contains(out, other) {
					t.Errorf("%s/%s %s: shows another OS's steps %q", tc.os, tc.family, name, other)
				}
			}
		}
	}
}

// TestTrend: the HTML report draws the host's last scores (issue 17), at
// most HistoryLength of them, this scan last; one scan alone draws nothing.
func TestTrend(t *testing.T) {
	t.Parallel()
	sc, cat := sample()
	var alone bytes.Buffer
	WriteHTML(&alone, sc, cat, "fr")
	if strings.Contains(alone.String(), "<svg") {
		t.Error("a single scan drew a trend")
	}
	var past []ScorePoint
	for i := 0; i < 20; i++ {
		past = append(past, ScorePoint{At: sc.StartedAt.AddDate(0, 0, i-20), Score: 30 + i, Level: 1})
	}
	var b bytes.Buffer
	WriteHTML(&b, sc, cat, "fr", past...)
	h := b.String()
	if n := strings.Count(h, "<circle"); n != HistoryLength {
		t.Errorf("%d points drawn, want the last %d", n, HistoryLength)
	}
	if !strings.Contains(h, "12 derniers bilans") || !strings.Contains(h, "score de 39 à 54") {
		t.Errorf("trend lacks its accessible label: %s", h[strings.Index(h, "<svg"):][:300])
	}
}
