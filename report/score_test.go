package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
)

func res(id string, d checks.Domain, sev checks.Severity, st checks.Status) Result {
	return Result{Result: checks.Result{ID: id, Status: st}, Domain: d, Severity: sev}
}

func TestScore(t *testing.T) {
	t.Parallel()
	P, F, W, NA, E := checks.Pass, checks.Fail, checks.Warn, checks.NotApplicable, checks.Error
	patch, tls := checks.DomainPatch, checks.DomainTLS
	tests := []struct {
		name    string
		in      []Result
		domains map[checks.Domain]int
		overall int
		level   Level
		capped  bool
	}{
		{"all pass", []Result{res("a", patch, checks.High, P), res("b", tls, checks.Low, P)}, map[checks.Domain]int{patch: 100, tls: 100}, 100, 4, false},
		// high (5) pass + medium (3) fail = 5/8 = 62.5 -> 63
		{"weighted share", []Result{res("a", patch, checks.High, P), res("b", patch, checks.Medium, F)}, map[checks.Domain]int{patch: 63}, 63, 3, false},
		// warning earns half: 1.5/3 = 50
		{"warn is half", []Result{res("a", patch, checks.Medium, W)}, map[checks.Domain]int{patch: 50}, 50, 2, false},
		// not-applicable and errors leave the denominator: "no data" is not a pass
		{"na and error ignored", []Result{res("a", patch, checks.High, P), res("b", patch, checks.Critical, NA), res("c", patch, checks.Critical, E)}, map[checks.Domain]int{patch: 100}, 100, 4, false},
		{"nothing applicable", []Result{res("a", patch, checks.High, NA)}, map[checks.Domain]int{patch: -1}, 0, 0, false},
		// 10 high passes (50) + critical fail (10): 50/60 = 83 -> Optimal, capped to Émergent
		{"critical caps", append(repeat(res("p", tls, checks.High, P), 10), res("c", tls, checks.Critical, F)), map[checks.Domain]int{tls: 83}, 83, CriticalCap, true},
		{"thresholds", []Result{res("a", patch, checks.Low, P), res("b", patch, checks.Low, F), res("c", patch, checks.Low, F), res("d", patch, checks.Low, F), res("e", patch, checks.Low, F)}, map[checks.Domain]int{patch: 20}, 20, 1, false},
		{"info does not score", []Result{res("a", patch, checks.Info, F), res("b", patch, checks.Low, P)}, map[checks.Domain]int{patch: 100}, 100, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, overall, level, capped := Score(tt.in)
			got := map[checks.Domain]int{}
			for _, d := range ds {
				got[d.Domain] = d.Score
			}
			if diff := cmp.Diff(tt.domains, got); diff != "" {
				t.Errorf("domain scores (-want +got):\n%s", diff)
			}
			if overall != tt.overall || level != tt.level || capped != tt.capped {
				t.Errorf("overall %d level %d capped %v, want %d %d %v", overall, level, capped, tt.overall, tt.level, tt.capped)
			}
		})
	}
}

func repeat(r Result, n int) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestPrioritise(t *testing.T) {
	t.Parallel()
	in := []Result{
		res("warn.critical", checks.DomainPatch, checks.Critical, checks.Warn),
		res("fail.medium", checks.DomainPatch, checks.Medium, checks.Fail),
		res("fail.high.rank9", checks.DomainPatch, checks.High, checks.Fail),
		res("fail.high.rank2", checks.DomainBackup, checks.High, checks.Fail),
		res("fail.high.unranked", checks.DomainTLS, checks.High, checks.Fail),
		res("pass", checks.DomainTLS, checks.Critical, checks.Pass),
		res("fail.info", checks.DomainTLS, checks.Info, checks.Fail),
	}
	rank := map[string]int{"fail.high.rank9": 9, "fail.high.rank2": 2}
	var got []string
	for _, a := range Prioritise(in, func(id string) int { return rank[id] }) {
		got = append(got, a.ID)
	}
	want := []string{"fail.high.rank2", "fail.high.rank9", "fail.high.unranked", "fail.medium", "warn.critical"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action order (-want +got):\n%s", diff)
	}
}

func TestLevelNames(t *testing.T) {
	t.Parallel()
	want := []string{"Insuffisant", "Émergent", "Intermédiaire", "Confirmé", "Optimal"}
	for i, w := range want {
		if got := Level(i).Name("fr"); got != w {
			t.Errorf("level %d = %q, want %q (ANSSI's names)", i, got, w)
		}
	}
}
