package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/vigie-cyber/vigie/protocol"
)

// Weights per severity: a critical check weighs ten low ones. Published in
// the README; info checks are shown but do not score.
var Weights = map[protocol.Severity]float64{
	protocol.Critical: 10, protocol.High: 5, protocol.Medium: 3, protocol.Low: 1, protocol.Info: 0,
}

// Level thresholds on the overall score (0-100): below 20 Insuffisant, below
// 40 Émergent, below 60 Intermédiaire, below 80 Confirmé, else Optimal.
var levelThresholds = []int{20, 40, 60, 80}

// CriticalCap is the highest level a host with a failed critical check can
// reach: one end-of-support OS or open SSLv3 outweighs any number of passes.
const CriticalCap = 1

// Score computes domain scores, the overall score and the maturity level. A
// pass earns the check's weight, a warning half of it, a failure nothing;
// not-applicable and error results leave the denominator, so a domain where
// nothing could be assessed is "non évalué" (score protocol.NoScore), never
// 100. Then the caps (protocol.LevelCap): a failed critical check holds the
// level at Émergent, a failed high one at Intermédiaire, and without any
// organisational answer (the organisation domain not assessed) the level
// stays at Intermédiaire at most: Confirmé and Optimal are claims about the
// organisation too.
//
// The hub computes an entity's level with this same function, over its
// hosts' results and the entity's answers.
func Score(results []protocol.Result) protocol.Scores {
	earned := map[protocol.Domain]float64{}
	total := map[protocol.Domain]float64{}
	counts := map[protocol.Domain]*protocol.DomainScore{}
	var critical, high []string
	for _, r := range results {
		d := counts[r.Domain]
		if d == nil {
			d = &protocol.DomainScore{Domain: r.Domain}
			counts[r.Domain] = d
		}
		w := Weights[r.Severity]
		// A status from a newer agent that this version does not know
		// counts as an error (protocol.Status.Effective): out of the score.
		switch r.Status.Effective() {
		case protocol.Pass:
			d.Pass++
			earned[r.Domain] += w
			total[r.Domain] += w
		case protocol.Warn:
			d.Warn++
			earned[r.Domain] += w / 2
			total[r.Domain] += w
		case protocol.Fail:
			d.Fail++
			total[r.Domain] += w
			switch r.Severity {
			case protocol.Critical:
				critical = appendOnce(critical, r.ID)
			case protocol.High:
				high = appendOnce(high, r.ID)
			}
		case protocol.NotApplicable:
			d.NA++
		default:
			d.Errors++
		}
	}
	var out protocol.Scores
	sum, n := 0, 0
	// Known domains in display order, then any a newer agent added, by ID:
	// they are kept and counted, shown under their ID.
	order := slices.Clone(protocol.Domains)
	var extra []protocol.Domain
	for dom := range counts {
		if !dom.Known() {
			extra = append(extra, dom)
		}
	}
	slices.Sort(extra)
	for _, dom := range append(order, extra...) {
		d := counts[dom]
		if d == nil {
			continue
		}
		d.Score = protocol.NoScore
		if total[dom] > 0 {
			d.Score = int(math.Round(100 * earned[dom] / total[dom]))
			sum += d.Score
			n++
		}
		out.Domains = append(out.Domains, *d)
	}
	if n > 0 {
		out.Score = int(math.Round(float64(sum) / float64(n)))
	}
	for out.Level = 0; int(out.Level) < len(levelThresholds) && out.Score >= levelThresholds[out.Level]; out.Level++ {
	}
	cap, by := protocol.LevelCap(""), []string(nil)
	switch {
	case len(critical) > 0:
		cap, by = protocol.CapCritical, critical
	case len(high) > 0:
		cap, by = protocol.CapHigh, high
	case total[protocol.DomainOrganisation] == 0:
		cap = protocol.CapOrganisation
	}
	if cap != "" && out.Level > cap.Max() {
		out.Level, out.LevelCapped, out.LevelCap, out.CappedBy = cap.Max(), true, cap, by
	}
	return out
}

func appendOnce(list []string, id string) []string {
	if slices.Contains(list, id) {
		return list
	}
	return append(list, id)
}

// Prioritise orders failed and warning results into actions, the
// measures of the restitution: measures with a failure first, then those
// with a warning; within each, by the measure's fixed rank (the guidance
// catalogue's rank, drawn from ANSSI's and MonAideCyber's priorities, so
// advisers see the order they already use), then by severity, then by ID
// and target for a stable result. rank returns 0 for an unranked check,
// which comes after the ranked ones. Info checks are not actions.
func Prioritise(results []protocol.Result, rank func(id string) int) []protocol.Action {
	var out []protocol.Action
	for _, r := range results {
		if r.Status != protocol.Fail && r.Status != protocol.Warn {
			continue
		}
		if r.Severity == protocol.Info {
			continue
		}
		out = append(out, protocol.Action{ID: r.ID, Target: r.Target, Status: r.Status, Severity: r.Severity, Domain: r.Domain})
	}
	rk := func(id string) int {
		if p := rank(id); p > 0 {
			return p
		}
		return math.MaxInt32
	}
	slices.SortStableFunc(out, func(a, b protocol.Action) int {
		if c := cmp.Compare(a.Status.Rank(), b.Status.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(rk(a.ID), rk(b.ID)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Severity.Rank(), b.Severity.Rank()); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Target, b.Target))
	})
	return out
}
