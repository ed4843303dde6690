package alert_test

import (
	"slices"
	"testing"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/protocol"
)

// uploadClear stores a's next scorecard as hub/api's ingestion does, with
// the payload it verified (kept in clear: what detection reads in batch),
// where upload stores the envelope alone. status, when set, replaces the
// status of the checks in fail.
func (f *fixture) uploadClear(a *hubtest.Agent, fail []string, status protocol.Status) {
	f.t.Helper()
	sc := card(a, "1.0.0", fail, nil)
	if status != "" {
		for i := range sc.Results {
			if slices.Contains(fail, sc.Results[i].ID) {
				sc.Results[i].Status = status
			}
		}
	}
	env := a.Sign(sc)
	e, err := protocol.ParseEnvelope(env)
	if err != nil {
		f.t.Fatal(err)
	}
	rec := api.Record(sc.Summary(), env, f.clock.Now())
	rec.PayloadBase64 = e.Payload
	if rec.Payload, err = protocol.OpenUnverified(e, protocol.PayloadType); err != nil {
		f.t.Fatal(err)
	}
	if out, err := f.st.SaveScorecard(f.ctx, rec); err != nil || out != store.Stored {
		f.t.Fatalf("save: %v %v", out, err)
	}
}

// TestFixedReadInBatchAndAfterRestart: the open critical alerts found by
// host, and the scorecards read in one batch, give each host its own
// "fixed" and only when its check passes; a restarted engine (its index of
// open alerts rebuilt from the database) still closes what the previous
// one opened.
func TestFixedReadInBatchAndAfterRestart(t *testing.T) { fixedInBatch(t, newFixture(t, nil)) }

// The same on PostgreSQL (scorecards read by ingest_id).
func TestFixedReadInBatchAndAfterRestartPostgres(t *testing.T) {
	fixedInBatch(t, makeFixtureDSN(t, pgtest.DSN(t), nil, false))
}

func fixedInBatch(t *testing.T, f *fixture) {
	a, b, c := f.enroll(11), f.enroll(12), f.enroll(13)
	const crit = "backup.recent"
	for _, x := range []*hubtest.Agent{a, b, c} {
		f.uploadClear(x, nil, "") // baselines
	}
	f.detect()
	f.deliver()
	f.hook.take()
	for _, x := range []*hubtest.Agent{a, b, c} {
		f.uploadClear(x, []string{crit}, "")
	}
	f.detect()
	f.deliver()
	if n := count(f.hook.take(), "critical"); n != 3 {
		t.Fatalf("%d critical alerts, want one per host", n)
	}

	// Restart: a new engine on the same database.
	eng, err := alert.New(alert.Config{Store: f.st, PublicURL: "https://hub.example:8443", Now: f.clock.Now,
		Webhooks: []alert.WebhookConfig{{URL: f.hook.srv.URL + "/hooks/vigie", Secret: f.hook.secret, Events: []string{"critical", "fixed", "regression"}}}})
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	// In one pass: a's check passes, b's gives an error (no verdict: stays
	// open), c's still fails then passes (two scorecards of one batch).
	f.uploadClear(a, nil, "")
	f.uploadClear(b, []string{crit}, protocol.Error)
	f.uploadClear(c, []string{crit}, "")
	f.uploadClear(c, nil, "")
	f.detect()
	f.deliver()
	got := f.hook.take()
	var fixed []string
	for _, x := range got {
		if x.Type == "fixed" {
			fixed = append(fixed, x.Data.Host.AgentID)
		}
	}
	slices.Sort(fixed)
	want := []string{a.ID, c.ID}
	slices.Sort(want)
	if !slices.Equal(fixed, want) {
		t.Fatalf("fixed for %v, want a and c %v (b gave an error)", fixed, want)
	}
	// b passes now: its alert was still open.
	f.uploadClear(b, nil, "")
	f.uploadClear(a, nil, "")
	f.detect()
	f.deliver()
	got = f.hook.take()
	if len(got) != 1 || got[0].Type != "fixed" || got[0].Data.Host.AgentID != b.ID {
		t.Fatalf("after b passes: %+v, want one fixed for b", got)
	}
	// Opened and fixed by the same engine, in two passes.
	f.uploadClear(a, []string{crit}, "")
	f.detect()
	f.uploadClear(a, nil, "")
	f.detect()
	f.deliver()
	types := f.hook.types()
	slices.Sort(types)
	if !slices.Equal(types, []string{"critical", "fixed", "regression"}) {
		t.Fatalf("a failing then passing again: %v", types)
	}
}

func count(bs []alert.Body, typ string) int {
	n := 0
	for _, x := range bs {
		if x.Type == typ {
			n++
		}
	}
	return n
}
