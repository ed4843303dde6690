package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestInventoryAgainstRealHub: the real agent (its scan pipeline, its
// change-only inventory logic and state) against the real `vigie-hub
// serve` over HTTPS. The first scorecard carries the full inventory, the
// next only its hash, a changed one the full list again, and the hub shows
// what changed; the [[assets]] of the agent's configuration reach the
// entity. Moved to a new hub that does not hold its inventory, the agent
// sends the hash alone, is asked for the inventory in the reply
// (send_inventory) and sends it in full with its next scorecard only.
func TestInventoryAgainstRealHub(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	state := filepath.Join(dir, "agent")
	pkgs := []protocol.Package{
		{Name: "openssl", Version: "3.0.15-1~deb12u1", Arch: "amd64", Source: protocol.SourceDpkg, SourcePackage: "openssl", SourceVersion: "3.0.15-1~deb12u1"},
		{Name: "linux-image-6.1.0-40-amd64", Version: "6.1.153-1", Arch: "amd64", Source: protocol.SourceDpkg, SourcePackage: "linux-signed-amd64", SourceVersion: "6.1.153+1"},
	}
	// The inventory the agent collects: controlled, so that the test
	// decides when it changes (the rest of the scan is this host's).
	inventory := func(context.Context, *checks.Host) ([]protocol.Package, error) {
		return append([]protocol.Package(nil), pkgs...), nil
	}

	// enrol makes a hub with its own database, enrols the agent's state
	// directory there and returns the agent and the hub's database path.
	enrol := func(name string) (*agent.Agent, string) {
		t.Helper()
		db := filepath.Join(dir, name, "hub.db")
		if code, _, stderr := cli(t, "", "init", "--db", db); code != 0 {
			t.Fatalf("init: %d %s", code, stderr)
		}
		code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--expires", "1h")
		tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
		if code != 0 || tok == nil {
			t.Fatalf("token create: %d %q %q", code, out, stderr)
		}
		addr, spki := startServe(t, db)
		cfgPath := filepath.Join(dir, name+".toml")
		os.WriteFile(cfgPath, []byte("state_dir = \""+filepath.ToSlash(state)+"\"\n\n[[assets]]\nvendor = \"Fortinet\"\nproduct = \"FortiGate\"\nversion = \"7.4.5\"\nname = \"Pare-feu de la mairie\"\n\n[hub]\nurl = \"https://"+addr+"\"\nfingerprint = \""+spki+"\"\n"), 0o600)
		cfg, err := agent.LoadConfig(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agent.Enroll(ctx, agent.EnrollOptions{HubURL: "https://" + addr, Token: tok[1], Fingerprint: spki, StateDir: state,
			Host: protocol.HostInfo{Hostname: "mairie-srv01", OS: "linux"}}); err != nil {
			t.Fatalf("enrol at %s: %v", name, err)
		}
		// The agent's own scan pipeline on this host, limited to the
		// organisation family: the inventory logic is the same, and seven
		// full scans of this host would take minutes.
		a, err := agent.New(cfg, agent.Options{Scan: func(ctx context.Context, so agent.ScanOptions) (*protocol.Scorecard, error) {
			so.Inventory, so.Only = inventory, []protocol.Domain{protocol.DomainOrganisation}
			return agent.Scan(ctx, livehost.New(), so), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		return a, db
	}
	// cycle scans, signs and delivers one scorecard and returns what the
	// hub stored of it: whether it carried the full list, and the hub's
	// view of the host's inventory.
	cycle := func(a *agent.Agent, db string) (full bool, hi store.HostInventory, assets []store.DeclaredAsset) {
		t.Helper()
		sc, err := a.Cycle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if files, _, _ := a.Spool().Stats(); files != 0 {
			t.Fatalf("scorecard %d not delivered", sc.Sequence)
		}
		st, err := store.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rec, err := st.Scorecard(ctx, sc.AgentID, sc.ID)
		if err != nil {
			t.Fatalf("scorecard %d not stored: %v", sc.Sequence, err)
		}
		stored, err := app.OpenStored(rec.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		if stored.SoftwareSHA256 != protocol.SoftwareSHA256(pkgs) {
			t.Errorf("scorecard %d names %s, want the hash of the collected inventory", sc.Sequence, stored.SoftwareSHA256)
		}
		if hi, err = st.HostInventory(ctx, sc.AgentID, sc.ID); err != nil {
			t.Fatal(err)
		}
		ent, _ := st.EnsureEntity(ctx, "Mairie de Plouguerneau", "")
		assets, _ = st.DeclaredAssets(ctx, ent.ID)
		return stored.Software != nil, hi, assets
	}

	a, dbA := enrol("hubA")
	full, hi, assets := cycle(a, dbA)
	if !full || hi.Current == nil || len(hi.Current.Packages) != 2 || hi.Previous != nil {
		t.Fatalf("first scorecard: full=%v, hub holds %+v", full, hi)
	}
	if len(assets) != 1 || assets[0].Vendor != "Fortinet" || assets[0].Name != "Pare-feu de la mairie" || assets[0].AgentID == "" {
		t.Errorf("declared assets from the configuration at the hub: %+v", assets)
	}
	if full, hi, _ = cycle(a, dbA); full || hi.Current == nil || hi.Current.SHA256 != protocol.SoftwareSHA256(pkgs) {
		t.Errorf("unchanged inventory: full=%v (want the hash alone), hub holds %+v", full, hi.Current)
	}
	pkgs[0].Version = "3.0.16-1~deb12u1"
	full, hi, _ = cycle(a, dbA)
	if !full || hi.Current == nil || hi.Previous == nil {
		t.Fatalf("changed inventory: full=%v, hub holds %+v", full, hi)
	}
	if ch := app.Diff(hi.Previous.Packages, hi.Current.Packages); len(ch) != 1 || ch[0].Kind != app.ChangeVersion || ch[0].New != "3.0.16-1~deb12u1" {
		t.Errorf("changes at the hub: %+v", ch)
	}

	// A new hub: it does not hold the inventory the agent believes sent.
	b, dbB := enrol("hubB")
	full, hi, _ = cycle(b, dbB)
	if full || hi.Current != nil || !hi.Stale {
		t.Errorf("at a new hub: full=%v, hub holds %+v; want the hash alone, unknown there", full, hi)
	}
	st, _ := agent.ReadStatus(state)
	if !st.State.Inventory.Requested {
		t.Errorf("the new hub's reply did not ask for the inventory: %+v", st.State.Inventory)
	}
	if full, hi, _ = cycle(b, dbB); !full || hi.Current == nil || hi.Current.SHA256 != protocol.SoftwareSHA256(pkgs) {
		t.Errorf("after send_inventory: full=%v, hub holds %+v; want the full inventory", full, hi.Current)
	}
	if full, _, _ = cycle(b, dbB); full {
		t.Error("the full inventory sent again once the new hub holds it")
	}
}
