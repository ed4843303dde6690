package match

import (
	"fmt"
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory"
)

// TestMicrosoftServerProducts: entries of real advisories on products
// installed on town-hall and hospital servers (texts copied from the
// CERT-FR documents named), against a Windows Server 2019 running them and
// a Windows 10 22H2 workstation: the ODBC driver "sur Windows" line only
// (not "sur Linux"), PowerShell 7.4 by its branch and not 7.5's fix, the
// OLE DB driver 18 written 18.7.0004.0 in the advisory, and a Windows 10
// line given with 21H2's base build (same cumulative update).
func TestMicrosoftServerProducts(t *testing.T) {
	tab := table(t)
	docs := []*advisory.Document{
		{Reference: "CERTFR-2024-AVI-0289", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"Microsoft ODBC Driver 17 pour SQL Server sur Windows versions antérieures à 17.10.6.1",
			"Microsoft ODBC Driver 18 pour SQL Server sur Windows versions antérieures à 18.3.3.1")},
		{Reference: "CERTFR-2024-AVI-0292", Title: "Multiples vulnérabilités dans Microsoft SQL Server", AffectedSystems: microsoftLines(
			"Microsoft ODBC Driver 17 pour SQL Server sur Linux versions antérieures à 17.10.6.1")},
		{Reference: "CERTFR-2024-AVI-0560", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"Microsoft OLE DB Driver 18 pour SQL Server versions antérieures à 18.7.0004.0")},
		{Reference: "CERTFR-2025-AVI-0882", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"PowerShell 7.4 versions antérieures à 7.4.13", "PowerShell 7.5 versions antérieures à 7.5.4")},
		{Reference: "CERTFR-2025-AVI-0804", Title: "Multiples vulnérabilités dans Microsoft Windows", AffectedSystems: microsoftLines(
			"Windows 10 Version 22H2 pour systèmes x64 versions antérieures à 10.0.19044.6332")},
	}
	const win = "windows-registry"
	sw := func(name, ver string) Software {
		return Software{Name: name, Version: ver, Publisher: "Microsoft Corporation", Source: win, Arch: "x64"}
	}
	invs := []*Inventory{
		{Host: "srv-sql", Entity: "Centre hospitalier de Paimpol", Facts: Facts{OS: "windows", OSBuild: "10.0.17763.7792",
			OSRelease: "1809", OSEdition: "ServerStandard", OSInstallation: "Server", Arch: "amd64"},
			Software: []Software{
				sw("Microsoft ODBC Driver 17 for SQL Server", "17.10.5.1"),
				sw("Microsoft ODBC Driver 18 for SQL Server", "18.3.3.1"), // the fixed one
				sw("Microsoft OLE DB Driver for SQL Server", "18.7.2.0"),
				sw("PowerShell 7-x64", "7.4.12.0"),
			}},
		{Host: "pc-accueil", Entity: "Mairie de Trébeurden", Facts: Facts{OS: "windows", OSBuild: "10.0.19045.6216",
			OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client", Arch: "amd64"},
			Software: []Software{sw("PowerShell 7-x64", "7.5.4.0")}},
	}
	got := exposuresOf(t, tab, docs, invs)
	want := []string{
		"pc-accueil|CERTFR-2025-AVI-0804|Windows 10 Version 22H2|10.0.19045.6216|10.0.19045.6332|certain",
		"srv-sql|CERTFR-2024-AVI-0289|Microsoft ODBC Driver 17 for SQL Server|17.10.5.1|17.10.6.1|certain",
		"srv-sql|CERTFR-2024-AVI-0560|Microsoft OLE DB Driver for SQL Server|18.7.2.0|18.7.0004.0|certain",
		"srv-sql|CERTFR-2025-AVI-0882|PowerShell 7-x64|7.4.12.0|7.4.13|certain",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exposures:\n got %q\nwant %q", got, want)
	}
}
