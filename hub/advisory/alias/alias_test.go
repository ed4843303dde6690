package alias

import (
	"strings"
	"testing"
)

func tab(t *testing.T) *Table {
	t.Helper()
	tb, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func id(tb *Table, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, tb.Products[i].ID)
	}
	return out
}

// Advisory lines (from real CERT-FR entries) resolve to their own product
// and never to a neighbour's.
func TestLines(t *testing.T) {
	tb := tab(t)
	cases := []struct{ vendor, line, want string }{
		{"Mozilla", "Firefox", "mozilla/firefox"},
		{"Mozilla", "Mozilla Firefox", "mozilla/firefox"},
		{"Mozilla", "Firefox ESR", "mozilla/firefox-esr"},
		{"Google", "Google Chrome", "google/chrome"},
		{"Google", "Chrome Extended Stable", "google/chrome-extended"},
		{"Microsoft", "Microsoft Edge", "microsoft/edge"},
		{"Fortinet", "FortiClientWindows", "fortinet/forticlient-windows"},
		{"Fortinet", "FortiClientEMS", "fortinet/forticlientems"},
		{"Fortinet", "FortiClientEMS Cloud", ""},
		{"Fortinet", "FortiOS", "fortinet/fortios"},
		{"Microsoft", "Microsoft Exchange Server 2019 Cumulative Update 14", "microsoft/exchange"},
		{"Microsoft", "Microsoft SQL Server 2019", "microsoft/sql-server"},
		{"Microsoft", "Microsoft SQL Server 20190", ""},
		{"Microsoft", "Azure CycleCloud", ""},
		{"Adobe", "Acrobat Reader 2020", "adobe/acrobat-2020"},
		{"Adobe", "Acrobat Reader DC", "adobe/acrobat-dc"},
		{"Veeam", "Veeam Backup & Replication", "veeam/backup-replication"},
		{"Ivanti", "Ivanti Connect Secure", "ivanti/connect-secure"},
		// Lines the grammar reads from these real entries:
		// CERTFR-2024-AVI-0289 "Microsoft ODBC Driver 17 pour SQL Server sur Windows versions antérieures à 17.10.6.1"
		{"Microsoft", "Microsoft ODBC Driver 17 pour SQL Server", "microsoft/odbc-driver-17"},
		{"Microsoft", "Microsoft ODBC Driver 18 pour SQL Server", "microsoft/odbc-driver-18"},
		// CERTFR-2024-AVI-0560 "Microsoft OLE DB Driver 18 pour SQL Server versions antérieures à 18.7.0004.0"
		{"Microsoft", "Microsoft OLE DB Driver 18 pour SQL Server", "microsoft/oledb-driver-18"},
		{"Microsoft", "Microsoft OLE DB Driver 19 pour SQL Server", "microsoft/oledb-driver-19"},
		// CERTFR-2025-AVI-0882 "PowerShell 7.5 versions antérieures à 7.5.4"
		{"Microsoft", "PowerShell", "microsoft/powershell"},
		// CERTFR-2025-AVI-0291 "SQL Server Management Studio 20.2 versions antérieures à 20.2.37.0"
		{"Microsoft", "SQL Server Management Studio", "microsoft/ssms"},
		// CERTFR-2025-AVI-0314 "Power Automate pour Desktop versions antérieures à 2.51.349.24355"
		{"Microsoft", "Power Automate pour Desktop", "microsoft/power-automate-desktop"},
		// CERTFR-2025-AVI-0881 "Arc Enabled Servers - Azure Connected Machine Agent versions antérieures à 1.56"
		{"Microsoft", "Arc Enabled Servers - Azure Connected Machine Agent", "microsoft/azure-connected-machine-agent"},
		{"Microsoft", "Azure Connected Machine Agent", "microsoft/azure-connected-machine-agent"},
		{"Microsoft", "Azure CLI", "microsoft/azure-cli"},
		{"Microsoft", "Azure Data Studio", "microsoft/azure-data-studio"},
		// CERTFR-2025-AVI-0041 "On-Premises Data Gateway versions antérieures à 3000.246"
		{"Microsoft", "On-Premises Data Gateway", "microsoft/data-gateway"},
		{"Microsoft", "Windows Admin Center", "microsoft/windows-admin-center"},
		{"Microsoft", "Windows Admin Center in Azure Portal", ""}, // a cloud service
		// CERTFR-2025-AVI-0237 "Microsoft Edge Stable versions antérieures à 129.0.2792.52"
		{"Microsoft", "Microsoft Edge Stable", "microsoft/edge"},
		{"Microsoft", "Microsoft 365 Apps", "microsoft/365-apps"},
		// CERTFR-2024-AVI-0855 "Microsoft .NET Framework 3.5 et 4.8.1 versions antérieures à 4.8.1.09277.02"
		{"Microsoft", "Microsoft .NET Framework", "microsoft/dotnet-framework"},
		{"Microsoft", ".NET", "microsoft/dotnet"}, // the runtime is another product
		// CERTFR-2025-AVI-0881 "Azure Monitor Agent versions antérieures à 1.38.1.0"
		{"Microsoft", "Azure Monitor Agent", "microsoft/azure-monitor-agent"},
		// CERTFR-2025-AVI-0689 "Microsoft Dynamics 365 (on-premises) version 9.1 antérieures à 9.1.39"
		{"Microsoft", "Microsoft Dynamics 365", "microsoft/dynamics-365-onprem"},
		{"Microsoft", "Dynamics 365 Sales", ""}, // an online service / mobile app
		// CERTFR-2025-AVI-0291 "Microsoft Dynamics 365 Business Central 2024 Wave 2 – Update 25.6 versions antérieures à 25.6.32556"
		{"Microsoft", "Microsoft Dynamics 365 Business Central 2024 Wave 2 – Update", "microsoft/dynamics-365-business-central"},
		// CERTFR-2024-AVI-1070 "System Center Operations Manager (SCOM) 2019 versions antérieures à 10.19.10652.0"
		{"Microsoft", "System Center Operations Manager 2019", "microsoft/scom"},
		{"Microsoft", "System Center Virtual Machine Manager 2019", ""},
		// CERTFR-2024-AVI-0857 "Microsoft Visual Studio 2015 Update 3 versions antérieures à 14.0.27561.00"
		{"Microsoft", "Microsoft Visual Studio 2015 Update 3", "microsoft/visual-studio-2015"},
		// CERTFR-2024-AVI-0370 "iTunes pour Windows versions antérieures à 12.13.2"
		{"Microsoft", "iTunes", "microsoft/itunes"},
		// CERTFR-2025-AVI-0408 "Build Tools pour Visual Studio 2022 versions antérieures à 17.13.7"
		{"Microsoft", "Build Tools pour Visual Studio 2022", "microsoft/vs-build-tools-2022"},
		// CERTFR-2025-AVI-0195 "Azure Agent pour Backup versions antérieures à 2.0.9940.0"
		{"Microsoft", "Azure Agent pour Backup", "microsoft/azure-backup-mars"},
		// CERTFR-2024-AVI-0857 "Visual C++ Redistributable Installer versions antérieures à 14.40.33816"
		{"Microsoft", "Visual C++ Redistributable Installer", "microsoft/vcredist-14"},
	}
	for _, c := range cases {
		p := tb.Line(c.vendor, c.line)
		got := ""
		if p != nil {
			got = p.ID
		}
		if got != c.want {
			t.Errorf("%s %q -> %q, want %q", c.vendor, c.line, got, c.want)
		}
	}
}

