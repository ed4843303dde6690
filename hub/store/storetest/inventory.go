package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Packages returns an inventory of n packages whose versions end in v.
func Packages(n int, v string) []protocol.Package {
	out := make([]protocol.Package, n)
	for i := range out {
		out[i] = protocol.Package{Name: fmt.Sprintf("pkg%04d", i), Version: "1." + v, Source: protocol.SourceDpkg, Arch: "amd64"}
	}
	return out
}

// WithInventory makes sc name pkgs and, when full, carry them as the hub's
// ingestion hands them to the store.
func WithInventory(sc *store.Scorecard, pkgs []protocol.Package, full bool) *store.Scorecard {
	sc.Inventory = protocol.SoftwareSHA256(pkgs)
	if full {
		c := protocol.CanonicalSoftware(pkgs)
		sc.NewInventory = &store.NewInventory{SHA256: protocol.HashCanonical(c), Canonical: c, Packages: len(protocol.SortPackages(pkgs))}
	}
	return sc
}

func save(t *testing.T, s store.Store, sc *store.Scorecard) *store.Scorecard {
	t.Helper()
	if o, err := s.SaveScorecard(context.Background(), sc); err != nil || o != store.Stored {
		t.Fatalf("save %s = %v, %v", sc.ID, o, err)
	}
	return sc
}

