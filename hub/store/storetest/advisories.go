package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// testAdvisories: one copy per reference, the newest revision kept whatever
// the order of the puts, the document kept byte for byte, the list by
// revision date.
func testAdvisories(t *testing.T, s store.Store) {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	if _, _, ok, err := s.AdvisoryStamp(ctx, "CERTFR-2025-AVI-0001"); ok || err != nil {
		t.Fatalf("stamp of nothing: %v %v", ok, err)
	}
	if _, err := s.Advisory(ctx, "CERTFR-2025-AVI-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing advisory: %v", err)
	}
	rec := func(ref string, rev time.Time, n int, raw string) store.AdvisoryRecord {
		return store.AdvisoryRecord{Reference: ref, Kind: "avis", Title: "Vulnérabilité dans " + ref, Published: day(1),
			Revised: rev, Revisions: n, Raw: []byte(raw), ImportedAt: day(20)}
	}
	put := func(r store.AdvisoryRecord, want bool) {
		t.Helper()
		got, err := s.PutAdvisory(ctx, r)
		if err != nil || got != want {
			t.Fatalf("put %s rev %v/%d: stored=%v err=%v, want stored=%v", r.Reference, r.Revised, r.Revisions, got, err, want)
		}
	}
	put(rec("CERTFR-2025-AVI-0001", day(2), 1, `{"v":1}`), true)
	put(rec("CERTFR-2025-AVI-0001", day(2), 1, `{"v":"same"}`), false) // same revision: kept as is
	put(rec("CERTFR-2025-AVI-0001", day(5), 2, `{"v":2}`), true)
	put(rec("CERTFR-2025-AVI-0001", day(3), 3, `{"v":"older"}`), false) // older date, more revisions: still older
	put(rec("CERTFR-2025-AVI-0001", day(5), 3, "{\"v\":\t3}"), true)    // same day, one revision more
	put(rec("CERTFR-2025-ALE-0002", day(4), 1, `{"a":1}`), true)
	if _, err := s.PutAdvisory(ctx, store.AdvisoryRecord{}); err == nil {
		t.Error("an advisory without reference was stored")
	}
	rev, n, ok, err := s.AdvisoryStamp(ctx, "CERTFR-2025-AVI-0001")
	if err != nil || !ok || !rev.Equal(day(5)) || n != 3 {
		t.Fatalf("stamp: %v %d %v %v", rev, n, ok, err)
	}
	got, err := s.Advisory(ctx, "CERTFR-2025-AVI-0001")
	if err != nil || string(got.Raw) != "{\"v\":\t3}" || got.Kind != "avis" || !got.Published.Equal(day(1)) || !got.ImportedAt.Equal(day(20)) {
		t.Fatalf("advisory: %+v %v", got, err)
	}
	all, err := s.AdvisoriesSince(ctx, time.Time{})
	if err != nil || len(all) != 2 || all[0].Reference != "CERTFR-2025-AVI-0001" || all[1].Reference != "CERTFR-2025-ALE-0002" {
		t.Fatalf("all: %+v %v", all, err)
	}
	imported, err := s.AdvisoriesImported(ctx, day(19))
	if err != nil || len(imported) != 2 {
		t.Fatalf("imported after day 19: %+v %v", imported, err)
	}
	if imported, err := s.AdvisoriesImported(ctx, day(20)); err != nil || len(imported) != 0 {
		t.Fatalf("imported after day 20: %+v %v", imported, err)
	}
	recent, err := s.AdvisoriesSince(ctx, day(5))
	if err != nil || len(recent) != 1 || recent[0].Reference != "CERTFR-2025-AVI-0001" {
		t.Fatalf("since: %+v %v", recent, err)
	}
}
