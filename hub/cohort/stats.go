package cohort

import (
	"cmp"
	"math"
	"slices"

	"github.com/vigie-cyber/vigie/protocol"
)

// MinEntities is the smallest cohort whose figures are shown: below it a
// median or a quartile is too close to each entity's own figures (and
// means little). A hub whose aggregate minimum is higher uses that.
const MinEntities = 5

// NoValue is a member's figure that does not exist: no level (no host
// reported), or a domain with nothing applicable.
const NoValue = -1

// Summary is the five-number summary of a cohort's figures. Quartiles
// are computed by linear interpolation between the sorted values (the
// method R and spreadsheets' QUARTILE.INC use by default): with values
// v0 ≤ … ≤ v(n-1), quantile p is at position p·(n-1).
type Summary struct {
	N                        int
	Min, Q1, Median, Q3, Max float64
}

// Summarise returns the summary of values (N 0 for none). values is not
// modified.
func Summarise(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	return Summary{N: len(v), Min: v[0], Q1: quantile(v, 0.25), Median: quantile(v, 0.5), Q3: quantile(v, 0.75), Max: v[len(v)-1]}
}

// quantile is the p-quantile of sorted (type 7).
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[i]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// Member is one entity as the comparison sees it: its latest level and
// domain scores as the overview computes them (hub/app), and its status on
// each check across its hosts (fail where a host fails, else warn where
// one warns, else pass where one passes).
type Member struct {
	ID      int64
	Sector  protocol.Sector
	Band    Band
	Level   int                        // NoValue: no level
	Domains map[protocol.Domain]int    // absent or NoValue: no score
	Checks  map[string]protocol.Status // fail, warn or pass
}

// Stat is one figure over a cohort: the level (Domain "") or one domain's
// score. Summary is zero unless Enough: figures over too few entities are
// never computed, so no page can show them by mistake.
type Stat struct {
	Domain protocol.Domain
	Summary
	Count  int  // members with this figure
	Enough bool // Count ≥ the minimum: Summary holds the figures
	Value  int  // the compared entity's own figure, NoValue when it has none
}

// Behind is a check the entity fails or warns on while most of its peers
// pass it: Passing of its Peers (the cohort's other members) pass it.
type Behind struct {
	ID      string
	Status  protocol.Status // the entity's: fail or warn
	Passing int
	Peers   int
}

// Share is the percentage of peers passing, rounded down.
func (b Behind) Share() int {
	if b.Peers == 0 {
		return 0
	}
	return b.Passing * 100 / b.Peers
}

// Comparison is an entity against its cohort: the members of its sector
// and size band that have a level, itself included when it has one.
type Comparison struct {
	Sector protocol.Sector
	Band   Band // "": the entity has no band, no cohort
	Size   int  // members in the cohort
	Min    int  // the minimum cohort shown
	Enough bool // Size ≥ Min: figures shown
	Level  Stat
	// Domains are the domain scores in the order asked for.
	Domains []Stat
	// Behind are the checks the entity is behind most peers on, the widest
	// gap first (the largest share of peers passing, then fail before warn,
	// then by ID); empty unless Enough.
	Behind []Behind
}

// Compare compares self with its cohort among all (self may be in all or
// not: it is matched by ID), over domains in that order. min below
// MinEntities counts as MinEntities.
func Compare(self Member, all []Member, domains []protocol.Domain, min int) Comparison {
	min = max(min, MinEntities)
	c := Comparison{Sector: self.Sector, Band: self.Band, Min: min}
	if self.Band == "" {
		return c
	}
	var cohort, peers []Member
	for _, m := range all {
		if m.Sector != self.Sector || m.Band != self.Band || m.Level < 0 {
			continue
		}
		cohort = append(cohort, m)
		if m.ID != self.ID {
			peers = append(peers, m)
		}
	}
	c.Size = len(cohort)
	c.Enough = c.Size >= min
	c.Level, c.Domains = stats(self, cohort, domains, min)
	if !c.Enough {
		return c
	}
	for id, st := range self.Checks {
		if st != protocol.Fail && st != protocol.Warn {
			continue
		}
		pass := 0
		for _, p := range peers {
			if p.Checks[id] == protocol.Pass {
				pass++
			}
		}
		if 2*pass > len(peers) {
			c.Behind = append(c.Behind, Behind{ID: id, Status: st, Passing: pass, Peers: len(peers)})
		}
	}
	slices.SortFunc(c.Behind, func(a, b Behind) int {
		// a.Passing/a.Peers against b's without rounding.
		if x := cmp.Compare(b.Passing*a.Peers, a.Passing*b.Peers); x != 0 {
			return x
		}
		if x := cmp.Compare(a.Status.Rank(), b.Status.Rank()); x != 0 {
			return x
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return c
}

// stats summarises the level and each domain over cohort, with self's own
// figures.
func stats(self Member, cohort []Member, domains []protocol.Domain, min int) (Stat, []Stat) {
	var lv []float64
	for _, m := range cohort {
		lv = append(lv, float64(m.Level))
	}
	level := stat("", lv, min, self.Level)
	var out []Stat
	for _, d := range domains {
		var v []float64
		for _, m := range cohort {
			if s, ok := m.Domains[d]; ok && s >= 0 {
				v = append(v, float64(s))
			}
		}
		own, ok := self.Domains[d]
		if !ok || own < 0 {
			own = NoValue
		}
		out = append(out, stat(d, v, min, own))
	}
	return level, out
}

func stat(d protocol.Domain, v []float64, min, own int) Stat {
	s := Stat{Domain: d, Count: len(v), Enough: len(v) >= min, Value: own}
	if s.Enough {
		s.Summary = Summarise(v)
	}
	return s
}

// Group is one sector's distribution, all its size bands together (Band
// "") or one band's, for the overview.
type Group struct {
	Sector  protocol.Sector
	Band    Band
	Size    int
	Enough  bool
	Level   Stat
	Domains []Stat
}

// Distributions lists, for each sector present in all (in
// protocol.Sectors' order, then unknown ones by ID), the distribution of
// all its members with a level, then that of each of its bands that has
// any, in BandsFor's order (members without a band count only in the
// first). Figures need min members, as in Compare.
func Distributions(all []Member, domains []protocol.Domain, min int) []Group {
	min = max(min, MinEntities)
	bySector := map[protocol.Sector][]Member{}
	for _, m := range all {
		if m.Level >= 0 {
			bySector[m.Sector] = append(bySector[m.Sector], m)
		}
	}
	var sectors []protocol.Sector
	for s := range bySector {
		sectors = append(sectors, s)
	}
	order := func(s protocol.Sector) int {
		if i := slices.Index(protocol.Sectors, s); i >= 0 {
			return i
		}
		return len(protocol.Sectors)
	}
	slices.SortFunc(sectors, func(a, b protocol.Sector) int {
		return cmp.Or(cmp.Compare(order(a), order(b)), cmp.Compare(a, b))
	})
	none := Member{Level: NoValue}
	var out []Group
	for _, s := range sectors {
		ms := bySector[s]
		add := func(b Band, ms []Member) {
			g := Group{Sector: s, Band: b, Size: len(ms), Enough: len(ms) >= min}
			g.Level, g.Domains = stats(none, ms, domains, min)
			out = append(out, g)
		}
		add("", ms)
		for _, b := range BandsFor(s) {
			var in []Member
			for _, m := range ms {
				if m.Band == b {
					in = append(in, m)
				}
			}
			if len(in) > 0 {
				add(b, in)
			}
		}
	}
	return out
}
