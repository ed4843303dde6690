package organisation

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

func TestMonAideCyberReferential(t *testing.T) {
	t.Parallel()
	r, err := MonAideCyberReferential()
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, th := range r.Themes {
		titles = append(titles, th.Title)
	}
	want := []string{"Contexte", "Gouvernance", "Sécurité des accès", "Sécurité des postes", "Sécurité de l'infrastructure", "Sensibilisation", "Réaction"}
	if !slices.Equal(titles, want) {
		t.Errorf("themes %q, want %q", titles, want)
	}
	if r.Source.License != "Apache-2.0" || !strings.Contains(r.Source.Repository, "betagouv/mon-aide-cyber") {
		t.Errorf("source %+v does not name MonAideCyber's repository and licence", r.Source)
	}
	// Every scored theme has questions and measures, and every measure is
	// recommended by at least one question.
	recommended := map[string]bool{}
	perTheme := map[string]int{}
	for _, q := range r.Questions {
		perTheme[q.Theme]++
		for _, m := range q.Measures {
			recommended[m] = true
		}
	}
	for _, th := range r.Themes {
		if perTheme[th.ID] == 0 {
			t.Errorf("theme %s has no question", th.ID)
		}
	}
	for _, m := range r.Measures {
		if !recommended[m.ID] {
			t.Errorf("measure %s is recommended by no question", m.ID)
		}
	}
	// The first ranks are the ones advisers know (REFERENCES.md): what to
	// protect, then updates, antivirus, firewall, backups, admin rights,
	// an isolated copy, restore tests, admin accounts, MFA.
	order := []string{
		"gouvernance-infos-et-activités-a-proteger",
		"securite-infrastructure-mises-a-jour-fonctionnelles-securite-systemes-exploitation-securite-deployees",
		"securite-poste-antivirus-deploye",
		"securite-poste-pare-feu-local-active",
		"reaction-sauvegardes-donnees-realisees",
		"acces-utilisateurs-administrateurs-poste",
		"reaction-sauvegardes-donnees-realisees-oui-automatique-et-reguliere-tiroir-environnement-isole",
		"reaction-sauvegardes-donnees-realisees-oui-automatique-et-reguliere-tiroir-sauvegarde-testee-regulierement",
		"acces-utilisation-comptes-administrateurs-droits-limitee",
		"acces-teletravail-acces-distants-mesures-particulieres",
	}
	last := 0
	for _, id := range order {
		m, ok := r.Measure(id)
		if !ok {
			t.Fatalf("measure %s missing", id)
		}
		if m.Rank <= last {
			t.Errorf("measure %s has rank %d, not after %d", id, m.Rank, last)
		}
		last = m.Rank
	}
}

