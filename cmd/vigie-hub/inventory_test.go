package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestInventoryCommand: `inventory --entity` exports the entity's software
// and declared appliances in JSON (the default) and CSV, the entity named
// in any case; an unknown entity, a missing --entity and an unknown format
// are refused with the exit codes of every command.
func TestInventoryCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hub.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Enrolled(t, st, "Mairie de Plouguerneau", "a1")
	storetest.Enrolled(t, st, "Port de Brest", "b1")
	pkgs := []protocol.Package{{Name: "openssl", Version: "3.0.15-1~deb12u1", Arch: "amd64", Source: "dpkg", SourcePackage: "openssl"}}
	sc := storetest.WithInventory(storetest.Card("a1", 1), pkgs, true)
	sc.Assets = []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5"}}
	st.SaveScorecard(ctx, sc)
	st.SaveScorecard(ctx, storetest.WithInventory(storetest.Card("b1", 1), storetest.Packages(2, "x"), true))
	st.Close()

	code, out, stderr := cli(t, "", "inventory", "--db", db, "--entity", "MAIRIE de plouguerneau")
	if code != exitOK {
		t.Fatalf("json: %d %s", code, stderr)
	}
	var doc struct {
		Entity string `json:"entity"`
		Hosts  []struct {
			AgentID  string             `json:"agent_id"`
			Software []protocol.Package `json:"software"`
		} `json:"hosts"`
		Assets []protocol.Asset `json:"assets"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if doc.Entity != "Mairie de Plouguerneau" || len(doc.Hosts) != 1 || doc.Hosts[0].AgentID != "a1" || len(doc.Hosts[0].Software) != 1 ||
		doc.Hosts[0].Software[0] != pkgs[0] || len(doc.Assets) != 1 || doc.Assets[0].Product != "FortiGate" {
		t.Errorf("json export: %s", out)
	}
	code, out, _ = cli(t, "", "inventory", "--db", db, "--entity", "Mairie de Plouguerneau", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(out, "\ufeff")), "\n")
	if code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "entity,kind,hostname") ||
		!strings.Contains(lines[1], "package,srv-a1,a1,openssl,3.0.15-1~deb12u1") || !strings.Contains(lines[2], "asset,srv-a1,a1") {
		t.Errorf("csv export: %d %q", code, lines)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--entity", "Mairie de Plouguernea"}, exitFail, `entité inconnue : "Mairie de Plouguernea"`},
		{nil, exitUsage, "--entity est obligatoire"},
		{[]string{"--entity", "Port de Brest", "--format", "xml"}, exitUsage, `--format "xml" inconnu`},
	} {
		code, _, stderr := cli(t, "", append([]string{"inventory", "--db", db}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %q, want %d %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if code, _, stderr := cli(t, "", "serve", "--db", db, "--retention", "0"); code != exitUsage || !strings.Contains(stderr, "--retention") {
		t.Errorf("serve --retention 0: %d %q", code, stderr)
	}
}
