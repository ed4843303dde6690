package federation

import (
	"math"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// FromHosts makes the members of the region from its hosts' rows (each
// with its latest scorecard as of the day: store.HostsAsOf), band giving
// an entity's size band. An entity's level is its weakest host's and its
// domain scores the mean over its hosts, the regional overview's rule
// from stored summaries (app.BuildOverview): answers have no history, so
// the recomputation with them could not be redone for a past day, and a
// trend must compare days computed alike. Its failed checks are those
// failing on any of its hosts.
func FromHosts(rows []store.HostRow, band func(entityID int64) cohort.Band) []Member {
	ov := app.BuildOverview(rows, app.Filter{Level: -1}, time.Time{}, time.Duration(math.MaxInt64), 0)
	failed := map[int64]map[string]bool{}
	for _, r := range rows {
		if r.Latest == nil {
			continue
		}
		f := failed[r.Agent.EntityID]
		if f == nil {
			f = map[string]bool{}
			failed[r.Agent.EntityID] = f
		}
		for _, id := range r.Latest.Failed {
			f[id] = true
		}
	}
	out := make([]Member, 0, len(ov.Entities))
	for _, e := range ov.Entities {
		if e.Level < 0 {
			continue
		}
		m := Member{Sector: string(e.Sector), Level: e.Level, Domains: map[protocol.Domain]int{}}
		if band != nil {
			m.Band = band(e.ID)
		}
		for d, v := range e.Domains {
			if v >= 0 {
				m.Domains[d] = v
			}
		}
		for id := range failed[e.ID] {
			m.Failed = append(m.Failed, id)
		}
		out = append(out, m)
	}
	return out
}

// ExposuresOf keeps of the hub's exposures what the aggregate counts.
func ExposuresOf(xs []app.AdvisoryExposure) []Exposure {
	out := make([]Exposure, 0, len(xs))
	for _, x := range xs {
		out = append(out, Exposure{Advisory: x.Advisory, EntityID: x.EntityID, AgentID: x.AgentID})
	}
	return out
}
