package app

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// EntityRow is one entity of the overview: its hosts' latest scorecards
// combined with its answers. Its score, level and domain scores are the
// entity's (EntityScores: report.Score over its hosts' results and its
// answers, so a critical failure on one neglected server caps the whole
// entity); when only the stored summaries are at hand (BuildOverview
// without levels), the level is its weakest host's and domain scores are
// the mean over hosts.
type EntityRow struct {
	ID       int64
	Name     string
	Sector   protocol.Sector
	Hosts    int
	Reported int // hosts with at least one scorecard
	Score    int // mean of host scores; -1 when no host reported
	Level    int // min of host levels; -1 when no host reported
	// Domains are the mean domain scores, by domain (NoScore where no host
	// had anything applicable).
	Domains store.DomainScores
	// LastSeen is when the latest scorecard of its hosts was received;
	// zero when none has reported yet.
	LastSeen time.Time
	// Enrolled is when its first host enrolled: until a first scorecard,
	// the sign of life silence is counted from.
	Enrolled time.Time
	Silent   bool
	// Scores is the entity's level as EntityScores computed it; nil when
	// the row holds the weakest host's level instead.
	Scores *protocol.Scores
	// AD is the entity's Active Directory level (EntityAD), nil when no
	// host reports one; set by App.Overview, not BuildOverview.
	AD *ADLevel
}

// FailedCount is one check failing across the region.
type FailedCount struct {
	ID       string
	Entities int
	Hosts    int
}

// Overview is the region page's model.
type Overview struct {
	Entities     []EntityRow // after filters
	Distribution [5]int      // entities per level
	Silent       []EntityRow
	TopFailed    []FailedCount
	Hidden       bool // fewer entities than the aggregate minimum: aggregates withheld
	Sectors      []protocol.Sector
	// Domains are the heat map's columns: protocol.Domains in their order,
	// then any other domain a host reported (a newer agent's), by ID.
	Domains []protocol.Domain
	Total   int // entities after filters
	Hosts   int
	// Cohorts are the level and domain-score distributions of each sector
	// (of the sector filtered on, if any), all bands together then band by
	// band (cohort.Distributions); set by App.Overview.
	Cohorts []cohort.Group
}

// Filter narrows the overview and the exports.
type Filter struct {
	Sector string
	Level  int // -1: all
}

// Overview aggregates the latest scorecard of every host for filter f.
func (a *App) Overview(ctx context.Context, f Filter) (Overview, error) {
	rows, err := a.cfg.Store.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return Overview{}, err
	}
	states, err := a.entityStates(ctx, rows)
	if err != nil {
		return Overview{}, err
	}
	levels := make(map[int64]protocol.Scores, len(states))
	for id, s := range states {
		levels[id] = s.scores
	}
	ov := BuildEntityOverview(rows, levels, f, a.cfg.Now(), time.Duration(a.cfg.SilentDays)*24*time.Hour, a.cfg.MinAggregate)
	entities, err := a.cfg.Store.Entities(ctx)
	if err != nil {
		return ov, err
	}
	// The sectors' distributions are over all their entities whatever the
	// level filter: a cohort is never narrowed to one level.
	all, domains := members(rows, states, entities)
	for _, g := range cohort.Distributions(all, domains, a.cfg.MinAggregate) {
		if f.Sector == "" || string(g.Sector) == f.Sector {
			ov.Cohorts = append(ov.Cohorts, g)
		}
	}
	return ov, a.fillAD(ctx, rows, ov.Entities)
}

// BuildOverview aggregates host rows into entity rows from the stored
// summaries alone (the "latest scorecard per agent" rows, never the
// history): an entity's level is its weakest host's.
func BuildOverview(rows []store.HostRow, f Filter, now time.Time, silentAfter time.Duration, minAggregate int) Overview {
	return BuildEntityOverview(rows, nil, f, now, silentAfter, minAggregate)
}

