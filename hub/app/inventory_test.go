package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	old := []protocol.Package{
		{Name: "openssl", Version: "3.0.15-1~deb12u1", Arch: "amd64"},
		{Name: "kernel", Version: "5.14.0-427", Arch: "x86_64"},
		{Name: "kernel", Version: "5.14.0-503", Arch: "x86_64"},
		{Name: "telnet", Version: "0.17", Arch: "amd64"},
		{Name: "libc6", Version: "2.36", Arch: "amd64"},
		{Name: "libc6", Version: "2.36", Arch: "i386"},
	}
	new := []protocol.Package{
		{Name: "openssl", Version: "3.0.16-1~deb12u1", Arch: "amd64"},
		{Name: "kernel", Version: "5.14.0-503", Arch: "x86_64"},
		{Name: "kernel", Version: "5.14.0-570", Arch: "x86_64"},
		{Name: "libc6", Version: "2.36", Arch: "amd64"},
		{Name: "libc6", Version: "2.36", Arch: "i386"},
		{Name: "Google Chrome", Version: "131.0"},
	}
	want := []app.Change{
		{Kind: app.ChangeAdded, Name: "Google Chrome", New: "131.0"},
		{Kind: app.ChangeAdded, Name: "kernel", Arch: "x86_64", New: "5.14.0-570"},
		{Kind: app.ChangeRemoved, Name: "kernel", Arch: "x86_64", Old: "5.14.0-427"},
		{Kind: app.ChangeVersion, Name: "openssl", Arch: "amd64", Old: "3.0.15-1~deb12u1", New: "3.0.16-1~deb12u1"},
		{Kind: app.ChangeRemoved, Name: "telnet", Arch: "amd64", Old: "0.17"},
	}
	if diff := cmp.Diff(want, app.Diff(old, new)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got := app.Diff(new, new); len(got) != 0 {
		t.Errorf("no change: %v", got)
	}
}

func TestSortAndFilterPackages(t *testing.T) {
	t.Parallel()
	pkgs := []protocol.Package{{Name: "b", Version: "1.10"}, {Name: "A", Version: "1.9"}, {Name: "c", Version: "1.9.1", Publisher: "Mozilla"}, {Name: "d", Version: "1.9a"}}
	app.SortPackages(pkgs, "version", false)
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Version)
	}
	if diff := cmp.Diff([]string{"1.9", "1.9.1", "1.9a", "1.10"}, got); diff != "" {
		t.Errorf("by version (-want +got):\n%s", diff)
	}
	app.SortPackages(pkgs, "name", true)
	if pkgs[0].Name != "d" || pkgs[3].Name != "A" {
		t.Errorf("by name descending: %v", pkgs)
	}
	if f := app.FilterPackages(pkgs, " mozil "); len(f) != 1 || f[0].Name != "c" {
		t.Errorf("filter by publisher: %v", f)
	}
	if f := app.FilterPackages(pkgs, "B"); len(f) != 1 || f[0].Name != "b" {
		t.Errorf("filter by name ignoring case: %v", f)
	}
}

func TestParseAssetsCSV(t *testing.T) {
	t.Parallel()
	fw := protocol.Asset{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu mairie"}
	nas := protocol.Asset{Vendor: "Synology", Product: "DSM", Version: "7.2"}
	for name, c := range map[string]struct {
		in   string
		want []protocol.Asset
		err  string
	}{
		"english header":          {in: "vendor,product,version,name\nFortinet,FortiGate,7.4.5,pare-feu mairie\nSynology,DSM,7.2,\n", want: []protocol.Asset{fw, nas}},
		"french spreadsheet":      {in: "\ufeffNom;Éditeur;Produit;Version\r\npare-feu mairie;Fortinet;FortiGate;7.4.5\r\n;Synology;DSM;7.2\r\n", want: []protocol.Asset{fw, nas}},
		"no header, blank lines":  {in: "\nFortinet,FortiGate,7.4.5,pare-feu mairie\n\n,,,\nSynology,DSM,7.2\n", want: []protocol.Asset{fw, nas}},
		"quoted comma":            {in: "vendor,product\n\"Citrix, Inc.\",NetScaler\n", want: []protocol.Asset{{Vendor: "Citrix, Inc.", Product: "NetScaler"}}},
		"empty":                   {in: ""},
		"missing product":         {in: "vendor,product\nFortinet,FortiGate\nQNAP,\n", err: "ligne 3"},
		"control character":       {in: "Fortinet,Forti\x1bGate\n", err: "ligne 1"},
		"broken quote":            {in: "vendor,product\n\"Fortinet,FortiGate\n", err: "ligne"},
		"not utf-8":               {in: "Fortinet,\xe9quipement\n", err: "UTF-8"},
		"too long a field":        {in: "Fortinet," + strings.Repeat("x", 201) + "\n", err: "ligne 1"},
		"too big a file":          {in: strings.Repeat("a,b\n", app.MaxAssetsCSV/4+1), err: "trop gros"},
		"more than MaxAssets":     {in: strings.Repeat("a,b\n", protocol.MaxAssets+1), err: "plus de"},
		"header without a vendor": {in: "produit,version\nFortiGate,7\n", err: "ligne 1"},
	} {
		got, err := app.ParseAssetsCSV([]byte(c.in))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, app.ErrBadInput)):
			t.Errorf("%s: err %v, want one saying %q", name, err, c.err)
		case c.err != "" && got != nil:
			t.Errorf("%s: assets %v returned with an error: an import is all or nothing", name, got)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.err == "":
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
	}
}

