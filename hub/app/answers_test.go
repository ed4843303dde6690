package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// report stores a's next scorecard as the hub would after verifying it.
func report(t *testing.T, st store.Store, a *hubtest.Agent, at time.Time) *protocol.Scorecard {
	t.Helper()
	sc := a.Next(at)
	rec := &store.Scorecard{AgentID: a.ID, ID: sc.ID, Sequence: sc.Sequence, ReceivedAt: at, StartedAt: sc.StartedAt, FinishedAt: sc.FinishedAt,
		Score: sc.Score, Level: int(sc.Level), Capped: sc.LevelCapped, DomainScores: store.ScoresOf(sc.Domains), Hostname: a.Host.Hostname,
		OS: a.Host.OS, Platform: a.Host.Platform, AgentVersion: "1.0.0", Envelope: a.Sign(sc)}
	if out, err := st.SaveScorecard(context.Background(), rec); err != nil || out != store.Stored {
		t.Fatalf("save: %v %v", out, err)
	}
	return sc
}

func allAnswers(v string) map[string]string {
	m := map[string]string{}
	for _, q := range organisation.Questions() {
		m[q.ID] = v
	}
	return m
}

// TestEntityLevel: the entity's level is report.Score over its hosts'
// results and its answers, with the caps: hosts that pass everything but
// an entity with no answers is Intermédiaire at most, whatever the hosts'
// own levels; all answered yes lifts it; « ne sait pas » to the offline
// backup question (critical) holds it at Émergent and says why. The
// overview shows the entity level, updated when the answers change.
func TestEntityLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/hub.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(app.Config{Store: st, Now: func() time.Time { return t0 }, Rank: func(id string) int { return cat[id].Rank }})

	h1, h2 := hubtest.NewAgent(31, 1), hubtest.NewAgent(32, 1)
	h2.Override = map[string]protocol.Status{"hygiene.firewall": protocol.Warn}
	ag := storetest.Enrolled(t, st, "Mairie de Morlaix", h1.ID)
	storetest.Enrolled(t, st, "Mairie de Morlaix", h2.ID)
	sc1 := report(t, st, h1, t0)
	report(t, st, h2, t0)
	if sc1.Level != protocol.MaxLevel {
		t.Fatalf("test setup: host level %d, want Optimal (its own declared answers pass)", sc1.Level)
	}

	r, err := a.Entity(ctx, ag.EntityID, "conseiller@region.fr")
	if err != nil {
		t.Fatal(err)
	}
	if r.Scores == nil || r.Scores.Level != 2 || r.Scores.LevelCap != protocol.CapOrganisation {
		t.Fatalf("no answers: entity scores %+v, want Intermédiaire capped for the organisation", r.Scores)
	}
	if reason := app.CapReason(r.Scores, "fr"); !strings.Contains(reason, "questions d'organisation") {
		t.Errorf("cap reason %q", reason)
	}
	for _, row := range r.Answers {
		if !row.Unanswered() || row.Result.Status != protocol.NotApplicable {
			t.Errorf("no answers: %s is %+v", row.Question.ID, row)
		}
	}
	overviewLevel := func() int {
		t.Helper()
		ov, err := a.Overview(ctx, app.Filter{Level: -1})
		if err != nil || len(ov.Entities) != 1 {
			t.Fatalf("overview %+v, %v", ov, err)
		}
		return ov.Entities[0].Level
	}
	if lv := overviewLevel(); lv != 2 {
		t.Errorf("overview level %d, want the entity's 2 (its hosts are each Optimal)", lv)
	}

	n, err := a.SetAnswers(ctx, ag.EntityID, allAnswers(organisation.Yes), "conseiller@region.fr")
	if err != nil || n != len(organisation.Questions()) {
		t.Fatalf("SetAnswers = %d, %v", n, err)
	}
	if n, err := a.SetAnswers(ctx, ag.EntityID, allAnswers(organisation.Yes), "autre@region.fr"); err != nil || n != 0 {
		t.Errorf("the same answers again changed %d, %v", n, err)
	}
	r, _ = a.Entity(ctx, ag.EntityID, "x")
	if r.Scores.LevelCapped || r.Scores.Level < 3 {
		t.Errorf("all answered yes: %+v, want Confirmé or more, not capped", r.Scores)
	}
	if r.Answers[0].Answer.By != "conseiller@region.fr" || !r.Answers[0].Answer.At.Equal(t0) {
		t.Errorf("who and when: %+v", r.Answers[0].Answer)
	}
	if lv := overviewLevel(); lv != int(r.Scores.Level) {
		t.Errorf("overview level %d after the answers, want %d", lv, r.Scores.Level)
	}

	if _, err := a.SetAnswers(ctx, ag.EntityID, map[string]string{"org.offline-backup": organisation.Unknown}, "conseiller@region.fr"); err != nil {
		t.Fatal(err)
	}
	r, _ = a.Entity(ctx, ag.EntityID, "x")
	if r.Scores.Level != 1 || r.Scores.LevelCap != protocol.CapCritical || !slices.Equal(r.Scores.CappedBy, []string{"org.offline-backup"}) {
		t.Errorf("offline backup « ne sait pas »: %+v, want Émergent capped by it", r.Scores)
	}
	if lv := overviewLevel(); lv != 1 {
		t.Errorf("overview level %d, want 1", lv)
	}
	var offline app.AnswerRow
	for _, row := range r.Answers {
		if row.Question.ID == "org.offline-backup" {
			offline = row
		}
	}
	if !offline.Unanswered() || offline.Result.Status != protocol.Fail || offline.Observed == nil || offline.Observed.Status != protocol.Pass {
		t.Errorf("offline backup row %+v, want « non renseigné », failing, with the backups seen on the hosts", offline)
	}

	// The measures: the failure first, then the warning with its host.
	if len(r.Actions) < 2 || r.Actions[0].ID != "org.offline-backup" || r.Actions[0].Status != protocol.Fail || len(r.Actions[0].Hosts) != 0 {
		t.Fatalf("actions %+v", r.Actions)
	}
	if x := r.Actions[1]; x.ID != "hygiene.firewall" || x.Status != protocol.Warn || !slices.Equal(x.Hosts, []string{"srv-" + h2.ID}) {
		t.Errorf("second action %+v, want the firewall warning on srv-%s", x, h2.ID)
	}
	for _, o := range r.Observed {
		if slices.Contains(o.Checks, "hygiene.firewall") && (o.Status != protocol.Warn || len(o.Seen) != 2) {
			t.Errorf("firewall observed %+v, want warn from 2 hosts", o)
		}
	}

	for name, ans := range map[string]map[string]string{
		"unknown question": {"org.nope": "yes"},
		"typed answer":     {"org.inventory": "oui"},
	} {
		if _, err := a.SetAnswers(ctx, ag.EntityID, ans, "x"); !errors.Is(err, app.ErrBadInput) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := a.SetAnswers(ctx, 9999, allAnswers(organisation.Yes), "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
	log, _ := st.AuditLog(ctx, 50)
	found := false
	for _, e := range log {
		found = found || (e.Action == "answers_set" && e.Actor == "conseiller@region.fr" && strings.Contains(e.Detail, "org.offline-backup=unknown"))
	}
	if !found {
		t.Errorf("answers change not audited: %+v", log)
	}
}