// Installed names as agents report them (registry DisplayName and
// Publisher, dpkg names).
func TestInstalled(t *testing.T) {
	tb := tab(t)
	cases := []struct {
		source, name, publisher, arch, src string
		want                               string
	}{
		{SourceWindows, "Mozilla Firefox (x64 fr)", "Mozilla", "x64", "", "mozilla/firefox"},
		{SourceWindows, "Mozilla Firefox ESR (x64 fr)", "Mozilla", "x64", "", "mozilla/firefox-esr"},
		{SourceWindows, "Mozilla Firefox 115.3.0 ESR (x64 en-US)", "Mozilla", "x64", "", "mozilla/firefox-esr"},
		{SourceWindows, "Mozilla Maintenance Service", "Mozilla", "", "", ""},
		{SourceWindows, "Google Chrome", "Google LLC", "x64", "", "google/chrome google/chrome-extended"},
		{SourceWindows, "Microsoft Edge", "Microsoft Corporation", "", "", "microsoft/edge microsoft/edge-extended"},
		{SourceWindows, "Microsoft Edge WebView2 Runtime", "Microsoft Corporation", "", "", ""},
		{SourceWindows, "FortiClient", "Fortinet Technologies Inc", "x64", "", "fortinet/forticlient-windows"},
		{SourceWindows, "FortiClient Endpoint Management Server", "Fortinet Technologies Inc", "x64", "", "fortinet/forticlientems"},
		{SourceWindows, "FortiClientVPN", "Fortinet Technologies Inc", "x64", "", ""},
		{SourceWindows, "Microsoft Office Professionnel Plus 2016", "Microsoft Corporation", "x86", "", "microsoft/office-2016"},
		{SourceWindows, "Microsoft Office Professional Plus 2019 - fr-fr", "Microsoft Corporation", "x64", "", "microsoft/office-2019"},
		{SourceWindows, "Microsoft 365 Apps for enterprise - fr-fr", "Microsoft Corporation", "x64", "", "microsoft/365-apps"},
		{SourceWindows, "Adobe Acrobat (64-bit)", "Adobe", "x64", "", "adobe/acrobat-dc"},
		{SourceWindows, "Adobe Acrobat Reader 2020", "Adobe Systems Incorporated", "x86", "", "adobe/acrobat-2020"},
		{SourceWindows, "Veeam Backup & Replication Console", "Veeam Software Group GmbH", "x64", "", ""},
		{SourceDpkg, "libssl3", "", "amd64", "openssl", "openssl/openssl"},
		{SourceDpkg, "firefox-esr", "", "amd64", "firefox-esr", "mozilla/firefox-esr"},
		{SourceDpkg, "firefox", "", "amd64", "firefox", "mozilla/firefox"},
		{SourceRPM, "openssl-libs", "", "x86_64", "openssl", "openssl/openssl"},
		// Names as their installers register them; neighbours do not bleed.
		{SourceWindows, "Microsoft ODBC Driver 17 for SQL Server", "Microsoft Corporation", "x64", "", "microsoft/odbc-driver-17"},
		{SourceWindows, "Microsoft ODBC Driver 18 for SQL Server", "Microsoft Corporation", "x64", "", "microsoft/odbc-driver-18"},
		{SourceDpkg, "msodbcsql18", "", "amd64", "msodbcsql18", "microsoft/odbc-driver-18"},
		{SourceWindows, "Microsoft OLE DB Driver for SQL Server", "Microsoft Corporation", "x64", "", "microsoft/oledb-driver-18"},
		{SourceWindows, "Microsoft OLE DB Driver 19 for SQL Server", "Microsoft Corporation", "x64", "", "microsoft/oledb-driver-19"},
		{SourceWindows, "PowerShell 7-x64", "Microsoft Corporation", "x64", "", "microsoft/powershell"},
		{SourceWindows, "Microsoft SQL Server Management Studio - 20.2", "Microsoft Corp.", "x86", "", "microsoft/ssms"},
		{SourceWindows, "Microsoft SQL Server 2019 (64-bit)", "Microsoft Corporation", "x64", "", "microsoft/sql-server"},
		{SourceWindows, "Power Automate for desktop", "Microsoft Corporation", "x64", "", "microsoft/power-automate-desktop"},
		{SourceWindows, "Azure Connected Machine Agent", "Microsoft Corporation", "x64", "", "microsoft/azure-connected-machine-agent"},
		{SourceWindows, "Microsoft Azure CLI (64-bit)", "Microsoft Corporation", "x64", "", "microsoft/azure-cli"},
		{SourceWindows, "On-premises data gateway", "Microsoft Corporation", "x64", "", "microsoft/data-gateway"},
		{SourceWindows, "Windows Admin Center", "Microsoft Corporation", "x64", "", "microsoft/windows-admin-center"},
		// .NET Framework as the agent reports it from the NDP keys; its
		// developer packs are not the framework.
		{SourceWindows, "Microsoft .NET Framework 4.8.1", "Microsoft Corporation", "", "", "microsoft/dotnet-framework"},
		{SourceWindows, "Microsoft .NET Framework 3.5", "Microsoft Corporation", "", "", "microsoft/dotnet-framework"},
		{SourceWindows, "Microsoft .NET Framework 4.8 Targeting Pack", "Microsoft Corporation", "x86", "", ""},
		{SourceWindows, "Microsoft .NET Runtime - 8.0.11 (x64)", "Microsoft Corporation", "x64", "", "microsoft/dotnet"},
		{SourceWindows, "Azure Monitor Agent", "Microsoft Corporation", "x64", "", "microsoft/azure-monitor-agent"},
		{SourceDpkg, "azuremonitoragent", "", "amd64", "azuremonitoragent", "microsoft/azure-monitor-agent"},
		{SourceWindows, "Microsoft Dynamics 365 Server", "Microsoft Corporation", "x64", "", "microsoft/dynamics-365-onprem"},
		{SourceWindows, "Microsoft Dynamics 365 Business Central Server", "Microsoft Corporation", "x64", "", "microsoft/dynamics-365-business-central"},
		{SourceWindows, "System Center Operations Manager 2019 Console", "Microsoft Corporation", "x64", "", "microsoft/scom"},
		{SourceWindows, "Microsoft Visual Studio Professional 2015", "Microsoft Corporation", "x86", "", "microsoft/visual-studio-2015"},
		{SourceWindows, "iTunes", "Apple Inc.", "x64", "", "microsoft/itunes"},
		{SourceWindows, "iTunes", "Acme", "x64", "", ""}, // not Apple's
		{SourceWindows, "Visual Studio Build Tools 2022", "Microsoft Corporation", "x86", "", "microsoft/visual-studio-2022 microsoft/vs-build-tools-2022"},
		{SourceWindows, "Visual Studio Professional 2022", "Microsoft Corporation", "x86", "", "microsoft/visual-studio-2022"},
		{SourceWindows, "Microsoft Azure Recovery Services Agent", "Microsoft Corporation", "x64", "", "microsoft/azure-backup-mars"},
		{SourceWindows, "Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.40.33816", "Microsoft Corporation", "x64", "", "microsoft/vcredist-14"},
		{SourceWindows, "Microsoft Visual C++ 2013 Redistributable (x64) - 12.0.40664", "Microsoft Corporation", "x64", "", ""},
	}
	for _, c := range cases {
		got := strings.Join(id(tb, tb.Installed(c.source, c.name, c.publisher, c.arch, c.src)), " ")
		if got != c.want {
			t.Errorf("%s %q (%s) -> %q, want %q", c.source, c.name, c.publisher, got, c.want)
		}
	}
}

