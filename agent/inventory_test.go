package agent

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestInventorySentOnlyWhenNeeded: against a hub that keeps inventories by
// hash and asks for one it does not hold, the agent sends its inventory in
// full on first contact, when it changed, when the hub asks, every 7 days,
// and again while a full one is not acknowledged; otherwise only its hash.
func TestInventorySentOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	clock := newFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	inv := []protocol.Package{{Name: "bash", Version: "5.2.15-2+b8", Source: "dpkg", Arch: "amd64", SourcePackage: "bash", SourceVersion: "5.2.15-2"}}
	scan := func(ctx context.Context, o ScanOptions) (*protocol.Scorecard, error) {
		sc, err := fakeScan(ctx, o)
		mu.Lock()
		sc.Software = slices.Clone(inv)
		mu.Unlock()
		sc.SoftwareSHA256 = protocol.SoftwareSHA256(sc.Software)
		sc.Assets = o.Assets
		return sc, err
	}
	var failing atomic.Bool
	hub.fault = func(int) fault {
		if failing.Load() {
			return err500
		}
		return none
	}
	a, cfg := enrolledAgent(t, hub, Options{Scan: scan, Clock: clock})
	cfg.Assets = []AssetConfig{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu"}}

	// step runs one cycle a day later and returns what the hub stored last.
	step := func(name string, wantFull bool) *protocol.Scorecard {
		t.Helper()
		clock.Advance(24 * time.Hour)
		if _, err := a.Cycle(context.Background()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hub.mu.Lock()
		defer hub.mu.Unlock()
		sc := hub.stored[len(hub.stored)-1]
		if full := sc.Software != nil; full != wantFull {
			t.Errorf("%s: full inventory sent = %v, want %v", name, full, wantFull)
		}
		if sc.SoftwareSHA256 != protocol.SoftwareSHA256(inv) {
			t.Errorf("%s: software_sha256 %q does not name the inventory", name, sc.SoftwareSHA256)
		}
		if len(sc.Assets) != 1 || sc.Assets[0].Product != "FortiGate" {
			t.Errorf("%s: declared assets %v", name, sc.Assets)
		}
		return sc
	}
	step("first scorecard", true)
	step("unchanged", false)
	mu.Lock()
	inv = append(inv, protocol.Package{Name: "openssl", Version: "3.0.19-1~deb12u2", Source: "dpkg"})
	mu.Unlock()
	step("changed", true)
	step("unchanged again", false)

	// The hub lost its inventories: it takes the scorecard and asks.
	hub.mu.Lock()
	clear(hub.inventories)
	hub.mu.Unlock()
	step("hub forgot: hash only, the hub asks", false)
	st, _ := LoadState(cfg.StateDir)
	if !st.Inventory.Requested {
		t.Fatal("the hub's send_inventory was not recorded")
	}
	step("asked for", true)
	step("delivered as asked", false)
	if st, _ := LoadState(cfg.StateDir); st.Inventory.Requested {
		t.Error("request still pending after the full inventory was delivered")
	}

	// Seven days after the last full inventory, it is sent again.
	for i := 0; i < 5; i++ { // days 2 to 6 after the full one
		step("within the week", false)
	}
	step("seven days later", true)
	step("after the refresh", false)

	// A changed inventory whose scorecard is not delivered is not
	// acknowledged: the next scorecard carries it in full too.
	mu.Lock()
	inv = inv[:1]
	mu.Unlock()
	failing.Store(true)
	clock.Advance(24 * time.Hour)
	if _, err := a.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	failing.Store(false)
	n := len(hub.storedSeqs())
	step("after a failed delivery", true)
	hub.mu.Lock()
	late := hub.stored[n:]
	hub.mu.Unlock()
	if len(late) != 2 || late[0].Software == nil {
		t.Errorf("the undelivered scorecard and the next one: %d stored, first full = %v", len(late), len(late) > 0 && late[0].Software != nil)
	}
	step("then unchanged", false)
}

func TestInventoryStateFullDue(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := InventoryState{SHA256: "aa", At: at}
	for _, tt := range []struct {
		name string
		s    InventoryState
		sha  string
		now  time.Time
		want bool
	}{
		{"same, a day later", s, "aa", at.Add(24 * time.Hour), false},
		{"changed", s, "bb", at.Add(time.Hour), true},
		{"a week later", s, "aa", at.Add(protocol.InventoryRefresh), true},
		{"clock set back", s, "aa", at.Add(-time.Hour), true},
		{"requested", InventoryState{SHA256: "aa", At: at, Requested: true}, "aa", at.Add(time.Hour), true},
		{"never sent", InventoryState{}, "aa", at, true},
	} {
		if got := tt.s.FullDue(tt.sha, tt.now); got != tt.want {
			t.Errorf("%s: FullDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}
