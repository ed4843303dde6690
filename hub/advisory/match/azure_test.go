package match

import (
	"fmt"
	"sort"
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory"
)

// TestAzureLinuxPackages: Azure Linux and CBL-Mariner entries of real
// advisories (texts copied from the CERT-FR documents named) against an
// AKS node on Azure Linux 3.0, a CBL-Mariner 2.0 VM and a Rocky Linux
// server with the same packages. Traps: the affected build installed with
// its distribution tag (1.25.3-1.azl3) is affected, certain — "up to and
// including" — and the tag does not make it newer; an older build is
// affected, probable (it may predate the flaw); the fixed build (3.4.1-2.cm2) is
// not; a 2.0 entry does not reach a 3.0 host; another RPM distribution is
// never reached; the kernel is probable (the running kernel is unknown);
// a line naming only the release is a count of hosts, not an exposure.
func TestAzureLinuxPackages(t *testing.T) {
	tab := table(t)
	docs := []*advisory.Document{
		{Reference: "CERTFR-2025-AVI-0966", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"azl3 golang 1.25.3-1")},
		{Reference: "CERTFR-2025-AVI-1064", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"cbl2 rsync versions antérieures à 3.4.1-2")},
		{Reference: "CERTFR-2025-AVI-0899", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"cbl2 kernel 5.15.186.1-1", "cbl2 redis 6.2.18-3 versions antérieures à 6.2.20-1")},
		{Reference: "CERTFR-2024-AVI-0024", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"CBL Mariner 2.0 x64")},
	}
	rpm := func(name, ver, src, srcVer string) Software {
		return Software{Name: name, Version: ver, Source: "rpm", Arch: "x86_64", SourcePackage: src, SourceVersion: srcVer}
	}
	invs := []*Inventory{
		{Host: "aks-node-1", Entity: "Centre hospitalier de Lannion", Facts: Facts{OS: "azurelinux", OSRelease: "3.0", Arch: "amd64"},
			Software: []Software{
				rpm("golang", "1.25.3-1.azl3", "golang", "1.25.3-1.azl3"),
				rpm("rsync", "3.2.7-2.azl3", "rsync", "3.2.7-2.azl3"), // a 2.0 entry
			}},
		{Host: "aks-node-2", Entity: "Centre hospitalier de Lannion", Facts: Facts{OS: "azurelinux", OSRelease: "3.0", Arch: "amd64"},
			Software: []Software{rpm("golang", "1.25.4-1.azl3", "golang", "1.25.4-1.azl3")}},
		{Host: "aks-node-3", Entity: "Centre hospitalier de Lannion", Facts: Facts{OS: "azurelinux", OSRelease: "3.0.20250910", Arch: "amd64"},
			Software: []Software{rpm("golang", "1.24.6-2.azl3", "golang", "1.24.6-2.azl3")}},
		{Host: "vm-mariner", Entity: "Port de Brest", Facts: Facts{OS: "mariner", OSRelease: "2.0", Arch: "amd64"},
			Software: []Software{
				rpm("rsync", "3.2.7-2.cm2", "rsync", "3.2.7-2.cm2"),
				rpm("kernel", "5.15.186.1-1.cm2", "kernel", "5.15.186.1-1.cm2"),
				rpm("kernel-tools", "5.15.186.1-1.cm2", "kernel", "5.15.186.1-1.cm2"),
				rpm("redis", "6.2.20-1.cm2", "redis", "6.2.20-1.cm2"), // the fix
			}},
		{Host: "vm-mariner-2", Entity: "Port de Brest", Facts: Facts{OS: "mariner", OSRelease: "2.0", Arch: "amd64"},
			Software: []Software{rpm("rsync", "3.4.1-2.cm2", "rsync", "3.4.1-2.cm2")}},
		{Host: "srv-rocky", Entity: "Mairie de Morlaix", Facts: Facts{OS: "rocky", PlatformFamily: "rhel", OSRelease: "9.4", Arch: "amd64"},
			Software: []Software{rpm("rsync", "3.2.3-19.el9", "rsync", "3.2.3-19.el9"), rpm("golang", "1.22.7-2.el9_5", "golang", "1.22.7-2.el9_5")}},
	}
	want := []string{
		"aks-node-1|CERTFR-2025-AVI-0966|golang|1.25.3-1||certain",
		"aks-node-3|CERTFR-2025-AVI-0966|golang|1.24.6-2||probable",
		"vm-mariner|CERTFR-2025-AVI-0899|kernel|5.15.186.1-1||probable",
		"vm-mariner|CERTFR-2025-AVI-1064|rsync|3.2.7-2|3.4.1-2|certain",
	}
	for _, order := range []string{"advisories first", "inventories first"} {
		r := NewRegion(tab)
		var got []string
		add := func(xs []Exposure) {
			for _, e := range xs {
				got = append(got, exposureLine(e))
			}
		}
		var compiled []*Advisory
		for _, d := range docs {
			a := Compile(d, tab)
			if len(a.Review) != 0 {
				t.Fatalf("%s: review %+v", d.Reference, a.Review)
			}
			compiled = append(compiled, a)
		}
		if order == "inventories first" {
			for _, inv := range invs {
				r.Put(inv)
			}
			for _, a := range compiled {
				add(r.PutAdvisory(a))
			}
		} else {
			for _, a := range compiled {
				r.PutAdvisory(a)
			}
			for _, inv := range invs {
				add(r.Put(inv))
			}
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %q\nwant %q", order, got, want)
		}
		rc := r.ReleaseCounts(compiled[3])
		if len(rc) != 1 || rc[0].Release != "2.0" || rc[0].Hosts != 2 {
			t.Errorf("%s: CBL Mariner 2.0 release count %+v, want 2 hosts", order, rc)
		}
	}
}