func TestDeclared(t *testing.T) {
	tb := tab(t)
	if got := id(tb, tb.Declared("Fortinet", "FortiGate")); len(got) != 1 || got[0] != "fortinet/fortios" {
		t.Errorf("FortiGate -> %v", got)
	}
	if got := id(tb, tb.Declared("fortinet", "Forti Gate")); len(got) != 1 {
		t.Errorf("case and spaces: %v", got)
	}
	if got := tb.Declared("Acme", "FortiGate"); len(got) != 0 {
		t.Errorf("unknown vendor: %v", got)
	}
	if !tb.DeclaredLines("Qnap") || tb.DeclaredLines("Mozilla") {
		t.Error("declared_lines")
	}
	if tb.DeclaredVendor("QNAP") != tb.DeclaredVendor("Qnap") || tb.DeclaredVendor("Zimbra") != VendorKey("Synacor") {
		t.Error("declared vendor names")
	}
	// Declared lines compare whole names: FortiWeb is not FortiWebManager.
	if NormLine("Fortinet", "FortiWeb") == NormLine("Fortinet", "FortiWebManager") {
		t.Error("line bleed")
	}
}

func TestDebianTitles(t *testing.T) {
	tb := tab(t)
	srcs, kernel := tb.DebianSources("Multiples vulnérabilités dans le noyau Linux de Debian LTS")
	if !kernel || len(srcs) == 0 || srcs[0] != "linux" {
		t.Errorf("kernel title: %v %v", srcs, kernel)
	}
	if srcs, _ := tb.DebianSources("Multiples vulnérabilités dans Debian LTS buster"); srcs != nil {
		t.Errorf("title without a package: %v", srcs)
	}
}

// The loader rejects tables that would silently mis-match.
func TestLoadRejects(t *testing.T) {
	cases := map[string]string{
		"duplicate line": `[[product]]
id = "a"
vendor = "V"
lines = ["X"]
[[product]]
id = "b"
vendor = "V"
lines = ["x"]`,
		"unknown key": `[[product]]
id = "a"
vendor = "V"
lines = ["X"]
colour = "red"`,
		"bad regexp": `[[product]]
id = "a"
vendor = "V"
lines = ["X"]
[[product.match]]
source = "windows-registry"
names = ["X"]
pattern = "("`,
		"unknown source": `[[product]]
id = "a"
vendor = "V"
lines = ["X"]
[[product.match]]
source = "msi"
names = ["X"]`,
		"no line": `[[product]]
id = "a"
vendor = "V"`,
		"exact release, certain": `[[product]]
id = "a"
vendor = "V"
lines = ["X"]
exact_release = true`,
		"bad confidence": `[[product]]
id = "a"
vendor = "V"
lines = ["X"]
confidence = "certain"`,
	}
	for name, src := range cases {
		if _, err := Load([]byte(src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
