package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Scorecards and the single writer.

func testScorecards(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie A", "a1")
	Enrolled(t, s, "Mairie A", "a2")
	Enrolled(t, s, "Port B", "b1")
	for _, seq := range []uint64{1, 2, 5} {
		if o, err := s.SaveScorecard(ctx, Card("a1", seq)); err != nil || o != store.Stored {
			t.Fatalf("save a1/%d = %v, %v", seq, o, err)
		}
	}
	if o, err := s.SaveScorecard(ctx, Card("a1", 5)); err != nil || o != store.Duplicate {
		t.Errorf("same ID again = %v, %v; want duplicate", o, err)
	}
	replay := Card("a1", 4)
	if o, err := s.SaveScorecard(ctx, replay); err != nil || o != store.Replayed {
		t.Errorf("lower sequence = %v, %v; want replayed", o, err)
	}
	if ok, _ := s.HasScorecard(ctx, "a1", replay.ID); ok {
		t.Error("replayed scorecard stored")
	}
	if ok, _ := s.HasScorecard(ctx, "a1", "a1-2"); !ok {
		t.Error("HasScorecard(a1-2) = false")
	}
	if _, err := s.SaveScorecard(ctx, Card("ghost", 1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	// A stored ID under a new, higher sequence (a faulty agent): a
	// duplicate, and the agent's sequence does not move.
	reused := Card("a1", 6)
	reused.ID = "a1-5"
	if o, err := s.SaveScorecard(ctx, reused); err != nil || o != store.Duplicate {
		t.Errorf("stored ID with a higher sequence = %v, %v; want duplicate", o, err)
	}
	got, err := s.Scorecard(ctx, "a1", "a1-2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Card("a1", 2), got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	latest, err := s.LatestScorecard(ctx, "a1")
	if err != nil || latest.Sequence != 5 {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	if _, err := s.LatestScorecard(ctx, "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("latest of silent agent: %v", err)
	}
	if a, _ := s.Agent(ctx, "a1"); a.LastSequence != 5 || !a.LastSeen.Equal(Card("a1", 5).ReceivedAt) {
		t.Errorf("agent after saves: seq %d seen %v", a.LastSequence, a.LastSeen)
	}
	hist, err := s.History(ctx, "a1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{2, 5}, []uint64{hist[0].Sequence, hist[1].Sequence}); diff != "" || len(hist) != 2 {
		t.Errorf("history (last 2, oldest first): %s", diff)
	}
	rows, err := s.Hosts(ctx, store.HostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d hosts, want 3", len(rows))
	}
	byID := map[string]store.HostRow{}
	for _, r := range rows {
		byID[r.Agent.ID] = r
	}
	if r := byID["a1"]; r.Latest == nil || r.Latest.Sequence != 5 || r.Agent.Entity != "Mairie A" || len(r.Latest.Failed) != 2 || r.Latest.Envelope != nil {
		t.Errorf("host a1 = %+v latest %+v", r.Agent, r.Latest)
	}
	if r := byID["a1"]; r.Latest != nil && (r.Latest.DomainScores.Get("ad") != 55 || r.Latest.DomainScores.Get(protocol.DomainDNS) != 50 || r.Latest.DomainScores.Get(protocol.DomainTLS) != store.NoScore) {
		t.Errorf("host a1's latest domain scores = %v", r.Latest.DomainScores)
	}
	if byID["a2"].Latest != nil {
		t.Error("a2 never reported but has a latest scorecard")
	}
	e, _ := s.EnsureEntity(ctx, "Port B", "")
	rows, _ = s.Hosts(ctx, store.HostFilter{EntityID: e.ID})
	if len(rows) != 1 || rows[0].Agent.ID != "b1" {
		t.Errorf("filtered hosts = %v", rows)
	}
	s.RevokeAgent(ctx, "b1", "x", t0)
	if rows, _ = s.Hosts(ctx, store.HostFilter{}); len(rows) != 2 {
		t.Errorf("revoked agent listed: %d rows", len(rows))
	}
	if rows, _ = s.Hosts(ctx, store.HostFilter{IncludeRevoked: true}); len(rows) != 3 {
		t.Errorf("IncludeRevoked: %d rows", len(rows))
	}
}

// testConcurrentSaves drives the group committer: many agents saving at
// once, several scorecards per agent, every one acknowledged as stored.
func testConcurrentSaves(t *testing.T, s store.Store) {
	ctx := context.Background()
	const agents, per = 20, 10
	for i := range agents {
		Enrolled(t, s, fmt.Sprintf("Entité %02d", i), fmt.Sprintf("ag%02d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, agents*per)
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= per; seq++ {
				o, err := s.SaveScorecard(ctx, Card(fmt.Sprintf("ag%02d", i), seq))
				if err == nil && o != store.Stored {
					err = fmt.Errorf("ag%02d/%d: %v", i, seq, o)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rows, err := s.Hosts(ctx, store.HostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Latest == nil || r.Latest.Sequence != per {
			t.Errorf("%s latest = %+v", r.Agent.ID, r.Latest)
		}
	}
}

// testOneAgentAtOnce: one agent's scorecards sent all at once (they share
// group commits, in any order) are each stored or refused as replayed,
// never both, and the agent's last sequence, latest scorecard and history
// agree afterwards.
func testOneAgentAtOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie", "c1")
	const n = 16
	outs := make([]store.Outcome, n+1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for seq := uint64(1); seq <= n; seq++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			o, err := s.SaveScorecard(ctx, Card("c1", seq))
			if err != nil {
				t.Error(err)
			}
			outs[seq] = o
		}()
	}
	close(start)
	wg.Wait()
	stored, maxSeq := 0, uint64(0)
	for seq := uint64(1); seq <= n; seq++ {
		switch outs[seq] {
		case store.Stored:
			stored++
			maxSeq = seq
		case store.Replayed:
		default:
			t.Errorf("seq %d: %v", seq, outs[seq])
		}
	}
	a, err := s.Agent(ctx, "c1")
	if err != nil || a.LastSequence != maxSeq || outs[n] != store.Stored {
		t.Errorf("last sequence %d, highest stored %d, last one %v (%v)", a.LastSequence, maxSeq, outs[n], err)
	}
	hist, err := s.History(ctx, "c1", n)
	if err != nil || len(hist) != stored {
		t.Errorf("history holds %d scorecards, %d stored (%v)", len(hist), stored, err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Sequence <= hist[i-1].Sequence {
			t.Errorf("history out of order: %v", hist)
		}
	}
	if latest, err := s.LatestScorecard(ctx, "c1"); err != nil || latest.Sequence != maxSeq {
		t.Errorf("latest %+v, %v; want sequence %d", latest, err, maxSeq)
	}
}