// FuzzParseAssetsCSV: whatever the file, what is accepted is at most
// MaxAssets assets each passing CheckAsset, and writing them back gives a
// file read as the same assets.
func FuzzParseAssetsCSV(f *testing.F) {
	f.Add([]byte("vendor,product,version,name\nFortinet,FortiGate,7.4.5,pare-feu\n"))
	f.Add([]byte("\ufeffÉditeur;Produit;Version;Nom\r\nSynology;DSM;7.2;\"NAS; mairie\"\r\n"))
	f.Add([]byte("\"a\"\"b\",c\n\n,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := app.ParseAssetsCSV(data)
		if err != nil {
			if !errors.Is(err, app.ErrBadInput) || got != nil {
				t.Fatalf("refused with %v and %v: want ErrBadInput and nothing", err, got)
			}
			return
		}
		if len(got) > protocol.MaxAssets {
			t.Fatalf("%d assets", len(got))
		}
		for _, a := range got {
			if err := app.CheckAsset(a); err != nil {
				t.Fatalf("accepted %+v: %v", a, err)
			}
		}
		var b bytes.Buffer
		if err := app.WriteAssetsCSV(&b, got); err != nil {
			t.Fatal(err)
		}
		again, err := app.ParseAssetsCSV(b.Bytes())
		if err != nil {
			t.Fatalf("written back: %v\n%s", err, b.Bytes())
		}
		if diff := cmp.Diff(got, again); diff != "" && len(got)+len(again) > 0 {
			t.Fatalf("round trip (-first +again):\n%s", diff)
		}
	})
}