func testInventories(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie A", "a1")
	Enrolled(t, s, "Mairie A", "a2")
	v1, v2 := Packages(50, "1"), Packages(50, "1")
	v2[3].Version, v2 = "2.0", append(v2[:10], v2[11:]...) // one upgraded, one removed
	v2 = append(v2, protocol.Package{Name: "zz-new", Version: "1"})

	// Named but unknown: stored, and the agent is asked for it.
	sc := save(t, s, WithInventory(Card("a1", 1), v1, false))
	if !sc.InventoryMissing || sc.InventoryID != 0 {
		t.Errorf("unknown inventory: missing=%v id=%d, want missing", sc.InventoryMissing, sc.InventoryID)
	}
	if hi, err := s.HostInventory(ctx, "a1", ""); err != nil || hi.Current != nil {
		t.Errorf("host inventory before any was sent = %+v, %v", hi, err)
	}
	// Sent in full: kept, and known from then on, for every agent.
	sc = save(t, s, WithInventory(Card("a1", 2), v1, true))
	if sc.InventoryMissing || sc.InventoryID == 0 {
		t.Fatalf("full inventory: missing=%v id=%d", sc.InventoryMissing, sc.InventoryID)
	}
	first := sc.InventoryID
	if ok, err := s.HasInventory(ctx, protocol.SoftwareSHA256(v1)); !ok || err != nil {
		t.Errorf("HasInventory = %v, %v", ok, err)
	}
	if ok, _ := s.HasInventory(ctx, protocol.SoftwareSHA256(v2)); ok {
		t.Error("HasInventory of an inventory never sent = true")
	}
	for _, c := range []*store.Scorecard{WithInventory(Card("a1", 3), v1, false), WithInventory(Card("a2", 1), v1, false), WithInventory(Card("a2", 2), v1, true)} {
		save(t, s, c)
		if c.InventoryMissing || c.InventoryID != first {
			t.Errorf("%s naming a held inventory: missing=%v id=%d, want id %d", c.ID, c.InventoryMissing, c.InventoryID, first)
		}
	}
	hi, err := s.HostInventory(ctx, "a2", "")
	if err != nil || hi.Current == nil || hi.Previous != nil {
		t.Fatalf("a2's inventory = %+v, %v", hi, err)
	}
	if diff := cmp.Diff(protocol.SortPackages(v1), hi.Current.Packages); diff != "" {
		t.Errorf("stored inventory (-sent +read):\n%s", diff)
	}
	// A change: current and previous.
	save(t, s, WithInventory(Card("a1", 4), v2, true))
	save(t, s, WithInventory(Card("a1", 5), v2, false))
	hi, err = s.HostInventory(ctx, "a1", "")
	if err != nil || hi.Current == nil || hi.Previous == nil {
		t.Fatalf("a1 after a change = %+v, %v", hi, err)
	}
	if hi.Current.SHA256 != protocol.SoftwareSHA256(v2) || hi.Previous.SHA256 != protocol.SoftwareSHA256(v1) || len(hi.Current.Packages) != 50 {
		t.Errorf("current %s (%d packages), previous %s", hi.Current.SHA256, len(hi.Current.Packages), hi.Previous.SHA256)
	}
	// As of an older scorecard: the inventory it named, nothing before.
	hi, err = s.HostInventory(ctx, "a1", "a1-3")
	if err != nil || hi.Current == nil || hi.Current.ID != first || hi.Previous != nil || hi.Stale {
		t.Errorf("as of a1-3 = %+v, %v", hi, err)
	}
	// As of the scorecard whose inventory was unknown: none held before it.
	if hi, err = s.HostInventory(ctx, "a1", "a1-1"); err != nil || hi.Current != nil || !hi.Stale {
		t.Errorf("as of a1-1 = %+v, %v", hi, err)
	}
	if _, err := s.HostInventory(ctx, "ghost", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	if _, err := s.HostInventory(ctx, "a1", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown scorecard: %v", err)
	}

	// A newer agent's hash differs from the hub's: kept under the hub's,
	// and its own name works for itself only.
	newer := WithInventory(Card("a2", 3), v2, true)
	newer.Inventory = protocol.SoftwareSHA256(Packages(1, "other"))
	save(t, s, newer)
	if newer.InventoryMissing || newer.InventoryID == 0 {
		t.Fatalf("newer agent's full inventory: %+v", newer)
	}
	again := Card("a2", 4)
	again.Inventory = newer.Inventory
	if save(t, s, again); again.InventoryMissing || again.InventoryID != newer.InventoryID {
		t.Errorf("newer agent's own name again: missing=%v id=%d, want %d", again.InventoryMissing, again.InventoryID, newer.InventoryID)
	}
	other := Card("a1", 6)
	other.Inventory = newer.Inventory
	if save(t, s, other); !other.InventoryMissing {
		t.Error("another agent's unverified name resolved: one agent could make another's inventory")
	}
	// A duplicate upload changes nothing and asks for nothing.
	dup := WithInventory(Card("a1", 6), v1, false)
	if o, err := s.SaveScorecard(ctx, dup); o != store.Duplicate || err != nil || dup.InventoryMissing {
		t.Errorf("duplicate = %v, %v, missing=%v", o, err, dup.InventoryMissing)
	}
}

func testDeclaredAssets(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie A", "a1")
	Enrolled(t, s, "Mairie A", "a2")
	e, _ := s.EnsureEntity(ctx, "Mairie A", "")
	fw := protocol.Asset{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu mairie"}
	nas := protocol.Asset{Vendor: "Synology", Product: "DSM", Version: "7.2"}
	sc := Card("a1", 1)
	sc.Assets = []protocol.Asset{fw}
	save(t, s, sc)
	sc = Card("a2", 1)
	sc.Assets = []protocol.Asset{nas}
	save(t, s, sc)
	n, err := s.AddEntityAssets(ctx, e.ID, []protocol.Asset{{Vendor: "Citrix", Product: "NetScaler", Version: "14.1"}, nas, nas}, "conseiller@region.fr", t0)
	if err != nil || n != 2 {
		t.Fatalf("add = %d, %v; want 2 (one duplicate left out)", n, err)
	}
	if n, _ = s.AddEntityAssets(ctx, e.ID, []protocol.Asset{nas}, "x", t0); n != 0 {
		t.Errorf("adding an asset declared already: %d added", n)
	}
	if _, err := s.AddEntityAssets(ctx, 9999, []protocol.Asset{nas}, "x", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
	got, err := s.DeclaredAssets(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, d := range got {
		summary = append(summary, fmt.Sprintf("%s|%s|%s|%s|%v", d.AgentID, d.Vendor, d.Product, d.CreatedBy, d.ID != 0))
	}
	want := []string{"a1|Fortinet|FortiGate||false", "a2|Synology|DSM||false", "|Citrix|NetScaler|conseiller@region.fr|true", "|Synology|DSM|conseiller@region.fr|true"}
	if diff := cmp.Diff(want, summary); diff != "" {
		t.Errorf("declared assets (-want +got):\n%s", diff)
	}
	if got[0].Asset != fw || got[0].Host != "srv-a1" {
		t.Errorf("agent's asset = %+v", got[0])
	}
	// The latest scorecard's assets replace the earlier ones.
	save(t, s, Card("a1", 2))
	s.RevokeAgent(ctx, "a2", "x", t0)
	got, _ = s.DeclaredAssets(ctx, e.ID)
	if len(got) != 2 || got[0].AgentID != "" {
		t.Errorf("after a1 declared none and a2 was revoked: %+v", got)
	}
	a, err := s.DeleteEntityAsset(ctx, e.ID, got[0].ID)
	if err != nil || a.Product != "NetScaler" {
		t.Errorf("delete = %+v, %v", a, err)
	}
	if _, err := s.DeleteEntityAsset(ctx, e.ID, got[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	other, _ := s.EnsureEntity(ctx, "Port B", "port")
	if _, err := s.DeleteEntityAsset(ctx, other.ID, got[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete through another entity: %v", err)
	}
}

func testPrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie A", "a1")
	Enrolled(t, s, "Mairie A", "a2")
	old, kept, cur := Packages(5, "old"), Packages(5, "kept"), Packages(5, "cur")
	// a1: seq 1 (old) and 2 (kept) before the cut, 3 (cur) after.
	// a2: seq 1 (old) only, before the cut: its latest, kept.
	save(t, s, WithInventory(Card("a1", 1), old, true))
	save(t, s, WithInventory(Card("a1", 2), kept, true))
	save(t, s, WithInventory(Card("a1", 3), cur, true))
	orphan := WithInventory(Card("a2", 1), Packages(5, "orphan"), true)
	save(t, s, orphan)
	save(t, s, WithInventory(Card("a2", 2), old, false))
	// Received at t0 + seq hours: the cut after a1's second scorecard
	// but before its third; a2's second is its latest.
	cut := t0.Add(2*time.Hour + time.Minute)
	r, err := s.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	// Deleted: a1-1, a1-2, a2-1. Inventories: "kept" named by nothing
	// left, "orphan" neither; "old" by a2-2, "cur" by a1-3.
	if r.Scorecards != 3 || r.Inventories != 2 {
		t.Errorf("pruned %+v, want 3 scorecards and 2 inventories", r)
	}
	for id, want := range map[string]bool{"a1-1": false, "a1-2": false, "a1-3": true, "a2-1": false, "a2-2": true} {
		if ok, _ := s.HasScorecard(ctx, id[:2], id); ok != want {
			t.Errorf("scorecard %s kept = %v, want %v", id, ok, want)
		}
	}
	for name, want := range map[string]bool{"old": true, "kept": false, "cur": true, "orphan": false} {
		if ok, _ := s.HasInventory(ctx, protocol.SoftwareSHA256(Packages(5, name))); ok != want {
			t.Errorf("inventory %s kept = %v, want %v", name, ok, want)
		}
	}
	if hi, err := s.HostInventory(ctx, "a2", ""); err != nil || hi.Current == nil || hi.Current.SHA256 != protocol.SoftwareSHA256(old) {
		t.Errorf("a2's current inventory after prune = %+v, %v", hi, err)
	}
	// Each agent's latest scorecard, and what it names, survive any age.
	if r, err = s.Prune(ctx, t0.Add(1000*time.Hour)); err != nil || r != (store.PruneResult{}) {
		t.Errorf("prune with only latest scorecards left = %+v, %v; want nothing deleted", r, err)
	}
}
