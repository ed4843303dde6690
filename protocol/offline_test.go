package protocol

import "testing"

func TestOfflineScorecardName(t *testing.T) {
	id := KeyIDForTest()
	name := OfflineScorecardName(id, 42)
	a, s, ok := ParseOfflineScorecardName(name)
	if !ok || a != id || s != 42 {
		t.Fatalf("%q -> %q %d %v", name, a, s, ok)
	}
	if OfflineScorecardName(id, 9) > OfflineScorecardName(id, 10) {
		t.Error("names do not sort by sequence")
	}
	for _, bad := range []string{"", "vigie-x-1.scorecard.age", "vigie-" + id + "-1.txt", "vigie-" + id + "-x.scorecard.age", "other-" + id + "-1.scorecard.age"} {
		if _, _, ok := ParseOfflineScorecardName(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseOfflineScorecardName(f *testing.F) {
	f.Add(OfflineScorecardName(KeyIDForTest(), 7))
	f.Add("vigie--1.scorecard.age")
	f.Fuzz(func(t *testing.T, name string) {
		a, s, ok := ParseOfflineScorecardName(name)
		if !ok {
			return
		}
		// Property: whatever is accepted is a valid agent ID and reads back
		// to the same values from its canonical name.
		if !ValidAgentID(a) {
			t.Fatalf("accepted agent ID %q", a)
		}
		a2, s2, ok2 := ParseOfflineScorecardName(OfflineScorecardName(a, s))
		if !ok2 || a2 != a || s2 != s {
			t.Fatalf("round trip of %q", name)
		}
	})
}
