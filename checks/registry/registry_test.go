package registry

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

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

var idPattern = regexp.MustCompile(`^(tls|dns|patch|backup|hygiene|org)\.[a-z0-9]+(-[a-z0-9]+)*$`)

// TestRegistryAndGuidanceAgree ties code and guidance together: every check
// has guidance in French and English, and no guidance names an unknown check.
func TestRegistryAndGuidanceAgree(t *testing.T) {
	t.Parallel()
	cat, err := Guidance()
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
	cat, err := Guidance()
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
	cat, err := Guidance()
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
