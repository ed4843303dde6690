package app

import (
	"context"
	"time"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// An entity compared with its peers (issue 22): the figures are those the
// overview shows (BuildEntityOverview over EntityLevels: each entity's
// latest level and domain scores), grouped by sector and size band
// (hub/cohort), never recomputed another way.

// entityChecks is an entity's status on each check over results (its
// EntityResults): fail when any result fails, else warn when one warns,
// else pass when one passes; checks without a verdict (not applicable,
// not read) are left out, so they never count as passed.
func entityChecks(results []protocol.Result) map[string]protocol.Status {
	out := map[string]protocol.Status{}
	for _, r := range results {
		st := r.Status.Effective()
		if !st.Applicable() {
			continue
		}
		if was, ok := out[r.ID]; !ok || st.Rank() < was.Rank() {
			out[r.ID] = st
		}
	}
	return out
}

// members is every entity of rows as the comparison sees it, with the
// overview's domain columns.
func members(rows []store.HostRow, states map[int64]cachedLevel, entities []store.Entity) ([]cohort.Member, []protocol.Domain) {
	levels := make(map[int64]protocol.Scores, len(states))
	for id, s := range states {
		levels[id] = s.scores
	}
	band := make(map[int64]cohort.Band, len(entities))
	for _, e := range entities {
		band[e.ID] = cohort.Band(e.SizeBand)
	}
	// The silence settings do not matter here: only levels and scores are read.
	ov := BuildEntityOverview(rows, levels, Filter{Level: -1}, time.Time{}, 0, 0)
	out := make([]cohort.Member, 0, len(ov.Entities))
	for _, r := range ov.Entities {
		m := cohort.Member{ID: r.ID, Sector: r.Sector, Band: band[r.ID], Level: r.Level, Domains: map[protocol.Domain]int(r.Domains)}
		if s, ok := states[r.ID]; ok {
			m.Checks = s.checks
		}
		out = append(out, m)
	}
	return out, ov.Domains
}

// Comparison compares entity id with the entities of its sector and size
// band in the region (cohort.Compare; figures only over
// max(cohort.MinEntities, the hub's aggregate minimum) entities, the
// entity itself counted when it has a level). Errors: store.ErrNotFound.
func (a *App) Comparison(ctx context.Context, id int64) (cohort.Comparison, error) {
	st := a.cfg.Store
	e, err := st.Entity(ctx, id)
	if err != nil {
		return cohort.Comparison{}, err
	}
	rows, err := st.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return cohort.Comparison{}, err
	}
	states, err := a.entityStates(ctx, rows)
	if err != nil {
		return cohort.Comparison{}, err
	}
	entities, err := st.Entities(ctx)
	if err != nil {
		return cohort.Comparison{}, err
	}
	all, domains := members(rows, states, entities)
	self := cohort.Member{ID: e.ID, Sector: protocol.Sector(e.Sector), Band: cohort.Band(e.SizeBand), Level: cohort.NoValue}
	for _, m := range all {
		if m.ID == e.ID {
			self = m
		}
	}
	return cohort.Compare(self, all, domains, a.cfg.MinAggregate), nil
}