// BuildEntityOverview is BuildOverview with the entities' levels
// (EntityLevels): an entity in levels takes its score, level and domain
// scores from there, and the level filter and distribution count them.
func BuildEntityOverview(rows []store.HostRow, levels map[int64]protocol.Scores, f Filter, now time.Time, silentAfter time.Duration, minAggregate int) Overview {
	type acc struct {
		row     EntityRow
		sum     int
		dsum    map[protocol.Domain]int
		dn      map[protocol.Domain]int
		failed  map[string]int
		minimum int
	}
	byID := map[int64]*acc{}
	var order []int64
	sectors := map[protocol.Sector]bool{}
	domains := map[protocol.Domain]bool{}
	for _, r := range rows {
		a := r.Agent
		if a.Sector != "" {
			sectors[protocol.Sector(a.Sector)] = true
		}
		e := byID[a.EntityID]
		if e == nil {
			e = &acc{row: EntityRow{ID: a.EntityID, Name: a.Entity, Sector: protocol.Sector(a.Sector), Score: -1, Level: -1},
				dsum: map[protocol.Domain]int{}, dn: map[protocol.Domain]int{}, failed: map[string]int{}, minimum: 99}
			byID[a.EntityID] = e
			order = append(order, a.EntityID)
		}
		e.row.Hosts++
		if e.row.Enrolled.IsZero() || a.EnrolledAt.Before(e.row.Enrolled) {
			e.row.Enrolled = a.EnrolledAt
		}
		l := r.Latest
		if l == nil {
			continue
		}
		if l.ReceivedAt.After(e.row.LastSeen) {
			e.row.LastSeen = l.ReceivedAt
		}
		e.row.Reported++
		e.sum += l.Score
		e.minimum = min(e.minimum, l.Level)
		for d, v := range l.DomainScores {
			domains[d] = true
			if v >= 0 {
				e.dsum[d] += v
				e.dn[d]++
			}
		}
		for _, id := range l.Failed {
			e.failed[id]++
		}
	}
	var out Overview
	for s := range sectors {
		out.Sectors = append(out.Sectors, s)
	}
	slices.Sort(out.Sectors)
	out.Domains = Columns(domains)
	failedEntities := map[string]*FailedCount{}
	for _, id := range order {
		e := byID[id]
		r := e.row
		if r.Reported > 0 {
			r.Score = (e.sum + r.Reported/2) / r.Reported
			r.Level = e.minimum
		}
		r.Domains = make(store.DomainScores, len(out.Domains))
		for _, d := range out.Domains {
			r.Domains[d] = store.NoScore
			if n := e.dn[d]; n > 0 {
				r.Domains[d] = (e.dsum[d] + n/2) / n
			}
		}
		if es, ok := levels[id]; ok {
			r.Scores = &es
			r.Score, r.Level = es.Score, int(es.Level)
			for _, d := range out.Domains {
				r.Domains[d] = store.NoScore
			}
			for _, ds := range es.Domains {
				if _, ok := r.Domains[ds.Domain]; ok {
					r.Domains[ds.Domain] = ds.Score
				}
			}
		}
		// Enrolment counts as a sign of life until the first scorecard.
		alive := r.LastSeen
		if r.Reported == 0 {
			alive = r.Enrolled
		}
		r.Silent = now.Sub(alive) > silentAfter
		if f.Sector != "" && string(r.Sector) != f.Sector {
			continue
		}
		if f.Level >= 0 && r.Level != f.Level {
			continue
		}
		out.Entities = append(out.Entities, r)
		out.Hosts += r.Hosts
		if r.Level >= 0 {
			out.Distribution[r.Level]++
		}
		if r.Silent {
			out.Silent = append(out.Silent, r)
		}
		for cid, n := range e.failed {
			fc := failedEntities[cid]
			if fc == nil {
				fc = &FailedCount{ID: cid}
				failedEntities[cid] = fc
			}
			fc.Entities++
			fc.Hosts += n
		}
	}
	out.Total = len(out.Entities)
	slices.SortFunc(out.Entities, func(a, b EntityRow) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(out.Silent, func(a, b EntityRow) int { return a.LastSeen.Compare(b.LastSeen) }) // never reported first
	for _, fc := range failedEntities {
		out.TopFailed = append(out.TopFailed, *fc)
	}
	slices.SortFunc(out.TopFailed, func(a, b FailedCount) int {
		if c := cmp.Compare(b.Entities, a.Entities); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Hosts, a.Hosts); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out.TopFailed) > 10 {
		out.TopFailed = out.TopFailed[:10]
	}
	if out.Total < minAggregate {
		// Privacy: a distribution or a "most failed" list over a handful of
		// entities would point at each of them.
		out.Hidden = true
		out.Distribution = [5]int{}
		out.TopFailed = nil
	}
	return out
}

// Columns lists domains for display: every domain of protocol.Domains in
// its order, then the others present in seen (a newer agent's), by ID.
func Columns(seen map[protocol.Domain]bool) []protocol.Domain {
	out := slices.Clone(protocol.Domains)
	var extra []protocol.Domain
	for d := range seen {
		if !d.Known() {
			extra = append(extra, d)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}
