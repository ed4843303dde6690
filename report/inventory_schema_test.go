package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestInventoryMatchesSchema: a scorecard with every inventory field of
// issue 15 (host facts, software with source packages and product line,
// software_sha256, declared assets) is valid against the published schema,
// and the schema refuses a malformed hash and an asset without vendor.
func TestInventoryMatchesSchema(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	data, err := os.ReadFile(filepath.Join("..", "testdata", "report", "scorecard.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	sc.Host.OSBuild, sc.Host.OSRelease, sc.Host.OSEdition, sc.Host.OSInstallation = "10.0.14393.7606", "1607", "ServerStandard", "Server Core"
	sc.Host.OSCodename, sc.Host.KernelPackageVersion = "bookworm", "6.1.153-1"
	sc.Software = []protocol.Package{
		{Name: "linux-image-6.1.0-41-amd64", Version: "6.1.158-1", Source: protocol.SourceDpkg, Arch: "amd64", SourcePackage: "linux-signed-amd64", SourceVersion: "6.1.158+1"},
		{Name: "Microsoft Office Professionnel Plus 2016", Version: "16.0.5487.1000", Source: protocol.SourceWindowsRegistry, Arch: "x86", Publisher: "Microsoft Corporation", ProductLine: "2016"},
	}
	sc.SoftwareSHA256 = protocol.SoftwareSHA256(sc.Software)
	sc.Assets = []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "Pare-feu"}}
	out, err := sc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(s, out); err != nil {
		t.Fatalf("scorecard with an inventory does not match the schema: %v", err)
	}
	back, err := protocol.Decode(out)
	if err != nil || back.Host.KernelPackageVersion != "6.1.153-1" || back.Software[1].ProductLine != "2016" || len(back.Assets) != 1 {
		t.Fatalf("round trip: %v", err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"uppercase hash":       func(m map[string]any) { m["software_sha256"] = "ABC" },
		"asset without vendor": func(m map[string]any) { m["assets"] = []any{map[string]any{"product": "FortiGate"}} },
		"package without name": func(m map[string]any) { m["software"] = []any{map[string]any{"version": "1"}} },
	} {
		var m map[string]any
		json.Unmarshal(out, &m)
		mutate(m)
		bad, _ := json.Marshal(m)
		if validate(s, bad) == nil {
			t.Errorf("schema accepted %s", name)
		}
	}
}
