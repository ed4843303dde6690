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
	patch, tls, org := protocol.DomainPatch, protocol.DomainTLS, protocol.DomainOrganisation
	answered := res("o", org, protocol.Medium, P) // an organisational answer: no organisation cap
	tests := []struct {
		name    string
		in      []protocol.Result
		domains map[protocol.Domain]int
		overall int
		level   protocol.Level
		cap     protocol.LevelCap
		by      []string
	}{
		{"all pass", []protocol.Result{res("a", patch, protocol.High, P), res("b", tls, protocol.Low, P), answered}, map[protocol.Domain]int{patch: 100, tls: 100, org: 100}, 100, 4, "", nil},
		// high (5) pass + medium (3) fail = 5/8 = 62.5 -> 63; (63+100)/2 = 82
		{"weighted share", []protocol.Result{res("a", patch, protocol.High, P), res("b", patch, protocol.Medium, F), answered}, map[protocol.Domain]int{patch: 63, org: 100}, 82, 4, "", nil},
		// warning earns half: 1.5/3 = 50
		{"warn is half", []protocol.Result{res("a", patch, protocol.Medium, W)}, map[protocol.Domain]int{patch: 50}, 50, 2, "", nil},
		// not-applicable and errors leave the denominator: "no data" is not a pass
		{"na and error ignored", []protocol.Result{res("a", patch, protocol.High, P), res("b", patch, protocol.Critical, NA), res("c", patch, protocol.Critical, E), answered}, map[protocol.Domain]int{patch: 100, org: 100}, 100, 4, "", nil},
		{"nothing applicable", []protocol.Result{res("a", patch, protocol.High, NA)}, map[protocol.Domain]int{patch: -1}, 0, 0, "", nil},
		{"nothing readable", []protocol.Result{res("a", patch, protocol.High, E), res("b", tls, protocol.Critical, E)}, map[protocol.Domain]int{patch: -1, tls: -1}, 0, 0, "", nil},
		// 10 high passes (50) + critical fail (10): 50/60 = 83 -> Optimal, capped to Émergent
		{"critical caps", append(repeat(res("p", tls, protocol.High, P), 10), res("c", tls, protocol.Critical, F), answered), map[protocol.Domain]int{tls: 83, org: 100}, 92, CriticalCap, protocol.CapCritical, []string{"c"}},
		// a failed high-severity check holds the level at Intermédiaire
		{"high caps", append(repeat(res("p", tls, protocol.Critical, P), 10), res("h", tls, protocol.High, F), res("h", tls, protocol.High, F), answered), map[protocol.Domain]int{tls: 91, org: 100}, 96, 2, protocol.CapHigh, []string{"h"}},
		// no organisational answer: Confirmé and Optimal are out of reach
		{"organisation unanswered caps", []protocol.Result{res("a", patch, protocol.High, P), res("o", org, protocol.High, NA)}, map[protocol.Domain]int{patch: 100, org: -1}, 100, 2, protocol.CapOrganisation, nil},
		{"thresholds", []protocol.Result{res("a", patch, protocol.Low, P), res("b", patch, protocol.Low, F), res("c", patch, protocol.Low, F), res("d", patch, protocol.Low, F), res("e", patch, protocol.Low, F)}, map[protocol.Domain]int{patch: 20}, 20, 1, "", nil},
		{"info does not score", []protocol.Result{res("a", patch, protocol.Info, F), res("b", patch, protocol.Low, P), answered}, map[protocol.Domain]int{patch: 100, org: 100}, 100, 4, "", nil},
		// a domain a newer agent added is scored and kept under its ID
		{"unknown domain kept", []protocol.Result{res("a", "iot", protocol.Medium, P), res("b", patch, protocol.Medium, "partially-passed"), answered}, map[protocol.Domain]int{"iot": 100, patch: -1, org: 100}, 100, 4, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.in)
			ds := map[protocol.Domain]int{}
			for _, d := range got.Domains {
				ds[d.Domain] = d.Score
			}
			if diff := cmp.Diff(tt.domains, ds); diff != "" {
				t.Errorf("domain scores (-want +got):\n%s", diff)
			}
			if got.Score != tt.overall || got.Level != tt.level || got.LevelCap != tt.cap || got.LevelCapped != (tt.cap != "") || !cmp.Equal(got.CappedBy, tt.by) {
				t.Errorf("overall %d level %d cap %q %v by %v, want %d %d %q by %v", got.Score, got.Level, got.LevelCap, got.LevelCapped, got.CappedBy, tt.overall, tt.level, tt.cap, tt.by)
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
	// within failures the measure's rank decides, before severity
	rank := map[string]int{"fail.high.rank9": 9, "fail.high.rank2": 2, "fail.medium": 5}
	var got []string
	for _, a := range Prioritise(in, func(id string) int { return rank[id] }) {
		got = append(got, a.ID)
	}
	want := []string{"fail.high.rank2", "fail.medium", "fail.high.rank9", "fail.high.unranked", "warn.critical"}
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
