package app

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Active Directory across the region: each entity's AD level (ANSSI's
// control points, levels 1 to 5, docs/ad.md) and which ad.* control points
// fail where.
//
// Where the level comes from: the agent writes it in the facts of its
// ad.level result ("level", 1-5, and "blocking_next_level", the checks that
// keep the domain from the next one: checks/ad judgeLevel). The hub files a
// scorecard on its summary alone (IDs and statuses, protocol.Summary), so
// the level is read back from the stored envelope, and only for hosts
// whose summary row shows Active Directory results (an ad domain score or
// an ad.* failure: domain controllers and hosts with an [ad] section, a
// handful per region). A stored scorecard never changes, so the answer is
// kept per agent under its latest scorecard's ID and a page costs one
// decode per domain controller per new scorecard. This needs no schema
// change, adds nothing to the ingestion path every host pays for, and
// covers scorecards stored before the hub knew about AD levels; a column
// filed at ingestion would instead need a migration, a second decode of
// every DC's payload at upload and would leave older rows without a level.

// ADLevelCheck is the result ID that carries the domain's level.
const ADLevelCheck = "ad.level"

// adPrefix starts every Active Directory check ID.
const adPrefix = "ad."

// maxBlocking bounds the list of checks read from one ad.level result
// (there are 17 AD checks; a longer list is not the agent's).
const maxBlocking = 32

// ADLevel is a domain's AD level as one host's scorecard reports it.
type ADLevel struct {
	// Level is 1-5; 0 when the host ran ad.level but it could not
	// establish one (the directory was not readable: status error).
	Level  int
	Status protocol.Status // the ad.level result's status
	// Blocking are the checks keeping the domain from the next level.
	Blocking []string
	AgentID  string
	Host     string    // HostLabel of the agent
	At       time.Time // when that scan finished
}

// ADLevelOf reads the level from a scorecard's ad.level result; ok is false
// when the scorecard has none, or one that is not applicable (not a domain
// controller, no [ad] section). A level out of 1-5 or not a whole number
// reads as no level (status error): the hub does not show what no agent
// writes.
func ADLevelOf(sc *protocol.Scorecard) (ADLevel, bool) {
	for i := range sc.Results {
		r := &sc.Results[i]
		if r.ID != ADLevelCheck {
			continue
		}
		st := r.Status.Effective()
		if st == protocol.NotApplicable {
			return ADLevel{}, false
		}
		out := ADLevel{Status: st, At: sc.FinishedAt}
		if f, ok := r.Facts["level"].(float64); ok && f == math.Trunc(f) && f >= 1 && f <= 5 && st != protocol.Error {
			out.Level = int(f)
		} else if n, ok := r.Facts["level"].(int); ok && n >= 1 && n <= 5 && st != protocol.Error {
			out.Level = n // a scorecard built in memory, not decoded
		} else {
			out.Status = protocol.Error
		}
		out.Blocking = blockingOf(r.Facts["blocking_next_level"])
		return out, true
	}
	return ADLevel{}, false
}

// blockingOf reads the list of blocking checks: strings naming ad.* checks
// without spaces, at most maxBlocking; anything else is dropped.
func blockingOf(v any) []string {
	var out []string
	add := func(s string) {
		if len(out) < maxBlocking && strings.HasPrefix(s, adPrefix) && len(s) <= protocol.MaxResultIDLen && !strings.ContainsAny(s, " \t\r\n") {
			out = append(out, s)
		}
	}
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				add(s)
			}
		}
	case []string:
		for _, s := range l {
			add(s)
		}
	}
	return out
}

// reportsAD tells from a host's summary row whether its scorecard may hold
// an ad.level worth reading: an ad domain score, or an ad.* failure.
func reportsAD(l *store.Scorecard) bool {
	if l == nil {
		return false
	}
	if l.DomainScores.Get(protocol.DomainAD) >= 0 {
		return true
	}
	for _, id := range l.Failed {
		if strings.HasPrefix(id, adPrefix) {
			return true
		}
	}
	return false
}

// adMemo keeps, per agent, the AD level read from one of its scorecards.
type adMemo struct {
	mu sync.Mutex
	m  map[string]adEntry // by agent ID
}

type adEntry struct {
	scorecard string
	level     ADLevel
	ok        bool
}

// hostAD returns the AD level in host row h's latest scorecard, decoding
// it only when this agent's latest scorecard changed since the last call.
// A scorecard that does not decode has no level (the entity page says it
// is unreadable).
func (a *App) hostAD(ctx context.Context, h store.HostRow) (ADLevel, bool, error) {
	if !reportsAD(h.Latest) {
		return ADLevel{}, false, nil
	}
	a.ad.mu.Lock()
	e, hit := a.ad.m[h.Agent.ID]
	a.ad.mu.Unlock()
	if hit && e.scorecard == h.Latest.ID {
		return e.level, e.ok, nil
	}
	full, err := a.cfg.Store.Scorecard(ctx, h.Agent.ID, h.Latest.ID)
	if err != nil {
		return ADLevel{}, false, err
	}
	e = adEntry{scorecard: h.Latest.ID}
	if sc, err := OpenStored(full.Envelope); err == nil {
		e.level, e.ok = ADLevelOf(sc)
		e.level.AgentID, e.level.Host = h.Agent.ID, HostLabel(h.Agent)
	}
	a.ad.mu.Lock()
	if a.ad.m == nil {
		a.ad.m = map[string]adEntry{}
	}
	a.ad.m[h.Agent.ID] = e
	a.ad.mu.Unlock()
	return e.level, e.ok, nil
}

