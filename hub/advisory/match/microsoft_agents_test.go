package match

import (
	"fmt"
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory"
)

// TestMicrosoftServerAgents: entries of real advisories (texts copied from
// the CERT-FR documents named) on server software and agents of hospitals
// and town halls, against a Windows Server 2022 running them. Traps: SCOM
// 2019's entry does not reach SCOM 2022's console (the installed name must
// carry the line's year); patched-by-MSP products are probable; the v14
// redistributable at the fixed installer's version is not exposed, the
// 2013 one (v12) is another product; the Azure Monitor Agent at the fixed
// version is not exposed, an older Linux package is (probable: a
// distribution package).
func TestMicrosoftServerAgents(t *testing.T) {
	tab := table(t)
	docs := []*advisory.Document{
		{Reference: "CERTFR-2024-AVI-1070", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"System Center Operations Manager (SCOM) 2019 versions antérieures à 10.19.10652.0",
			"System Center Operations Manager (SCOM) 2022 versions antérieures à 10.22.10684.0")},
		{Reference: "CERTFR-2024-AVI-0857", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"Visual C++ Redistributable Installer versions antérieures à 14.40.33816")},
		{Reference: "CERTFR-2025-AVI-0881", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"Azure Monitor Agent versions antérieures à 1.38.1.0")},
		{Reference: "CERTFR-2025-AVI-0689", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"Microsoft Dynamics 365 (on-premises) version 9.1 antérieures à 9.1.39")},
		{Reference: "CERTFR-2025-AVI-0195", Title: "Multiples vulnérabilités dans les produits Microsoft", AffectedSystems: microsoftLines(
			"Azure Agent pour Backup versions antérieures à 2.0.9940.0")},
	}
	sw := func(name, ver, arch string) Software {
		return Software{Name: name, Version: ver, Publisher: "Microsoft Corporation", Source: "windows-registry", Arch: arch}
	}
	invs := []*Inventory{
		{Host: "srv-supervision", Entity: "Centre hospitalier de Guingamp", Facts: Facts{OS: "windows", OSBuild: "10.0.20348.4171",
			OSRelease: "21H2", OSEdition: "ServerStandard", OSInstallation: "Server", Arch: "amd64"},
			Software: []Software{
				sw("System Center Operations Manager 2022 Console", "10.22.10610.0", "x64"),
				sw("Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.40.33816", "14.40.33816.0", "x64"),
				sw("Microsoft Visual C++ 2015-2019 Redistributable (x86) - 14.29.30133", "14.29.30133.0", "x86"),
				sw("Microsoft Visual C++ 2013 Redistributable (x64) - 12.0.40664", "12.0.40664.0", "x64"),
				sw("Azure Monitor Agent", "1.38.1.0", "x64"),
				sw("Microsoft Dynamics 365 Server", "9.1.0.28009", "x64"),
				sw("Microsoft Azure Recovery Services Agent", "2.0.9915.0", "x64"),
			}},
		{Host: "srv-log", Entity: "Centre hospitalier de Guingamp", Facts: Facts{OS: "debian", OSCodename: "bookworm", OSRelease: "12"},
			Software: []Software{{Name: "azuremonitoragent", Version: "1.35.9-1045", Source: "dpkg", Arch: "amd64", SourcePackage: "azuremonitoragent"}}},
	}
	got := exposuresOf(t, tab, docs, invs)
	want := []string{
		"srv-log|CERTFR-2025-AVI-0881|azuremonitoragent|1.35.9-1045|1.38.1.0|probable",
		"srv-supervision|CERTFR-2024-AVI-0857|Microsoft Visual C++ 2015-2019 Redistributable (x86) - 14.29.30133|14.29.30133.0|14.40.33816|certain",
		"srv-supervision|CERTFR-2024-AVI-1070|System Center Operations Manager 2022 Console|10.22.10610.0|10.22.10684.0|probable",
		"srv-supervision|CERTFR-2025-AVI-0195|Microsoft Azure Recovery Services Agent|2.0.9915.0|2.0.9940.0|certain",
		"srv-supervision|CERTFR-2025-AVI-0689|Microsoft Dynamics 365 Server|9.1.0.28009|9.1.39|probable",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exposures:\n got %q\nwant %q", got, want)
	}
}
