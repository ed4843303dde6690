package registry

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/protocol"
)

var update = flag.Bool("update", false, "regenerate docs/checks.md")

// everything is a configuration that instantiates every check, including
// the per-target ones, so the tests below see the whole registry.
var everything = Config{
	TLSEndpoints: []string{"127.0.0.1:1"},
	Domains:      []string{"example.invalid"},
	BackupPaths:  []string{"/nonexistent"},
	Sector:       "hospital",
	Answers:      map[string]string{},
}

var idPattern = regexp.MustCompile(`^(tls|dns|patch|backup|hygiene|org|ad)\.[a-z0-9]+(-[a-z0-9]+)*$`)

// TestRegistryAndGuidanceAgree ties code and guidance together: every check
// has guidance in French and English, and no guidance names an unknown check.
func TestRegistryAndGuidanceAgree(t *testing.T) {
	t.Parallel()
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	metas := Metas(everything)
	seen := map[string]bool{}
	for _, m := range metas {
		seen[m.ID] = true
		if !idPattern.MatchString(m.ID) {
			t.Errorf("check ID %q is not a stable dotted lower-case ID", m.ID)
		}
		if _, ok := cat[m.ID]; !ok {
			t.Errorf("check %s has no guidance", m.ID)
		}
		if m.Version < 1 {
			t.Errorf("check %s has no version", m.ID)
		}
		if !slices.Contains(protocol.Domains, m.Domain) {
			t.Errorf("check %s has unknown domain %q", m.ID, m.Domain)
		}
		if m.Severity.Rank() == 4 && m.Severity != protocol.Info {
			t.Errorf("check %s has unknown severity %q", m.ID, m.Severity)
		}
		if len(m.Refs.ANSSI)+len(m.Refs.CIS)+len(m.Refs.NIS2) == 0 {
			t.Errorf("check %s cites no reference (ANSSI, CIS or NIS2)", m.ID)
		}
	}
	for _, id := range cat.IDs() {
		if !seen[id] {
			t.Errorf("guidance names %s, which no registered check has", id)
		}
	}
}

