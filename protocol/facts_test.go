package protocol

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func intp(n int) *int { return &n }

// TestPatchCountsRoundTrip: counts written into a result's Facts read back
// the same in memory and after the scorecard's JSON trip (numbers become
// float64), with exactly the keys the patch family always wrote.
func TestPatchCountsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range []PatchCounts{
		{Manager: "apt", Pending: 136, Security: 81, ListsAgeDays: intp(0)},
		{Manager: "dnf", Pending: 18, Security: 14, Advisories: 5},
		{Manager: "windows", Pending: 2, Security: 2, OldestSecurityDays: intp(39)},
		{Manager: "apt", Pending: 0, Security: 0},
	} {
		r := Result{ID: CheckPatchSecurityPending, Status: Fail, Facts: p.Facts(nil)}
		got, ok, err := PatchCountsOf(&r)
		if !ok || err != nil || !cmp.Equal(got, p) {
			t.Errorf("in memory: %+v ok=%v err=%v, want %+v", got, ok, err, p)
		}
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Result
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		got, ok, err = PatchCountsOf(&back)
		if !ok || err != nil || !cmp.Equal(got, p) {
			t.Errorf("after JSON: %+v ok=%v err=%v, want %+v (%s)", got, ok, err, p, data)
		}
	}
	// The keys are the ones scorecards already carry.
	f := PatchCounts{Manager: "dnf", Pending: 18, Security: 14, Advisories: 5, OldestSecurityDays: intp(3), ListsAgeDays: intp(1)}.Facts(map[string]any{"other": true})
	want := map[string]any{"other": true, "manager": "dnf", "pending": 18, "security": 14, "advisories": 5, "oldest_security_days": 3, "lists_age_days": 1}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("facts keys (-want +got):\n%s", diff)
	}
}

// TestPatchCountsFromOldScorecard: facts as an agent wrote them before the
// type existed (copied from a scorecard of patch.security-pending) read.
func TestPatchCountsFromOldScorecard(t *testing.T) {
	t.Parallel()
	old := `{"id":"patch.security-pending","version":1,"status":"fail","evidence":{"fr":"x","en":"x"},
		"facts":{"manager":"dnf","security":14,"pending":18,"advisories":5},"duration_ns":1,"domain":"patch","severity":"high","refs":{}}`
	var r Result
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	got, ok, err := PatchCountsOf(&r)
	if want := (PatchCounts{Manager: "dnf", Pending: 18, Security: 14, Advisories: 5}); !ok || err != nil || !cmp.Equal(got, want) {
		t.Errorf("got %+v ok=%v err=%v, want %+v", got, ok, err, want)
	}
}

// TestPatchCountsRefusesBadFacts: a result without counts is not an error;
// counts that are not whole non-negative numbers are.
func TestPatchCountsRefusesBadFacts(t *testing.T) {
	t.Parallel()
	if _, ok, err := PatchCountsOf(&Result{Facts: map[string]any{"manager": "apt"}}); ok || err != nil {
		t.Errorf("no counts: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := PatchCountsOf(nil); ok {
		t.Error("nil result has counts")
	}
	for _, facts := range []map[string]any{
		{"pending": -1.0, "security": 0.0},
		{"pending": 1.5, "security": 0.0},
		{"pending": "3", "security": 0.0},
		{"pending": 3.0, "security": 1e300},
		{"pending": 3.0, "security": 1.0, "manager": 7.0},
		{"pending": 3.0, "security": 1.0, "oldest_security_days": -2.0},
	} {
		if _, ok, err := PatchCountsOf(&Result{Facts: facts}); !ok || err == nil {
			t.Errorf("%v: ok=%v err=%v, want an error", facts, ok, err)
		}
	}
}

// FuzzPatchCountsOf: whatever facts a scorecard carries, reading counts
// never panics, what reads is within bounds, and writing it back reads the
// same (the reader and the writer agree).
func FuzzPatchCountsOf(f *testing.F) {
	f.Add(`{"manager":"apt","pending":136,"security":81,"lists_age_days":0}`)
	f.Add(`{"pending":1e9,"security":-0}`)
	f.Add(`{"pending":3,"security":"x"}`)
	f.Fuzz(func(t *testing.T, facts string) {
		var r Result
		if json.Unmarshal([]byte(`{"facts":`+facts+`}`), &r) != nil {
			return
		}
		p, ok, err := PatchCountsOf(&r)
		if !ok || err != nil {
			return
		}
		for _, n := range []int{p.Pending, p.Security, p.Advisories} {
			if n < 0 || n > maxFactCount {
				t.Fatalf("count %d out of bounds from %s", n, facts)
			}
		}
		again, ok, err := PatchCountsOf(&Result{Facts: p.Facts(nil)})
		if !ok || err != nil || !cmp.Equal(again, p) {
			t.Fatalf("rewritten %+v reads %+v (%v), from %s", p, again, err, facts)
		}
	})
}
