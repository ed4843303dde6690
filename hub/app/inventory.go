package app

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Software inventories as the host page and the export show them.

// Change is one difference between a host's previous inventory and the
// current one.
type Change struct {
	Kind       string // ChangeAdded, ChangeRemoved, ChangeVersion
	Name, Arch string
	Old, New   string // versions: Old empty when added, New when removed
}

// Kinds of change.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeVersion = "version"
)

// Software is a host's inventory for its page.
type Software struct {
	store.HostInventory
	Changes []Change // since Previous, by name; nil without a previous one
}

// HostSoftware returns the inventory of the agent's scorecard id (its
// current one when id is empty) and what changed since the previous one.
// Errors: store.ErrNotFound.
func (a *App) HostSoftware(ctx context.Context, agentID, id string) (Software, error) {
	hi, err := a.cfg.Store.HostInventory(ctx, agentID, id)
	if err != nil {
		return Software{}, err
	}
	sw := Software{HostInventory: hi}
	if hi.Current != nil && hi.Previous != nil {
		sw.Changes = Diff(hi.Previous.Packages, hi.Current.Packages)
	}
	return sw, nil
}

// Diff lists what changed from old to new, a package being the same when
// its name, architecture and source are: a version changed when it had one
// version before and one after; otherwise (rpm keeps several kernels under
// one name) each version gone is removed and each version come is added.
func Diff(old, new []protocol.Package) []Change {
	type key struct{ name, arch, source string }
	versions := func(pkgs []protocol.Package) map[key][]string {
		m := map[key][]string{}
		for _, p := range pkgs {
			k := key{p.Name, p.Arch, p.Source}
			if !slices.Contains(m[k], p.Version) {
				m[k] = append(m[k], p.Version)
			}
		}
		return m
	}
	before, after := versions(old), versions(new)
	var out []Change
	for k, ov := range before {
		nv, ok := after[k]
		switch {
		case !ok:
			for _, v := range ov {
				out = append(out, Change{Kind: ChangeRemoved, Name: k.name, Arch: k.arch, Old: v})
			}
		case len(ov) == 1 && len(nv) == 1:
			if ov[0] != nv[0] {
				out = append(out, Change{Kind: ChangeVersion, Name: k.name, Arch: k.arch, Old: ov[0], New: nv[0]})
			}
		default:
			for _, v := range ov {
				if !slices.Contains(nv, v) {
					out = append(out, Change{Kind: ChangeRemoved, Name: k.name, Arch: k.arch, Old: v})
				}
			}
			for _, v := range nv {
				if !slices.Contains(ov, v) {
					out = append(out, Change{Kind: ChangeAdded, Name: k.name, Arch: k.arch, New: v})
				}
			}
		}
	}
	for k, nv := range after {
		if _, ok := before[k]; !ok {
			for _, v := range nv {
				out = append(out, Change{Kind: ChangeAdded, Name: k.name, Arch: k.arch, New: v})
			}
		}
	}
	slices.SortFunc(out, func(x, y Change) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Arch, y.Arch), strings.Compare(x.Kind, y.Kind),
			strings.Compare(x.Old, y.Old), strings.Compare(x.New, y.New))
	})
	return out
}

// FilterPackages keeps the packages whose name, publisher or source
// package contains q, ignoring case.
func FilterPackages(pkgs []protocol.Package, q string) []protocol.Package {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return pkgs
	}
	var out []protocol.Package
	for _, p := range pkgs {
		if strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Publisher), q) || strings.Contains(strings.ToLower(p.SourcePackage), q) {
			out = append(out, p)
		}
	}
	return out
}

// SortPackages sorts pkgs in place by "name" (the default) or "version"
// (numbers compared as numbers: 1.10 after 1.9), descending when desc.
func SortPackages(pkgs []protocol.Package, by string, desc bool) {
	slices.SortStableFunc(pkgs, func(x, y protocol.Package) int {
		var c int
		if by == "version" {
			c = cmp.Or(CompareVersions(x.Version, y.Version), strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)))
		} else {
			c = cmp.Or(strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)), CompareVersions(x.Version, y.Version))
		}
		if desc {
			return -c
		}
		return c
	})
}

// CompareVersions orders version strings for display: runs of digits
// compare as numbers, the rest as text. It is not any package manager's
// rule (those differ), only a readable order.
func CompareVersions(a, b string) int {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		da, db := unicode.IsDigit(rune(ra[0])), unicode.IsDigit(rune(rb[0]))
		var c int
		switch {
		case da && db:
			x, y := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			c = cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y))
		case da != db:
			c = map[bool]int{true: 1, false: -1}[da] // digits after text
		default:
			c = strings.Compare(ra, rb)
		}
		if c != 0 {
			return c
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return cmp.Compare(len(a), len(b))
}

// run is the leading run of digits or of non-digits of s (not empty).
func run(s string) string {
	d := s[0] >= '0' && s[0] <= '9'
	i := 1
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') == d {
		i++
	}
	return s[:i]
}