// EntityAD returns an entity's AD level from its hosts' latest scorecards:
// when several hosts report one (two domain controllers, or a DC and a
// server with an [ad] section), the most recent scan's. Revoked agents
// are left out. ok is false when no host reports AD.
func (a *App) EntityAD(ctx context.Context, hosts []store.HostRow) (ADLevel, bool, error) {
	var best ADLevel
	found := false
	for _, h := range hosts {
		if h.Agent.Revoked() {
			continue
		}
		l, ok, err := a.hostAD(ctx, h)
		if err != nil {
			return ADLevel{}, false, err
		}
		if ok && (!found || l.At.After(best.At) || l.At.Equal(best.At) && l.AgentID < best.AgentID) {
			best, found = l, true
		}
	}
	return best, found, nil
}

// ADEntity is one entity in the region's AD view.
type ADEntity struct {
	ID     int64
	Name   string
	Sector protocol.Sector
	AD     ADLevel
	HasAD  bool     // AD holds a level (or an unreadable one) reported by a host
	Failed []string // ad.* checks failing on at least one of its hosts, sorted
}

// ADCheckRow is one ad.* control point failing somewhere in the region,
// with the entities where it fails and, per entity, the hosts that said so.
type ADCheckRow struct {
	ID       string
	Entities []ADFailure
}

// ADFailure is one entity where a control point fails.
type ADFailure struct {
	Entity *ADEntity
	Hosts  []string
}

// ADRegion is the region's Active Directory page.
type ADRegion struct {
	// Entities report AD (a level or an ad.* failure), weakest level first
	// (no level last), then by name.
	Entities []*ADEntity
	// Checks are the failing ad.* control points (ad.level itself left
	// out: Entities gives it), most entities first, then by ID.
	Checks []ADCheckRow
}

// ADOverview builds the region's AD page from the latest scorecard of
// every active host: failures from the stored summary rows, levels as
// EntityAD reads them. sector, when not empty, keeps that sector only.
func (a *App) ADOverview(ctx context.Context, sector string) (ADRegion, error) {
	rows, err := a.cfg.Store.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return ADRegion{}, err
	}
	byEntity := map[int64][]store.HostRow{}
	var order []int64
	for _, r := range rows {
		if sector != "" && r.Agent.Sector != sector {
			continue
		}
		if _, seen := byEntity[r.Agent.EntityID]; !seen {
			order = append(order, r.Agent.EntityID)
		}
		byEntity[r.Agent.EntityID] = append(byEntity[r.Agent.EntityID], r)
	}
	var out ADRegion
	checks := map[string]*ADCheckRow{}
	for _, id := range order {
		hosts := byEntity[id]
		e := &ADEntity{ID: id, Name: hosts[0].Agent.Entity, Sector: protocol.Sector(hosts[0].Agent.Sector)}
		if e.AD, e.HasAD, err = a.EntityAD(ctx, hosts); err != nil {
			return ADRegion{}, err
		}
		failures := map[string][]string{}
		for _, h := range hosts {
			if h.Latest == nil {
				continue
			}
			for _, c := range h.Latest.Failed {
				if strings.HasPrefix(c, adPrefix) && c != ADLevelCheck {
					failures[c] = append(failures[c], HostLabel(h.Agent))
				}
			}
		}
		if !e.HasAD && len(failures) == 0 {
			continue
		}
		for c, hs := range failures {
			e.Failed = append(e.Failed, c)
			row := checks[c]
			if row == nil {
				row = &ADCheckRow{ID: c}
				checks[c] = row
			}
			slices.Sort(hs)
			row.Entities = append(row.Entities, ADFailure{Entity: e, Hosts: hs})
		}
		slices.Sort(e.Failed)
		out.Entities = append(out.Entities, e)
	}
	weakest := func(x, y *ADEntity) int {
		lx, ly := x.AD.Level, y.AD.Level
		if lx == 0 {
			lx = 99
		}
		if ly == 0 {
			ly = 99
		}
		if c := cmp.Compare(lx, ly); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	}
	slices.SortFunc(out.Entities, weakest)
	for _, row := range checks {
		slices.SortFunc(row.Entities, func(x, y ADFailure) int { return weakest(x.Entity, y.Entity) })
		out.Checks = append(out.Checks, *row)
	}
	slices.SortFunc(out.Checks, func(x, y ADCheckRow) int {
		if c := cmp.Compare(len(y.Entities), len(x.Entities)); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, nil
}

// fillAD sets the AD level of each entity row from host rows.
func (a *App) fillAD(ctx context.Context, rows []store.HostRow, entities []EntityRow) error {
	byEntity := map[int64][]store.HostRow{}
	for _, r := range rows {
		byEntity[r.Agent.EntityID] = append(byEntity[r.Agent.EntityID], r)
	}
	for i := range entities {
		l, ok, err := a.EntityAD(ctx, byEntity[entities[i].ID])
		if err != nil {
			return err
		}
		if ok {
			entities[i].AD = &l
		}
	}
	return nil
}
