package report

import (
	"math"
	"slices"

	"github.com/vigie-cyber/vigie/checks"
)

// Level is the maturity level 0-4, named as ANSSI's maturity test names them.
type Level int

var levelNames = [5][2]string{
	{"Insuffisant", "Insufficient"},
	{"Émergent", "Emerging"},
	{"Intermédiaire", "Intermediate"},
	{"Confirmé", "Established"},
	{"Optimal", "Optimal"},
}

// Name returns the level's name in lang.
func (l Level) Name(lang string) string {
	if l < 0 || l > 4 {
		return "?"
	}
	if lang == "en" {
		return levelNames[l][1]
	}
	return levelNames[l][0]
}

// Weights per severity: a critical check weighs ten low ones. Published in
// the README; info checks are shown but do not score.
var Weights = map[checks.Severity]float64{
	checks.Critical: 10, checks.High: 5, checks.Medium: 3, checks.Low: 1, checks.Info: 0,
}

// Level thresholds on the overall score (0-100): below 20 Insuffisant, below
// 40 Émergent, below 60 Intermédiaire, below 80 Confirmé, else Optimal.
var levelThresholds = []int{20, 40, 60, 80}

// CriticalCap is the highest level a host with a failed critical check can
// reach: one end-of-support OS or open SSLv3 outweighs any number of passes.
const CriticalCap Level = 1

// Score computes domain scores, the overall score and the maturity level. A
// pass earns the check's weight, a warning half of it, a failure nothing;
// not-applicable and error results leave the denominator.
func Score(results []Result) (domains []DomainScore, overall int, level Level, capped bool) {
	earned := map[checks.Domain]float64{}
	total := map[checks.Domain]float64{}
	counts := map[checks.Domain]*DomainScore{}
	criticalFailed := false
	for _, r := range results {
		d := counts[r.Domain]
		if d == nil {
			d = &DomainScore{Domain: r.Domain}
			counts[r.Domain] = d
		}
		w := Weights[r.Severity]
		switch r.Status {
		case checks.Pass:
			d.Pass++
			earned[r.Domain] += w
			total[r.Domain] += w
		case checks.Warn:
			d.Warn++
			earned[r.Domain] += w / 2
			total[r.Domain] += w
		case checks.Fail:
			d.Fail++
			total[r.Domain] += w
			if r.Severity == checks.Critical {
				criticalFailed = true
			}
		case checks.NotApplicable:
			d.NA++
		default:
			d.Errors++
		}
	}
	sum, n := 0, 0
	for _, dom := range checks.Domains {
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
func Prioritise(results []Result, priority func(id string) int) []Action {
	var out []Action
	for _, r := range results {
		if r.Status != checks.Fail && r.Status != checks.Warn {
			continue
		}
		if r.Severity == checks.Info {
			continue
		}
		out = append(out, Action{ID: r.ID, Target: r.Target, Status: r.Status, Severity: r.Severity, Domain: r.Domain})
	}
	rank := func(id string) int {
		if p := priority(id); p > 0 {
			return p
		}
		return math.MaxInt32
	}
	slices.SortStableFunc(out, func(a, b Action) int {
		if a.Status != b.Status {
			if a.Status == checks.Fail {
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
