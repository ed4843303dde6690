package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestQuestionnaireThenScan answers the questionnaire through its terminal
// interface, then checks that the answers reach the scorecard as declared
// results, and that the configuration file's answers are used too.
func TestQuestionnaireThenScan(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	// First question yes, second no, an invalid answer re-asked then partial, then stop.
	stdin = strings.NewReader("o\nnon\npeut-être\np\nq\n")
	defer func() { stdin = os.Stdin }()
	code, out, stderr := vigie(t, "questionnaire", "--state-dir", state)
	if code != exitOK {
		t.Fatalf("questionnaire exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "3 réponses enregistrées") {
		t.Errorf("questionnaire output lacks the saved count:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(state, "questionnaire.toml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("answers file: %v %v", err, fi)
	}

	cfg := filepath.Join(dir, "vigie.toml")
	// The configuration answers a question the questionnaire did not reach.
	fromConfig := organisation.Questions()[5].ID
	os.WriteFile(cfg, []byte("entity = \"Mairie de Test\"\nsector = \"commune\"\n[answers]\n\""+fromConfig+"\" = \"yes\"\n"), 0o600)
	js := filepath.Join(dir, "out.json")
	code, _, stderr = vigie(t, "scan", "--quiet", "--config", cfg, "--state-dir", state, "--json", js)
	if code != exitOK {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(js)
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Entity != "Mairie de Test" || sc.Sector != "commune" {
		t.Errorf("entity %q sector %q not taken from the configuration", sc.Entity, sc.Sector)
	}
	answered := map[protocol.Status]int{}
	for _, r := range sc.Results {
		if r.Domain != protocol.DomainOrganisation {
			continue
		}
		if !r.Declared {
			t.Errorf("%s is not marked declared", r.ID)
		}
		if r.Facts["answer"] == organisation.Unanswered {
			// Left blank once the questionnaire is answered: not done.
			if r.Status != protocol.Fail {
				t.Errorf("%s left blank is %s, want fail (« non renseigné »)", r.ID, r.Status)
			}
			continue
		}
		answered[r.Status]++
	}
	// 3 from the questionnaire + 1 from the config file.
	if answered[protocol.Pass] != 2 || answered[protocol.Fail] != 1 || answered[protocol.Warn] != 1 {
		t.Errorf("organisation results %v, want 2 pass, 1 fail, 1 warn", answered)
	}

	// A malformed configuration is a usage error naming the file.
	os.WriteFile(cfg, []byte("sector = [\n"), 0o600)
	code, _, stderr = vigie(t, "scan", "--quiet", "--config", cfg, "--state-dir", state)
	if code != exitUsage || !strings.Contains(stderr, "vigie.toml") {
		t.Errorf("bad config: exit %d %q", code, stderr)
	}
}
