package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigie-cyber/vigie/protocol"
)

// AssetConfig is one [[assets]] entry: an appliance no agent can run on
// (firewall, VPN gateway, NAS, hypervisor), declared by the IT staff so
// that advisories on it reach the entity:
//
//	[[assets]]
//	vendor = "Fortinet"
//	product = "FortiGate"
//	version = "7.4.5"
//	name = "Pare-feu de la mairie"
type AssetConfig struct {
	Vendor  string `toml:"vendor"`
	Product string `toml:"product"`
	Version string `toml:"version"`
	Name    string `toml:"name"`
}

// Asset bounds (the hub shows and matches these values).
const (
	maxAssetField   = 100
	maxAssetVersion = 64
	maxAssetName    = 200
)

// validateAssets checks each [[assets]] entry: vendor and product are
// required, every value is one line of printable text within its bound, and
// no entry is declared twice. Errors name the entry's line.
func (c *Config) validateAssets(name string, src []byte) error {
	if len(c.Assets) > protocol.MaxAssets {
		return &ConfigError{name, assetLine(src, protocol.MaxAssets, ""), "assets",
			fmt.Sprintf("%d équipements déclarés, %d au plus", len(c.Assets), protocol.MaxAssets)}
	}
	seen := map[AssetConfig]int{}
	for i := range c.Assets {
		a := &c.Assets[i]
		bad := func(key, msg string) error {
			return &ConfigError{name, assetLine(src, i, key), fmt.Sprintf("assets[%d].%s", i+1, key), msg}
		}
		for _, f := range []struct {
			key string
			v   *string
			max int
		}{{"vendor", &a.Vendor, maxAssetField}, {"product", &a.Product, maxAssetField},
			{"version", &a.Version, maxAssetVersion}, {"name", &a.Name, maxAssetName}} {
			*f.v = strings.TrimSpace(*f.v)
			switch {
			case !utf8.ValidString(*f.v) || strings.ContainsFunc(*f.v, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }):
				return bad(f.key, "caractères de contrôle ou texte illisible")
			case len(*f.v) > f.max:
				return bad(f.key, fmt.Sprintf("trop long (%d octets au plus)", f.max))
			}
		}
		if a.Vendor == "" {
			return bad("vendor", `éditeur manquant (exemple : vendor = "Fortinet")`)
		}
		if a.Product == "" {
			return bad("product", `produit manquant (exemple : product = "FortiGate")`)
		}
		if j, dup := seen[*a]; dup {
			return bad("vendor", fmt.Sprintf("équipement déjà déclaré (entrée %d) ; donnez-leur un nom (name) différent", j+1))
		}
		seen[*a] = i
	}
	return nil
}

// DeclaredAssets returns the declared assets as the scorecard carries them.
func (c *Config) DeclaredAssets() []protocol.Asset {
	if len(c.Assets) == 0 {
		return nil
	}
	out := make([]protocol.Asset, len(c.Assets))
	for i, a := range c.Assets {
		out[i] = protocol.Asset{Vendor: a.Vendor, Product: a.Product, Version: a.Version, Name: a.Name}
	}
	return out
}

// assetLine finds the line of key in the i-th (0-based) [[assets]] table,
// or of the table's header when key is "" or not written there; 0 when
// there is no such table.
func assetLine(src []byte, i int, key string) int {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), MaxConfigSize)
	n, header, in := -1, 0, false
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(t, "[") {
			in = false
			if strings.ReplaceAll(strings.SplitN(t, "#", 2)[0], " ", "") == "[[assets]]" {
				n++
				if n == i {
					header, in = line, true
				} else if n > i {
					break
				}
			}
			continue
		}
		if in && key != "" {
			if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"`) == key {
				return line
			}
		}
	}
	return header
}
