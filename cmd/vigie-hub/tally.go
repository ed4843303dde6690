package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// summaryEvery is how often serve logs the scorecards it stored (a
// variable so that a test need not wait a minute).
var summaryEvery = time.Minute

// tally is the store as the agents' API sees it, counting what
// SaveScorecard did, so that serve logs one summary line a minute instead
// of a line per upload (thousands of agents) or nothing at all.
type tally struct {
	store.Store
	stored, duplicate, replayed, failed atomic.Int64
}

func (t *tally) SaveScorecard(ctx context.Context, sc *store.Scorecard) (store.Outcome, error) {
	o, err := t.Store.SaveScorecard(ctx, sc)
	switch {
	case err != nil:
		t.failed.Add(1)
	case o == store.Stored:
		t.stored.Add(1)
	case o == store.Duplicate:
		t.duplicate.Add(1)
	case o == store.Replayed:
		t.replayed.Add(1)
	}
	return o, err
}

// report logs, every summaryEvery until ctx ends, the scorecards stored
// since the last line; a quiet minute logs nothing.
func (t *tally) report(ctx context.Context, log *slog.Logger) {
	tick := time.NewTicker(summaryEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			t.flush(log)
			return
		case <-tick.C:
			t.flush(log)
		}
	}
}

func (t *tally) flush(log *slog.Logger) {
	s, d, r, f := t.stored.Swap(0), t.duplicate.Swap(0), t.replayed.Swap(0), t.failed.Swap(0)
	if s+d+r+f == 0 {
		return
	}
	log.Info("bilans reçus", "enregistrés", s, "doublons", d, "rejoués", r, "échecs_écriture", f)
}
