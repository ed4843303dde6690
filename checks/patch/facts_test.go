package patch

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestTypedPatchCounts: the counts the hub reads (protocol.PatchCounts) are
// what the family put in Facts, on apt, dnf and Windows Update captures, and
// survive the scorecard's JSON trip.
func TestTypedPatchCounts(t *testing.T) {
	t.Parallel()
	if IDPending != protocol.CheckPatchPending || IDSecurityPending != protocol.CheckPatchSecurityPending {
		t.Fatalf("check IDs %s, %s differ from protocol's %s, %s", IDPending, IDSecurityPending,
			protocol.CheckPatchPending, protocol.CheckPatchSecurityPending)
	}
	days := func(n int) *int { return &n }
	for _, tc := range []struct {
		name            string
		res             map[string]protocol.Result
		pending, secPen protocol.PatchCounts
	}{
		{"debian12", runAll(t, must(debianHost(t, string(fixture(t, "apt/debian12/dist-upgrade.txt")), nil))),
			protocol.PatchCounts{Manager: "apt", Pending: 136, Security: 81, ListsAgeDays: days(0)},
			protocol.PatchCounts{Manager: "apt", Pending: 136, Security: 81}},
		{"rocky9", runAll(t, rhelHost(t, "dnf/rocky9", nil, nil)),
			protocol.PatchCounts{Manager: "dnf", Pending: 18, Security: 14},
			protocol.PatchCounts{Manager: "dnf", Pending: 18, Security: 14, Advisories: 5}},
		{"windows", runAll(t, windowsHost(t, "windows/server2022")),
			protocol.PatchCounts{Manager: "windows", Pending: 3, Security: 2},
			protocol.PatchCounts{Manager: "windows", Pending: 3, Security: 2, OldestSecurityDays: days(39)}},
	} {
		for id, want := range map[string]protocol.PatchCounts{IDPending: tc.pending, IDSecurityPending: tc.secPen} {
			r := tc.res[id]
			got, ok, err := protocol.PatchCountsOf(&r)
			if !ok || err != nil {
				t.Errorf("%s %s: no counts (ok=%v err=%v) in %v", tc.name, id, ok, err, r.Facts)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s counts (-want +got):\n%s", tc.name, id, diff)
			}
		}
	}
}

func must[T any, U any](v T, _ U) T { return v }
