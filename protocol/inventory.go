package protocol

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Package is one installed piece of software, in the terms security
// advisories use (CERT-FR, distributions' trackers): an issue 16 hub matches
// it against them. Fields are only ever added (STYLE.md rule 12).
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source is where the entry was read: SourceWindowsRegistry,
	// SourceDpkg, SourceRpm.
	Source string `json:"source,omitempty"`
	// Arch is the package's architecture: amd64, i386, all (dpkg);
	// x86_64, noarch (rpm); x64, x86 (Windows, from the registry view).
	Arch string `json:"arch,omitempty"`
	// Publisher is the Windows Uninstall entry's Publisher.
	Publisher string `json:"publisher,omitempty"`
	// SourcePackage and SourceVersion are the distribution's source
	// package (dpkg's Source, rpm's SRPM): `linux` for
	// linux-image-6.1.0-40-amd64. Distribution advisories name these.
	SourcePackage string `json:"source_package,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	// ProductLine is a product's support line where the name alone does
	// not say it: Office "2016", "2019", "LTSC 2021", "LTSC 2024", "365".
	ProductLine string `json:"product_line,omitempty"`
}

// Package sources.
const (
	SourceWindowsRegistry = "windows-registry"
	SourceDpkg            = "dpkg"
	SourceRpm             = "rpm"
)

// Asset is an appliance no agent runs on (firewall, VPN gateway, NAS,
// hypervisor), declared in the agent's configuration ([[assets]]) and
// matched against advisories like installed software.
type Asset struct {
	Vendor  string `json:"vendor"`            // Fortinet
	Product string `json:"product"`           // FortiGate
	Version string `json:"version,omitempty"` // 7.4.5
	Name    string `json:"name,omitempty"`    // pare-feu mairie
}

// MaxAssets bounds the declared assets one scorecard carries.
const MaxAssets = 1000

// InventoryRefresh is how often an agent sends its full inventory even
// when it has not changed, so that a hub that lost it gets it back.
const InventoryRefresh = 7 * 24 * time.Hour

// ComparePackages orders packages by name, version, architecture, source,
// then the other fields: the order of a scorecard's software and of
// SoftwareSHA256's canonical form.
func ComparePackages(a, b Package) int {
	return cmp.Or(
		cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version),
		cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.Source, b.Source),
		cmp.Compare(a.Publisher, b.Publisher),
		cmp.Compare(a.SourcePackage, b.SourcePackage), cmp.Compare(a.SourceVersion, b.SourceVersion),
		cmp.Compare(a.ProductLine, b.ProductLine),
	)
}

// SortPackages sorts pkgs by ComparePackages and drops exact duplicates
// (the same per-user install in two profiles).
func SortPackages(pkgs []Package) []Package {
	slices.SortFunc(pkgs, ComparePackages)
	return slices.Compact(pkgs)
}

// CanonicalSoftware returns the canonical form of an inventory: the compact
// JSON array of its packages sorted and without duplicates (SortPackages),
// each object with the fields in the order of Package, empty ones left out,
// strings escaped as encoding/json does without HTML escaping. The order
// the packages are given in does not change it. The agent hashes it
// (SoftwareSHA256) and the hub, which keeps each distinct inventory once,
// stores it and checks the name an agent gave against it.
func CanonicalSoftware(pkgs []Package) []byte {
	sorted := SortPackages(slices.Clone(pkgs))
	if sorted == nil {
		sorted = []Package{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(sorted) // cannot fail: strings only
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// SoftwareSHA256 names an inventory: the lowercase hex SHA-256 of its
// canonical form (CanonicalSoftware). docs/protocol.md states the same rule.
func SoftwareSHA256(pkgs []Package) string {
	return HashCanonical(CanonicalSoftware(pkgs))
}

// HashCanonical is the lowercase hex SHA-256 of an inventory's canonical
// form, for a caller that already holds it.
func HashCanonical(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
