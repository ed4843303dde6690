package report

import (
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
const CriticalCap protocol.Level = 1

// Score computes domain scores, the overall score and the maturity level. A
// pass earns the check's weight, a warning half of it, a failure nothing;
// not-applicable and error results leave the denominator.
func Score(results []protocol.Result) (domains []protocol.DomainScore, overall int, level protocol.Level, capped bool) {
	earned := map[protocol.Domain]float64{}
	total := map[protocol.Domain]float64{}
	counts := map[protocol.Domain]*protocol.DomainScore{}
	criticalFailed := false
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
			if r.Severity == protocol.Critical {
				criticalFailed = true
			}
		case protocol.NotApplicable:
			d.NA++
		default:
			d.Errors++
		}
	}
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
		d.Score = -1
		if total[dom] > 0 {
			d.Score = int(math.Round(100 * earned[dom] / total[dom]))
			sum += d.Score
			n++
		}
		domains = append(domains, *d)
	}
	if n > 0 {
		overall = int(math.Round(float64(sum) / float64(n)))
	}
	for level = 0; int(level) < len(levelThresholds) && overall >= levelThresholds[level]; level++ {
	}
	if criticalFailed && level > CriticalCap {
		level, capped = CriticalCap, true
	}
	return domains, overall, level, capped
}

// Prioritise orders failed and warning results into actions: failures before
// warnings, then by severity, then in MonAideCyber's priority order (the
// order advisers already use), then by ID for a stable result.
func Prioritise(results []protocol.Result, priority func(id string) int) []protocol.Action {
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
	rank := func(id string) int {
		if p := priority(id); p > 0 {
			return p
		}
		return math.MaxInt32
	}
	slices.SortStableFunc(out, func(a, b protocol.Action) int {
		if a.Status != b.Status {
			if a.Status == protocol.Fail {
				return -1
			}
			return 1
		}
		if d := a.Severity.Rank() - b.Severity.Rank(); d != 0 {
			return d
		}
		if d := rank(a.ID) - rank(b.ID); d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
		if a.ID != b.ID {
			if a.ID < b.ID {
				return -1
			}
			return 1
		}
		if a.Target < b.Target {
			return -1
		}
		if a.Target > b.Target {
			return 1
		}
		return 0
	})
	return out
}
