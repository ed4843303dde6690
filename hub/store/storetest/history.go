package storetest

import (
	"context"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
)

// testLateHistory: a Late scorecard older than the agent's latest (a USB
// stick carried late, vigie-hub import) is stored in the history only; the
// latest row, the overview and the agent's sequence stay the newer one's.
// Its ID again is a duplicate; another scorecard on a sequence already
// held is a replay; without Late an old sequence stays a replay.
func testLateHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Hôpital H", "h1")
	for _, seq := range []uint64{5, 8} {
		if o, err := s.SaveScorecard(ctx, Card("h1", seq)); err != nil || o != store.Stored {
			t.Fatalf("save h1/%d = %v, %v", seq, o, err)
		}
	}
	if o, err := s.SaveScorecard(ctx, Card("h1", 3)); err != nil || o != store.Replayed {
		t.Errorf("old sequence without Late = %v, %v; want replayed", o, err)
	}
	late := Card("h1", 3)
	late.Late = true
	if o, err := s.SaveScorecard(ctx, late); err != nil || o != store.History {
		t.Fatalf("late scorecard = %v, %v; want history", o, err)
	}
	late = Card("h1", 3)
	late.Late = true
	if o, err := s.SaveScorecard(ctx, late); err != nil || o != store.Duplicate {
		t.Errorf("late scorecard again = %v, %v; want duplicate", o, err)
	}
	other := Card("h1", 5)
	other.ID, other.Late = "h1-other-5", true
	if o, err := s.SaveScorecard(ctx, other); err != nil || o != store.Replayed {
		t.Errorf("another scorecard on sequence 5 = %v, %v; want replayed", o, err)
	}
	if ok, _ := s.HasScorecard(ctx, "h1", "h1-other-5"); ok {
		t.Error("a second scorecard on a held sequence was stored")
	}
	// A Late scorecard above the latest is an ordinary new one.
	next := Card("h1", 9)
	next.Late = true
	if o, err := s.SaveScorecard(ctx, next); err != nil || o != store.Stored {
		t.Errorf("late flag on a newer scorecard = %v, %v; want stored", o, err)
	}
	if latest, err := s.LatestScorecard(ctx, "h1"); err != nil || latest.Sequence != 9 {
		t.Errorf("latest = %+v, %v; want sequence 9", latest, err)
	}
	if a, _ := s.Agent(ctx, "h1"); a.LastSequence != 9 {
		t.Errorf("agent's last sequence = %d, want 9", a.LastSequence)
	}
	rows, err := s.Hosts(ctx, store.HostFilter{})
	if err != nil || len(rows) != 1 || rows[0].Latest == nil || rows[0].Latest.Sequence != 9 {
		t.Errorf("overview row = %+v, %v", rows, err)
	}
	hist, err := s.History(ctx, "h1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, p := range hist {
		seqs = append(seqs, p.Sequence)
	}
	if len(seqs) != 4 || seqs[0] != 3 || seqs[1] != 5 || seqs[2] != 8 || seqs[3] != 9 {
		t.Errorf("history sequences = %v, want [3 5 8 9]", seqs)
	}
	// Several at once, as the group commit batches them (on PostgreSQL a
	// batch holding a Late scorecard takes the four-statement path).
	done := make(chan store.Outcome, 2)
	for _, seq := range []uint64{1, 2} {
		go func() {
			c := Card("h1", seq)
			c.Late = true
			o, err := s.SaveScorecard(ctx, c)
			if err != nil {
				t.Error(err)
			}
			done <- o
		}()
	}
	for range 2 {
		if o := <-done; o != store.History {
			t.Errorf("concurrent late = %v, want history", o)
		}
	}
}
