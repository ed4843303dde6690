package organisation_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// TestJudgeMatchesTheHostQuestionnaire: the hub's judgement of an entity's
// answers is the one a host gives the same answers, metadata included, so
// the entity level and a host level are computed alike.
func TestJudgeMatchesTheHostQuestionnaire(t *testing.T) {
	t.Parallel()
	for name, answers := range map[string]map[string]string{
		"nothing":  nil,
		"some":     {"org.offline-backup": "oui", "org.mfa-remote": "nsp", "org.awareness": "partial"},
		"all yes":  allAnswered(organisation.Yes),
		"unusable": {"org.inventory": "peut-être"},
	} {
		cs := organisation.Checks(answers)
		ran := checks.RunAll(context.Background(), checkstest.Host(), cs, checks.RunOptions{})
		for i := range ran {
			m := cs[i].Meta()
			ran[i].Domain, ran[i].Severity, ran[i].Refs, ran[i].Duration = m.Domain, m.Severity, m.Refs, 0
		}
		got := organisation.Judge(answers)
		if diff := cmp.Diff(ran, got); diff != "" {
			t.Errorf("%s: Judge differs from running the questionnaire (-ran +judge):\n%s", name, diff)
		}
	}
}

func allAnswered(v string) map[string]string {
	m := map[string]string{}
	for _, q := range organisation.Questions() {
		m[q.ID] = v
	}
	return m
}

// TestJudgeScoring: the rule of issue 17 through report.Score: nothing
// answered leaves the organisation domain not assessed (and the level
// capped), answered "ne sait pas" fails.
func TestJudgeScoring(t *testing.T) {
	t.Parallel()
	s := report.Score(organisation.Judge(nil))
	if len(s.Domains) != 1 || s.Domains[0].Score != protocol.NoScore || s.Domains[0].NA != len(organisation.Questions()) {
		t.Errorf("nothing answered: %+v, want organisation non évalué", s)
	}
	s = report.Score(organisation.Judge(allAnswered(organisation.Yes)))
	if s.Domains[0].Score != 100 || s.Level != protocol.MaxLevel || s.LevelCapped {
		t.Errorf("all yes: %+v", s)
	}
	unknown := allAnswered(organisation.Yes)
	unknown["org.offline-backup"] = organisation.Unknown
	s = report.Score(organisation.Judge(unknown))
	if s.LevelCap != protocol.CapCritical || !cmp.Equal(s.CappedBy, []string{"org.offline-backup"}) {
		t.Errorf("offline backup « ne sait pas »: %+v, want capped by it (critical)", s)
	}
}

// TestObservations: every question, MonAideCyber question and check the
// « constaté » mapping names exists, and the topics issue 17 lists are
// covered.
func TestObservations(t *testing.T) {
	t.Parallel()
	ref, err := organisation.MonAideCyberReferential()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, q := range organisation.Questions() {
		known[q.ID] = true
	}
	covered := map[string]bool{}
	for _, o := range organisation.Observations() {
		if o.Question != "" && !known[o.Question] {
			t.Errorf("observation names unknown question %s", o.Question)
		}
		if _, ok := ref.Question(o.MonAideCyber); !ok {
			t.Errorf("observation names unknown MonAideCyber question %s", o.MonAideCyber)
		}
		if o.FR == "" || o.EN == "" || len(o.Checks) == 0 {
			t.Errorf("observation %s is incomplete", o.MonAideCyber)
		}
		for _, c := range o.Checks {
			if _, ok := cat[c]; !ok {
				t.Errorf("observation %s names unknown check %s", o.MonAideCyber, c)
			}
			covered[c] = true
		}
	}
	for _, c := range []string{"hygiene.antivirus", "hygiene.firewall", "hygiene.disk-encryption", "patch.security-pending", "backup.recent", "hygiene.local-admins", "hygiene.rdp"} {
		if !covered[c] {
			t.Errorf("%s answers a question of the diagnostic but is in no observation", c)
		}
	}
}
