package app

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// DefaultRetentionMonths is how long scorecards are kept (serve
// --retention): 13 months, a year of history and the same month a year
// before to compare with.
const DefaultRetentionMonths = 13

// Prune deletes the scorecards received more than months months ago (each
// host's latest is kept whatever its age), envelopes and all, then the
// software inventories no scorecard or host names any more; what it
// deleted is written to the audit log.
func (a *App) Prune(ctx context.Context, months int) (store.PruneResult, error) {
	if months <= 0 {
		return store.PruneResult{}, fmt.Errorf("%w : durée de conservation de %d mois", ErrBadInput, months)
	}
	r, err := a.cfg.Store.Prune(ctx, a.cfg.Now().AddDate(0, -months, 0))
	if err != nil {
		return r, err
	}
	if r.Scorecards > 0 || r.Inventories > 0 {
		a.Record(ctx, "hub", "retention", fmt.Sprintf("%d mois", months),
			fmt.Sprintf("%d bilan(s) et %d inventaire(s) supprimé(s)", r.Scorecards, r.Inventories))
	}
	return r, nil
}

// RunRetention prunes now, then every interval until ctx ends; a failure is
// logged and tried again at the next turn.
func (a *App) RunRetention(ctx context.Context, months int, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, err := a.Prune(ctx, months)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("retention", "err", err)
		case err == nil && (r.Scorecards > 0 || r.Inventories > 0):
			a.log.Info("retention", "months", months, "scorecards", r.Scorecards, "inventories", r.Inventories)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
