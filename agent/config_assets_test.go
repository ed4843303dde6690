package agent

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/protocol"
)

func TestConfigAssets(t *testing.T) {
	t.Parallel()
	src := `sector = "commune"

[[assets]]
vendor = "Fortinet"
product = "FortiGate"
version = "7.4.5"
name = "Pare-feu de la mairie"

[[assets]]
vendor = " Synology "
product = "DiskStation Manager"
version = "7.2.2-72806"

[schedule]
interval = "24h"
`
	c, err := ParseConfig("f", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.Asset{
		{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "Pare-feu de la mairie"},
		{Vendor: "Synology", Product: "DiskStation Manager", Version: "7.2.2-72806"},
	}
	if diff := cmp.Diff(want, c.DeclaredAssets()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c, err := ParseConfig("f", []byte("sector = \"port\"\n")); err != nil || c.DeclaredAssets() != nil {
		t.Errorf("no [[assets]]: %v, %v", c.DeclaredAssets(), err)
	}
}

func TestConfigAssetsErrors(t *testing.T) {
	t.Parallel()
	fg := "[[assets]]\nvendor = \"Fortinet\"\nproduct = \"FortiGate\"\n"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"no vendor", "sector = \"port\"\n\n[[assets]]\nproduct = \"FortiGate\"\n", "f:3: assets[1].vendor : éditeur manquant"},
		{"no product", fg + "\n[[assets]]\nvendor = \"QNAP\"\nversion = \"5.2\"\n", "f:5: assets[2].product : produit manquant"},
		{"blank vendor", "[[assets]]\nvendor = \"  \"\nproduct = \"x\"\n", "f:2: assets[1].vendor : éditeur manquant"},
		{"control character", fg + "version = \"7.4\\u001b[2J\"\n", "f:4: assets[1].version : caractères de contrôle"},
		{"line break", fg + "name = \"a\\nb\"\n", "f:4: assets[1].name : caractères de contrôle"},
		{"version too long", fg + "version = \"" + strings.Repeat("7", 65) + "\"\n", "f:4: assets[1].version : trop long"},
		{"duplicate", fg + "\n" + fg, "f:6: assets[2].vendor : équipement déjà déclaré (entrée 1)"},
		{"unknown key", fg + "modele = \"60F\"\n", "f:4: assets.modele : clé inconnue"},
		{"wrong type", "[[assets]]\nvendor = \"Fortinet\"\nproduct = \"FortiGate\"\nversion = 7.4\n", "f:4: assets.version : type incorrect"},
		{"not a table array", "assets = \"FortiGate\"\n", "f:1: assets : type incorrect"},
	} {
		_, err := ParseConfig("f", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	var b strings.Builder
	for i := 0; i <= protocol.MaxAssets; i++ {
		fmt.Fprintf(&b, "[[assets]]\nvendor = \"V\"\nproduct = \"P\"\nname = \"%d\"\n", i)
	}
	if _, err := ParseConfig("f", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "1001 équipements déclarés, 1000 au plus") {
		t.Errorf("too many assets: %v", err)
	}
}
