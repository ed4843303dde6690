package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestAdvisoriesEntityAssets: a FortiGate an adviser declared for a port
// (no agent runs on it) is exposed to the CERT-FR advisories whose FortiOS
// lines cover its version, worked out by hand from the three real Fortinet
// advisories of testdata: 7.2.3 is in "FortiOS toutes versions 7.2.x"
// (CERTFR-2025-AVI-0496), in "toutes versions 6.0.x, …, 7.2.x et 7.4.x"
// (0871) and below "7.2.x antérieures à 7.2.12" (1084). A second appliance
// added later reaches the alerts hook at the next Refresh; deleted assets
// leave the list.
func TestAdvisoriesEntityAssets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	port, err := st.EnsureEntity(ctx, "Port de Lorient", "port")
	if err != nil {
		t.Fatal(err)
	}
	by := "conseiller@region.bzh"
	if _, err := a.AddAssets(ctx, port.ID, []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.2.3", Name: "pare-feu capitainerie"}}, "asset_add", by); err != nil {
		t.Fatal(err)
	}
	var hook sink
	m, err := a.NewAdvisories(app.AdvisoryConfig{OnExposures: hook.add})
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, ref := range []string{"CERTFR-2025-AVI-0496", "CERTFR-2025-AVI-0871", "CERTFR-2025-AVI-1084"} {
		docs = append(docs, filepath.Join(advisoryData, "docs", ref+".json"))
	}
	if _, err := m.Import(ctx, "cli", nil, docs...); err != nil {
		t.Fatal(err)
	}
	if _, err := m.LoadAdvisories(ctx); err != nil {
		t.Fatal(err)
	}
	hook.take() // the import matched before the entity was indexed; the rebuild sends nothing
	got := m.Exposures(app.ExposureFilter{Entity: "port de lorient"})
	want := []string{
		"CERTFR-2025-AVI-0496|Port de Lorient|équipements déclarés|FortiGate|7.2.3||certain",
		"CERTFR-2025-AVI-0871|Port de Lorient|équipements déclarés|FortiGate|7.2.3||certain",
		"CERTFR-2025-AVI-1084|Port de Lorient|équipements déclarés|FortiGate|7.2.3|7.2.12|certain",
	}
	if fmt.Sprint(exposureKeys(got)) != fmt.Sprint(want) {
		t.Fatalf("exposures:\n got %q\nwant %q", exposureKeys(got), want)
	}
	for _, x := range got {
		if x.AgentID != "" || x.EntityID != port.ID || x.Sector != "port" {
			t.Errorf("declared asset's exposure names an agent or the wrong entity: %+v", x)
		}
	}
	sums, err := m.Summaries(ctx, true, "port")
	if err != nil || len(sums) != 3 || sums[0].ExposedEntities != 1 {
		t.Errorf("summaries for the port sector: %+v %v", sums, err)
	}

	// A second appliance: 7.4.5 is below 7.4.8 (0496) and 7.4.9 (1084)
	// and in "toutes versions … 7.4.x" (0871); sent to the hook once.
	if _, err := a.AddAssets(ctx, port.ID, []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu gare maritime"}}, "asset_add", by); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	wantNew := []string{
		"CERTFR-2025-AVI-0496|Port de Lorient|équipements déclarés|FortiGate|7.4.5|7.4.8|certain",
		"CERTFR-2025-AVI-0871|Port de Lorient|équipements déclarés|FortiGate|7.4.5||certain",
		"CERTFR-2025-AVI-1084|Port de Lorient|équipements déclarés|FortiGate|7.4.5|7.4.9|certain",
	}
	if got := hook.take(); fmt.Sprint(got) != fmt.Sprint(wantNew) {
		t.Errorf("hook after the second appliance:\n got %q\nwant %q", got, wantNew)
	}
	if _, err := m.Refresh(ctx); err != nil || len(hook.take()) != 0 {
		t.Errorf("an unchanged entity matched again: %v", err)
	}
	if n := len(m.Exposures(app.ExposureFilter{EntityID: port.ID})); n != 6 {
		t.Errorf("%d exposures with both appliances, want 6", n)
	}

	// Deleted: the entity leaves the lists.
	assets, err := a.EntityAssets(ctx, port.ID)
	if err != nil || len(assets) != 2 {
		t.Fatalf("assets %+v %v", assets, err)
	}
	for _, x := range assets {
		if err := a.DeleteAsset(ctx, port.ID, x.ID, by); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := m.Exposures(app.ExposureFilter{EntityID: port.ID}); len(got) != 0 {
		t.Errorf("exposures after the assets were deleted: %q", exposureKeys(got))
	}
}
