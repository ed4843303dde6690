package federation

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/protocol"
)

// Member is one assessed entity as the aggregate sees it, and nothing
// more: no name, no host, no identifier survives into the document
// (FromHosts makes members from the hub's rows).
type Member struct {
	Sector string
	Band   cohort.Band // "" when not given
	Level  int         // 0 to 4
	// Domains are its domain scores (absent or negative: none).
	Domains map[protocol.Domain]int
	// Failed are the checks failing on at least one of its hosts.
	Failed []string
}

// Exposure is one exposed host for one advisory; the IDs only tell
// entities and hosts apart while counting and are not published.
type Exposure struct {
	Advisory string
	EntityID int64
	AgentID  string
}

// Input is what Build aggregates.
type Input struct {
	Region      string
	Day         string
	AsOf        time.Time
	GeneratedAt time.Time
	MinEntities int // below MinEntities counts as MinEntities
	Members     []Member
	// Exposures are the current exposures; nil with ExposuresIncluded
	// false for a past day.
	Exposures         []Exposure
	ExposuresIncluded bool
}

// Build aggregates in into a document that applies the withholding rule
// (docs/federation.md):
//   - a cell (sector × size band) of fewer than min entities publishes
//     nothing but that it is withheld;
//   - every published count is min or more; a smaller one is withheld, and
//     within the level distribution, whose total is published, the
//     smallest published counts are withheld with it until the withheld
//     ones add up to 0 or to min at least, so that none can be deduced;
//   - domain quartiles need min entities with a score in the domain;
//   - a failing check is listed from min entities of the cell;
//   - an advisory's exposed entities and hosts are withheld together under
//     min entities.
func Build(in Input) *Aggregate {
	min := max(in.MinEntities, MinEntities)
	a := &Aggregate{Schema: SchemaVersion, Region: in.Region, Day: in.Day, AsOf: in.AsOf.UTC(), GeneratedAt: in.GeneratedAt.UTC(),
		MinEntities: min, Cells: []Cell{}, Advisories: []AdvisoryCount{}, ExposuresIncluded: in.ExposuresIncluded}
	groups := map[[2]string][]Member{}
	for _, m := range in.Members {
		if m.Level < 0 || m.Level > 4 || !tokenRE.MatchString(m.Sector) {
			continue // not assessed, or a sector the document cannot carry
		}
		band := string(m.Band)
		if band != "" && !m.Band.Valid() {
			band = "" // a band this hub does not know: counted as none
		}
		k := [2]string{m.Sector, band}
		groups[k] = append(groups[k], m)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]string) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	for _, k := range keys {
		a.Cells = append(a.Cells, cell(k[0], k[1], groups[k], min))
	}
	if in.ExposuresIncluded {
		a.Advisories = advisories(in.Exposures, min)
	}
	return a
}

func cell(sector, band string, ms []Member, min int) Cell {
	c := Cell{Sector: sector, SizeBand: band}
	if len(ms) < min {
		c.Withheld, c.Entities = true, Withheld
		return c
	}
	c.Entities = Count{N: len(ms)}
	var levels [5]int
	for _, m := range ms {
		levels[m.Level]++
	}
	c.Levels = withhold(levels[:], min)
	domains := map[protocol.Domain]bool{}
	for _, m := range ms {
		for d := range m.Domains {
			domains[d] = true
		}
	}
	for _, d := range columns(domains) {
		var v []float64
		for _, m := range ms {
			if s, ok := m.Domains[d]; ok && s >= 0 {
				v = append(v, float64(s))
			}
		}
		st := DomainStat{Domain: string(d), Withheld: true}
		if len(v) >= min && tokenRE.MatchString(string(d)) {
			// The entity page's figures (hub/cohort), to one decimal.
			sum := cohort.Summarise(v)
			q1, med, q3 := round1(sum.Q1), round1(sum.Median), round1(sum.Q3)
			st = DomainStat{Domain: string(d), Q1: &q1, Median: &med, Q3: &q3}
		}
		if tokenRE.MatchString(string(d)) {
			c.Domains = append(c.Domains, st)
		}
	}
	failing := map[string]int{}
	for _, m := range ms {
		seen := map[string]bool{}
		for _, id := range m.Failed {
			if !seen[id] && checkIDs.MatchString(id) {
				seen[id] = true
				failing[id]++
			}
		}
	}
	for id, n := range failing {
		if n >= min {
			c.Failing = append(c.Failing, CheckCount{Check: id, Entities: n})
		}
	}
	slices.SortFunc(c.Failing, func(x, y CheckCount) int {
		return cmp.Or(cmp.Compare(y.Entities, x.Entities), cmp.Compare(x.Check, y.Check))
	})
	if len(c.Failing) > MaxFailing {
		c.Failing = c.Failing[:MaxFailing]
	}
	return c
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// withhold publishes the counts of a distribution whose total is
// published: under min, withheld; then, while the withheld ones add up to
// between 1 and min-1 (deducible from the total), the smallest published
// count is withheld too.
func withhold(counts []int, min int) []Count {
	out := make([]Count, len(counts))
	hidden := 0
	for i, n := range counts {
		if n < min {
			out[i], hidden = Withheld, hidden+n
		} else {
			out[i] = Count{N: n}
		}
	}
	for hidden > 0 && hidden < min {
		smallest := -1
		for i, c := range out {
			if !c.Withheld && (smallest < 0 || c.N < out[smallest].N) {
				smallest = i
			}
		}
		if smallest < 0 {
			break
		}
		hidden += out[smallest].N
		out[smallest] = Withheld
	}
	return out
}

// columns lists domains in protocol.Domains' order, then others by ID.
func columns(seen map[protocol.Domain]bool) []protocol.Domain {
	var out, extra []protocol.Domain
	for _, d := range protocol.Domains {
		if seen[d] {
			out = append(out, d)
		}
	}
	for d := range seen {
		if !slices.Contains(protocol.Domains, d) {
			extra = append(extra, d)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

func advisories(xs []Exposure, min int) []AdvisoryCount {
	type acc struct {
		entities map[int64]bool
		hosts    map[string]bool
	}
	by := map[string]*acc{}
	for _, x := range xs {
		if !advRE.MatchString(x.Advisory) {
			continue
		}
		a := by[x.Advisory]
		if a == nil {
			a = &acc{entities: map[int64]bool{}, hosts: map[string]bool{}}
			by[x.Advisory] = a
		}
		a.entities[x.EntityID] = true
		a.hosts[x.AgentID] = true
	}
	out := make([]AdvisoryCount, 0, len(by))
	for ref, a := range by {
		c := AdvisoryCount{Advisory: ref, Entities: Withheld, Hosts: Withheld}
		if len(a.entities) >= min {
			c.Entities, c.Hosts = Count{N: len(a.entities)}, Count{N: len(a.hosts)}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y AdvisoryCount) int { return cmp.Compare(y.Advisory, x.Advisory) })
	if len(out) > MaxAdvisories {
		out = out[:MaxAdvisories]
	}
	return out
}