func TestParseReferentialRejectsBadData(t *testing.T) {
	t.Parallel()
	good := `[source]
repository = "https://github.com/betagouv/mon-aide-cyber"
license = "Apache-2.0"
[[theme]]
id = "contexte"
title = "Contexte"
[[theme]]
id = "reaction"
title = "Réaction"
[[question]]
id = "q1"
theme = "reaction"
title = "Q"
weight = 3
measures = ["m1"]
[[question]]
id = "q2"
theme = "reaction"
title = "Q2"
weight = 0.5
follow_up_of = "q1"
[[question]]
id = "c1"
theme = "contexte"
title = "C"
weight = 0
[[measure]]
id = "m1"
theme = "reaction"
rank = 6
title = "M"
`
	if _, err := ParseReferential([]byte(good)); err != nil {
		t.Fatalf("good data refused: %v", err)
	}
	for name, bad := range map[string]string{
		"unknown key":        strings.Replace(good, `rank = 6`, "rank = 6\npriority = 1", 1),
		"no licence":         strings.Replace(good, `license = "Apache-2.0"`, "", 1),
		"dangling measure":   strings.Replace(good, `measures = ["m1"]`, `measures = ["m2"]`, 1),
		"dangling follow-up": strings.Replace(good, `follow_up_of = "q1"`, `follow_up_of = "q9"`, 1),
		"unknown theme":      strings.Replace(good, "theme = \"reaction\"\ntitle = \"Q\"\n", "theme = \"acces\"\ntitle = \"Q\"\n", 1),
		"zero rank":          strings.Replace(good, `rank = 6`, `rank = 0`, 1),
		"weight over 3":      strings.Replace(good, `weight = 3`, `weight = 4`, 1),
		"unweighted scored":  strings.Replace(good, `weight = 0.5`, `weight = 0`, 1),
		"weighted context":   strings.Replace(good, `weight = 0`+"\n", `weight = 1`+"\n", 1),
		"duplicate question": strings.Replace(good, `id = "q2"`, `id = "q1"`, 1),
		"duplicate theme":    strings.Replace(good, `id = "reaction"`, `id = "contexte"`, 1),
		"syntax":             "[[theme]\n",
	} {
		if _, err := ParseReferential([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestQuestionsFollowMonAideCyber: every Vigie question sits in a
// MonAideCyber theme and names the MonAideCyber question it corresponds to,
// in that same theme, or says why there is none; the questionnaire is shown
// grouped by theme, in MonAideCyber's order.
func TestQuestionsFollowMonAideCyber(t *testing.T) {
	t.Parallel()
	r, err := MonAideCyberReferential()
	if err != nil {
		t.Fatal(err)
	}
	qs := Questions()
	lastTheme := -1
	for _, q := range qs {
		if _, ok := r.Theme(q.Theme); !ok || q.Theme == "contexte" {
			t.Errorf("%s: theme %q is not a scored MonAideCyber theme", q.ID, q.Theme)
		}
		ti := slices.IndexFunc(r.Themes, func(th Theme) bool { return th.ID == q.Theme })
		if ti < lastTheme {
			t.Errorf("%s (%s) is out of theme order", q.ID, q.Theme)
		}
		lastTheme = ti
		switch {
		case q.MonAideCyber != "" && q.NoMatch != "":
			t.Errorf("%s names a MonAideCyber question and says there is none", q.ID)
		case q.MonAideCyber == "" && strings.TrimSpace(q.NoMatch) == "":
			t.Errorf("%s names no MonAideCyber question and gives no reason", q.ID)
		case q.MonAideCyber != "":
			mq, ok := r.Question(q.MonAideCyber)
			if !ok {
				t.Errorf("%s names unknown MonAideCyber question %q", q.ID, q.MonAideCyber)
			} else if mq.Theme != q.Theme {
				t.Errorf("%s is in theme %s but its MonAideCyber question is in %s", q.ID, q.Theme, mq.Theme)
			}
		}
	}
	if len(qs) != len(questions) {
		t.Errorf("grouping by theme kept %d of %d questions", len(qs), len(questions))
	}
}

// TestUnansweredIsDistinguishable: unanswered (nothing answered on the
// host) and "not applicable" both leave the score, but their facts tell
// them apart; "don't know" is « non renseigné », counted as not done.
func TestUnansweredIsDistinguishable(t *testing.T) {
	t.Parallel()
	run := func(answer string) protocol.Result {
		for _, c := range Checks(map[string]string{"org.mfa-remote": answer}) {
			if c.Meta().ID == "org.mfa-remote" {
				return checks.RunAll(context.Background(), checkstest.Host(), []checks.Check{c}, checks.RunOptions{})[0]
			}
		}
		t.Fatal("org.mfa-remote not found")
		return protocol.Result{}
	}
	for _, tt := range []struct {
		answer string
		status protocol.Status
		fact   string
		fr     string
	}{
		{"", protocol.NotApplicable, Unanswered, "non renseigné"},
		{"na", protocol.NotApplicable, NotApplicable, "non applicable"},
		{"sans objet", protocol.NotApplicable, NotApplicable, "non applicable"},
		{"je ne sais pas", protocol.Fail, Unknown, "ne sait pas"},
	} {
		r := run(tt.answer)
		if r.Status != tt.status || r.Facts["answer"] != tt.fact || !strings.Contains(r.Evidence.FR, tt.fr) || !r.Declared {
			t.Errorf("answer %q: %s %v %q declared=%v; want %s answer=%s «%s»", tt.answer, r.Status, r.Facts, r.Evidence.FR, r.Declared, tt.status, tt.fact, tt.fr)
		}
	}
}

func TestAskShowsThemes(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if _, err := Ask(strings.NewReader(""), &out, "fr", nil); err != nil {
		t.Fatal(err)
	}
	// Input ends at once: only the first theme's header is printed.
	first := Questions()[0]
	if !strings.Contains(out.String(), "== "+ThemeTitle(first.Theme)+" ==") || ThemeTitle(first.Theme) == first.Theme {
		t.Errorf("no theme header for %s in:\n%s", first.Theme, out.String())
	}
	if !strings.Contains(out.String(), "na (non applicable)") || !strings.Contains(out.String(), "? (je ne sais pas)") {
		t.Errorf("the answers « je ne sais pas » and « non applicable » are not offered:\n%s", out.String())
	}
}