// TestEntityInventoryExport: the export of an entity named in any case
// holds each host's current inventory and the declared appliances, in
// JSON and CSV; an unknown entity is an error that says so; both audited.
func TestEntityInventoryExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	storetest.Enrolled(t, st, "Mairie de Plouguerneau", "a1")
	storetest.Enrolled(t, st, "Mairie de Plouguerneau", "a2")
	storetest.Enrolled(t, st, "Port de Brest", "b1")
	pkgs := []protocol.Package{{Name: "=cmd|calc", Version: "1", Source: "dpkg"}, {Name: "openssl", Version: "3.0.15", Arch: "amd64", Source: "dpkg", SourcePackage: "openssl"}}
	sc := storetest.WithInventory(storetest.Card("a1", 1), pkgs, true)
	sc.Assets = []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5"}}
	if _, err := st.SaveScorecard(ctx, sc); err != nil {
		t.Fatal(err)
	}
	st.SaveScorecard(ctx, storetest.WithInventory(storetest.Card("b1", 1), storetest.Packages(3, "x"), true))
	e, _ := st.EnsureEntity(ctx, "Mairie de Plouguerneau", "")
	if n, err := a.AddAssets(ctx, e.ID, []protocol.Asset{{Vendor: "Synology", Product: "DSM", Version: "7.2", Name: "NAS"}}, "asset_add", "conseiller@region.fr"); n != 1 || err != nil {
		t.Fatalf("add asset = %d, %v", n, err)
	}
	if _, err := a.AddAssets(ctx, e.ID, []protocol.Asset{{Vendor: "QNAP"}}, "asset_add", "conseiller@region.fr"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("asset without product: %v", err)
	}

	x, err := a.EntityInventory(ctx, "mairie de PLOUGUERNEAU", "json", "cli")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := x.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Entity string `json:"entity"`
		Hosts  []struct {
			AgentID  string             `json:"agent_id"`
			SHA256   string             `json:"software_sha256"`
			Software []protocol.Package `json:"software"`
		} `json:"hosts"`
		Assets []struct {
			Vendor     string `json:"vendor"`
			DeclaredBy string `json:"declared_by"`
			AgentID    string `json:"agent_id"`
		} `json:"assets"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.Bytes())
	}
	if doc.Entity != "Mairie de Plouguerneau" || len(doc.Hosts) != 2 {
		t.Fatalf("export = %s", b.Bytes())
	}
	for _, h := range doc.Hosts {
		if h.AgentID == "a1" && (len(h.Software) != 2 || h.SHA256 != protocol.SoftwareSHA256(pkgs)) || h.AgentID == "a2" && len(h.Software) != 0 {
			t.Errorf("host %s: %d packages, %s", h.AgentID, len(h.Software), h.SHA256)
		}
	}
	if len(doc.Assets) != 2 || doc.Assets[0].DeclaredBy != "agent" || doc.Assets[0].AgentID != "a1" || doc.Assets[1].DeclaredBy != "conseiller@region.fr" {
		t.Errorf("assets = %+v", doc.Assets)
	}

	b.Reset()
	if err := x.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+2+2 || rows[1][1] != "package" || rows[1][4] != "'=cmd|calc" || rows[4][1] != "asset" || rows[4][12] != "Synology" {
		t.Errorf("CSV:\n%s", b.String())
	}
	if _, err := a.EntityInventory(ctx, "Mairie de Plouguernea", "csv", "cli"); !errors.Is(err, app.ErrUnknownEntity) || !strings.Contains(err.Error(), "Plouguernea") {
		t.Errorf("unknown entity: %v", err)
	}
	log, _ := st.AuditLog(ctx, 10)
	var actions []string
	for _, l := range log {
		actions = append(actions, l.Action+" "+l.Target+" "+l.Detail)
	}
	for _, want := range []string{"asset_add Mairie de Plouguerneau Synology DSM 7.2 (NAS)", "export_inventory Mairie de Plouguerneau json"} {
		if !strings.Contains(strings.Join(actions, "\n"), want) {
			t.Errorf("audit log %q lacks %q", actions, want)
		}
	}
	_ = store.ErrNotFound
}

// TestPrune: scorecards older than the retention go (each host's latest
// stays), with the inventories nothing names any more; the deletion is
// audited; a retention of no month is refused.
func TestPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, st := newApp(t)
	storetest.Enrolled(t, st, "Mairie A", "a1")
	// Received at t0 + 1 h, 2 h, 3 h (storetest.Card).
	st.SaveScorecard(ctx, storetest.WithInventory(storetest.Card("a1", 1), storetest.Packages(3, "old"), true))
	st.SaveScorecard(ctx, storetest.WithInventory(storetest.Card("a1", 2), storetest.Packages(3, "new"), true))
	st.SaveScorecard(ctx, storetest.WithInventory(storetest.Card("a1", 3), storetest.Packages(3, "new"), false))
	a := app.New(app.Config{Store: st, Now: func() time.Time { return t0.AddDate(0, 13, 0).Add(2*time.Hour + time.Minute) }})
	r, err := a.Prune(ctx, 13)
	if err != nil || r != (store.PruneResult{Scorecards: 2, Inventories: 1}) {
		t.Errorf("prune = %+v, %v; want the first two scorecards and the old inventory", r, err)
	}
	if ok, _ := st.HasScorecard(ctx, "a1", "a1-3"); !ok {
		t.Error("the latest scorecard was pruned")
	}
	log, _ := st.AuditLog(ctx, 5)
	if len(log) == 0 || log[0].Action != "retention" || log[0].Detail != "2 bilan(s) et 1 inventaire(s) supprimé(s)" {
		t.Errorf("audit: %+v", log)
	}
	if _, err := a.Prune(ctx, 0); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("retention of 0 months: %v", err)
	}
}
