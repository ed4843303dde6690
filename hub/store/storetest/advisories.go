package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
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

// testMatcherReads: what the advisories matcher reads beside the
// scorecards — the stored inventory an agent's scorecards resolved to
// (kept when a later one names an inventory the hub does not hold), and
// every entity's adviser-declared assets with the entity's name and sector.
func testMatcherReads(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie A", "a1")
	Enrolled(t, s, "Mairie A", "a2")
	if id, err := s.AgentInventory(ctx, "a1"); id != 0 || err != nil {
		t.Errorf("inventory before any scorecard = %d, %v", id, err)
	}
	if _, err := s.AgentInventory(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	v1 := Packages(20, "1")
	sc := save(t, s, WithInventory(Card("a1", 1), v1, true))
	save(t, s, WithInventory(Card("a1", 2), v1, false))
	save(t, s, WithInventory(Card("a1", 3), Packages(20, "9"), false)) // named, never sent
	id, err := s.AgentInventory(ctx, "a1")
	if err != nil || id != sc.InventoryID || id == 0 {
		t.Fatalf("a1's inventory = %d, %v; want %d", id, err, sc.InventoryID)
	}
	inv, err := s.InventoryByID(ctx, id)
	if err != nil || len(inv.Packages) != 20 || inv.Packages[0].Name != "pkg0000" || inv.SHA256 != protocol.SoftwareSHA256(v1) {
		t.Fatalf("inventory %d = %+v, %v", id, inv, err)
	}
	if _, err := s.InventoryByID(ctx, id+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown inventory: %v", err)
	}

	a, _ := s.EnsureEntity(ctx, "Mairie A", "")
	b, _ := s.EnsureEntity(ctx, "Port de B", "port")
	fw := protocol.Asset{Vendor: "Fortinet", Product: "FortiGate", Version: "7.2.3", Name: "pare-feu"}
	c := Card("a2", 1)
	c.Assets = []protocol.Asset{{Vendor: "Synology", Product: "DSM", Version: "7.2"}} // an agent's: not listed
	save(t, s, c)
	if _, err := s.AddEntityAssets(ctx, b.ID, []protocol.Asset{fw}, "conseiller@region.fr", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddEntityAssets(ctx, a.ID, []protocol.Asset{{Vendor: "Citrix", Product: "NetScaler", Version: "14.1"}}, "x", t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.AdviserAssets(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("adviser assets = %+v, %v", got, err)
	}
	byEntity := map[string]store.EntityAsset{}
	for _, g := range got {
		byEntity[g.Entity] = g
	}
	if g := byEntity["Port de B"]; g.Asset != fw || g.Sector != "port" || g.EntityID != b.ID || g.ID == 0 {
		t.Errorf("Port de B's asset = %+v", g)
	}
	if g := byEntity["Mairie A"]; g.Product != "NetScaler" || g.EntityID != a.ID {
		t.Errorf("Mairie A's asset = %+v", g)
	}
}