// InventoryHost is one host in an entity's inventory export.
type InventoryHost struct {
	Hostname string `json:"hostname"`
	AgentID  string `json:"agent_id"`
	Revoked  bool   `json:"revoked,omitempty"`
	SHA256   string `json:"software_sha256,omitempty"`
	// Since is when the hub first received this inventory, from this host
	// or another with the same software (inventories are kept once).
	Since    *time.Time         `json:"known_since,omitempty"`
	Software []protocol.Package `json:"software"`
}

// InventoryExport is an entity's software and declared appliances.
type InventoryExport struct {
	At     time.Time             `json:"exported_at"`
	Entity string                `json:"entity"`
	Hosts  []InventoryHost       `json:"hosts"`
	Assets []store.DeclaredAsset `json:"-"`
}

// ErrUnknownEntity is an export asked for an entity the hub does not know.
var ErrUnknownEntity = errors.New("entité inconnue")

// EntityInventory returns the inventory export of the entity named name
// (compared exactly, ignoring case), audited as exported by by in format.
// Errors: ErrUnknownEntity.
func (a *App) EntityInventory(ctx context.Context, name, format, by string) (InventoryExport, error) {
	st := a.cfg.Store
	es, err := st.Entities(ctx)
	if err != nil {
		return InventoryExport{}, err
	}
	var e *store.Entity
	for i := range es {
		if strings.EqualFold(es[i].Name, strings.TrimSpace(name)) {
			e = &es[i]
			break
		}
	}
	if e == nil {
		return InventoryExport{}, fmt.Errorf("%w : %q (nom exact attendu, majuscules indifférentes)", ErrUnknownEntity, name)
	}
	rows, err := st.Hosts(ctx, store.HostFilter{EntityID: e.ID, IncludeRevoked: true})
	if err != nil {
		return InventoryExport{}, err
	}
	x := InventoryExport{At: a.cfg.Now(), Entity: e.Name, Hosts: []InventoryHost{}}
	for _, r := range rows {
		h := InventoryHost{Hostname: r.Agent.Hostname, AgentID: r.Agent.ID, Revoked: r.Agent.Revoked(), Software: []protocol.Package{}}
		hi, err := st.HostInventory(ctx, r.Agent.ID, "")
		if err != nil {
			return x, err
		}
		if c := hi.Current; c != nil {
			at := c.CreatedAt
			h.SHA256, h.Since, h.Software = c.SHA256, &at, c.Packages
		}
		x.Hosts = append(x.Hosts, h)
	}
	if x.Assets, err = st.DeclaredAssets(ctx, e.ID); err != nil {
		return x, err
	}
	a.Record(ctx, by, "export_inventory", e.Name, format)
	return x, nil
}

type assetJSON struct {
	protocol.Asset
	DeclaredBy string `json:"declared_by"` // "agent" or the adviser's address
	Hostname   string `json:"hostname,omitempty"`
	AgentID    string `json:"agent_id,omitempty"`
}

// WriteJSON writes the export as one JSON document.
func (x InventoryExport) WriteJSON(w io.Writer) error {
	assets := []assetJSON{}
	for _, d := range x.Assets {
		j := assetJSON{Asset: d.Asset, DeclaredBy: d.CreatedBy, Hostname: d.Host, AgentID: d.AgentID}
		if d.AgentID != "" {
			j.DeclaredBy = "agent"
		}
		assets = append(assets, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		InventoryExport
		Assets []assetJSON `json:"assets"`
	}{x, assets})
}

// WriteCSV writes the export as CSV, one row per package or appliance (a
// BOM, formulas defused, as the hosts' export).
func (x InventoryExport) WriteCSV(w io.Writer) error {
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"entity", "kind", "hostname", "agent_id", "name", "version", "arch", "source", "publisher", "source_package", "source_version", "product_line", "vendor", "product", "declared_by"})
	for _, h := range x.Hosts {
		for _, p := range h.Software {
			cw.Write([]string{csvSafe(x.Entity), "package", csvSafe(h.Hostname), h.AgentID, csvSafe(p.Name), csvSafe(p.Version), csvSafe(p.Arch), csvSafe(p.Source),
				csvSafe(p.Publisher), csvSafe(p.SourcePackage), csvSafe(p.SourceVersion), csvSafe(p.ProductLine), "", "", ""})
		}
	}
	for _, d := range x.Assets {
		by := d.CreatedBy
		if d.AgentID != "" {
			by = "agent"
		}
		cw.Write([]string{csvSafe(x.Entity), "asset", csvSafe(d.Host), d.AgentID, csvSafe(d.Name), csvSafe(d.Version), "", "", "", "", "", "", csvSafe(d.Vendor), csvSafe(d.Product), csvSafe(by)})
	}
	cw.Flush()
	return cw.Error()
}