// TestChecksDoc keeps docs/checks.md generated from the registry.
func TestChecksDoc(t *testing.T) {
	t.Parallel()
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := ChecksDoc(Metas(everything), cat)
	path := "../../docs/checks.md"
	if *update {
		os.MkdirAll("../../docs", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != string(got) {
		t.Errorf("docs/checks.md is stale: run go test ./checks/registry -run TestChecksDoc -update (%v)", err)
	}
}

// TestTitlesAreActions: a title is the measure to take ("Activer le
// pare-feu", "Turn on automatic updates"). It is shown beside failed and
// passed results and heads the list of actions, where a statement ("Le
// résolveur valide DNSSEC") would read as the opposite of the verdict.
func TestTitlesAreActions(t *testing.T) {
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	statementFR := []string{"Le ", "La ", "Les ", "L'", "Un ", "Une ", "Des ", "Aucun", "Pas ", "Tous ", "Même "}
	statementEN := []string{"The ", "A ", "An ", "No ", "Every ", "Same "}
	for id, g := range cat {
		for _, p := range statementFR {
			if strings.HasPrefix(g.FR.Title, p) {
				t.Errorf("%s: French title %q is a statement; write the action (an infinitive)", id, g.FR.Title)
			}
		}
		for _, p := range statementEN {
			if strings.HasPrefix(g.EN.Title, p) {
				t.Errorf("%s: English title %q is a statement; write the action (an imperative)", id, g.EN.Title)
			}
		}
	}
}

// runsOn reports whether a check with these OS restrictions runs on goos.
func runsOn(m checks.Meta, goos string) bool { return len(m.OS) == 0 || slices.Contains(m.OS, goos) }

// TestGuidanceRanksAndFixes ties each measure's rank and OS-specific steps
// to the checks: ranks are unique, or shared only by entries whose checks
// never run on the same OS (alternatives such as RDP on Windows and SSH on
// Linux); a MonAideCyber reference names an existing measure, and the best
// rank given to each MonAideCyber measure follows MonAideCyber's own order;
// a check that runs on Windows has Windows steps (fix or fix_windows), one
// that runs on Linux has steps for Debian and Red Hat (fix, or both
// fix_debian and fix_rhel), and no entry carries steps for an OS its check
// never runs on.
func TestGuidanceRanksAndFixes(t *testing.T) {
	t.Parallel()
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := organisation.MonAideCyberReferential()
	if err != nil {
		t.Fatal(err)
	}
	metas := map[string]checks.Meta{}
	for _, m := range Metas(everything) {
		metas[m.ID] = m
	}
	byRank := map[int][]string{}
	bestForMeasure := map[string]int{}
	for _, id := range cat.IDs() {
		g := cat[id]
		m := metas[id]
		byRank[g.Rank] = append(byRank[g.Rank], id)
		if mac, ok := strings.CutPrefix(g.Follows, "monaidecyber:"); ok {
			if _, ok := ref.Measure(mac); !ok {
				t.Errorf("%s follows unknown MonAideCyber measure %q", id, mac)
			}
			if b, seen := bestForMeasure[mac]; !seen || g.Rank < b {
				bestForMeasure[mac] = g.Rank
			}
		}
		for _, lang := range []string{"fr", "en"} {
			a := g.In(lang)
			if runsOn(m, "windows") && a.Fix == "" && a.FixWindows == "" {
				t.Errorf("%s.%s: the check runs on Windows but has neither fix nor fix_windows", id, lang)
			}
			if runsOn(m, "linux") && a.Fix == "" && (a.FixDebian == "" || a.FixRHEL == "") {
				t.Errorf("%s.%s: the check runs on Linux but has neither fix nor both fix_debian and fix_rhel", id, lang)
			}
			if !runsOn(m, "windows") && a.FixWindows != "" {
				t.Errorf("%s.%s: fix_windows for a check that never runs on Windows", id, lang)
			}
			if !runsOn(m, "linux") && a.FixDebian+a.FixRHEL != "" {
				t.Errorf("%s.%s: Linux steps for a check that never runs on Linux", id, lang)
			}
		}
	}
	for r, ids := range byRank {
		for i := range ids {
			for _, other := range ids[i+1:] {
				a, b := metas[ids[i]], metas[other]
				if runsOn(a, "windows") && runsOn(b, "windows") || runsOn(a, "linux") && runsOn(b, "linux") {
					t.Errorf("rank %d is shared by %s and %s, which can run on the same host", r, ids[i], other)
				}
			}
		}
	}
	var followed []organisation.Measure
	for mac := range bestForMeasure {
		m, _ := ref.Measure(mac)
		followed = append(followed, m)
	}
	slices.SortFunc(followed, func(a, b organisation.Measure) int { return bestForMeasure[a.ID] - bestForMeasure[b.ID] })
	for i := 1; i < len(followed); i++ {
		if followed[i].Rank < followed[i-1].Rank {
			t.Errorf("MonAideCyber measure %s (rank %d there) comes before %s (rank %d) at Vigie ranks %d and %d",
				followed[i-1].ID, followed[i-1].Rank, followed[i].ID, followed[i].Rank, bestForMeasure[followed[i-1].ID], bestForMeasure[followed[i].ID])
		}
	}
}

// TestMonAideCyberDoc keeps the ranks table of docs/monaidecyber.md
// generated from the catalogue (between its two markers).
func TestMonAideCyberDoc(t *testing.T) {
	t.Parallel()
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := organisation.MonAideCyberReferential()
	if err != nil {
		t.Fatal(err)
	}
	table := RanksTable(cat, func(id string) (string, int, bool) {
		m, ok := ref.Measure(id)
		return m.Title, m.Rank, ok
	})
	path := "../../docs/monaidecyber.md"
	const begin, end = "<!-- rangs:début (généré) -->\n", "<!-- rangs:fin -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, begin, end)
	}
	got := string(doc[:i+len(begin)]) + string(table) + string(doc[j:])
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != string(doc) {
		t.Errorf("%s is stale: run go test ./checks/registry -run TestMonAideCyberDoc -update", path)
	}
}
