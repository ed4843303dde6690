package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/protocol"
)

func res(id string, d protocol.Domain, sev protocol.Severity, st protocol.Status) protocol.Result {
	return protocol.Result{ID: id, Status: st, Domain: d, Severity: sev}
}

func TestScore(t *testing.T) {
	t.Parallel()
	P, F, W, NA, E := protocol.Pass, protocol.Fail, protocol.Warn, protocol.NotApplicable, protocol.Error
	patch, tls := protocol.DomainPatch, protocol.DomainTLS
	tests := []struct {
		name    string
		in      []protocol.Result
		domains map[protocol.Domain]int
		overall int
		level   protocol.Level
		capped  bool
	}{
		{"all pass", []protocol.Result{res("a", patch, protocol.High, P), res("b", tls, protocol.Low, P)}, map[protocol.Domain]int{patch: 100, tls: 100}, 100, 4, false},
		// high (5) pass + medium (3) fail = 5/8 = 62.5 -> 63
		{"weighted share", []protocol.Result{res("a", patch, protocol.High, P), res("b", patch, protocol.Medium, F)}, map[protocol.Domain]int{patch: 63}, 63, 3, false},
		// warning earns half: 1.5/3 = 50
		{"warn is half", []protocol.Result{res("a", patch, protocol.Medium, W)}, map[protocol.Domain]int{patch: 50}, 50, 2, false},
		// not-applicable and errors leave the denominator: "no data" is not a pass
		{"na and error ignored", []protocol.Result{res("a", patch, protocol.High, P), res("b", patch, protocol.Critical, NA), res("c", patch, protocol.Critical, E)}, map[protocol.Domain]int{patch: 100}, 100, 4, false},
		{"nothing applicable", []protocol.Result{res("a", patch, protocol.High, NA)}, map[protocol.Domain]int{patch: -1}, 0, 0, false},
		// 10 high passes (50) + critical fail (10): 50/60 = 83 -> Optimal, capped to Émergent
		{"critical caps", append(repeat(res("p", tls, protocol.High, P), 10), res("c", tls, protocol.Critical, F)), map[protocol.Domain]int{tls: 83}, 83, CriticalCap, true},
		{"thresholds", []protocol.Result{res("a", patch, protocol.Low, P), res("b", patch, protocol.Low, F), res("c", patch, protocol.Low, F), res("d", patch, protocol.Low, F), res("e", patch, protocol.Low, F)}, map[protocol.Domain]int{patch: 20}, 20, 1, false},
		{"info does not score", []protocol.Result{res("a", patch, protocol.Info, F), res("b", patch, protocol.Low, P)}, map[protocol.Domain]int{patch: 100}, 100, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, overall, level, capped := Score(tt.in)
			got := map[protocol.Domain]int{}
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

func repeat(r protocol.Result, n int) []protocol.Result {
	out := make([]protocol.Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestPrioritise(t *testing.T) {
	t.Parallel()
	in := []protocol.Result{
		res("warn.critical", protocol.DomainPatch, protocol.Critical, protocol.Warn),
		res("fail.medium", protocol.DomainPatch, protocol.Medium, protocol.Fail),
		res("fail.high.rank9", protocol.DomainPatch, protocol.High, protocol.Fail),
		res("fail.high.rank2", protocol.DomainBackup, protocol.High, protocol.Fail),
		res("fail.high.unranked", protocol.DomainTLS, protocol.High, protocol.Fail),
		res("pass", protocol.DomainTLS, protocol.Critical, protocol.Pass),
		res("fail.info", protocol.DomainTLS, protocol.Info, protocol.Fail),
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
		if got := protocol.Level(i).Name("fr"); got != w {
			t.Errorf("level %d = %q, want %q (ANSSI's names)", i, got, w)
		}
	}
}
