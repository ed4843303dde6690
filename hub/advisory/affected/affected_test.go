package affected

import (
	"reflect"
	"strings"
	"testing"
)

// Real descriptions from the CERT-FR advisories of 2024-2025
// (the project brief's shared/data/certfr), one per form of the grammar.
func TestParseForms(t *testing.T) {
	cases := []struct {
		vendor, text string
		want         Entry
	}{
		{"Mozilla", "Firefox ESR versions antérieures à 140.6",
			Entry{Kind: Product, Line: "Firefox ESR", Ranges: []Range{{Fixed: "140.6"}}}},
		{"Fortinet", "FortiOS versions 7.4.x antérieures à 7.4.5",
			Entry{Kind: Product, Line: "FortiOS", Ranges: []Range{{Branches: []string{"7.4.x"}, Fixed: "7.4.5"}}}},
		{"Fortinet", "FortiOS 7.2 versions antérieures à 7.2.9",
			Entry{Kind: Product, Line: "FortiOS", Ranges: []Range{{Branches: []string{"7.2"}, Fixed: "7.2.9"}}}},
		{"Fortinet", "FortiProxy toutes versions 7.0.x",
			Entry{Kind: Product, Line: "FortiProxy", All: true, Ranges: []Range{{Branches: []string{"7.0.x"}}}}},
		{"Fortinet", "FortiSandbox 4.4 toutes versions",
			Entry{Kind: Product, Line: "FortiSandbox", All: true, Ranges: []Range{{Branches: []string{"4.4"}}}}},
		{"Fortinet", "FortiOS toutes versions 6.0.x, 6.2.x, 6.4.x, 7.0.x, 7.2.x et 7.4.x",
			Entry{Kind: Product, Line: "FortiOS", All: true, Ranges: []Range{{Branches: []string{"6.0.x", "6.2.x", "6.4.x", "7.0.x", "7.2.x", "7.4.x"}}}}},
		{"Fortinet", "FortiVoice versions 6.0.7 à 6.0.12",
			Entry{Kind: Product, Line: "FortiVoice", Ranges: []Range{{Introduced: "6.0.7", LastAffected: "6.0.12"}}}},
		{"Fortinet", "FortiManager Cloud versions postérieures à 7.0.1 et antérieures à 7.0.14",
			Entry{Kind: Product, Line: "FortiManager Cloud", Ranges: []Range{{Introduced: "7.0.1", IntroducedExcl: true, Fixed: "7.0.14"}}}},
		{"Google", "Chrome versions antérieures à 143.0.7499.146/.147 pour Windows et Mac",
			Entry{Kind: Product, Line: "Chrome", Platforms: []Platform{PlatformWindows, PlatformMac},
				Ranges: []Range{{Fixed: "143.0.7499.146", AltFixed: []string{"143.0.7499.147"}}}}},
		{"Google", "Chrome versions antérieures à 132.0.6834.110/111 pour Windows et Mac",
			Entry{Kind: Product, Line: "Chrome", Platforms: []Platform{PlatformWindows, PlatformMac},
				Ranges: []Range{{Fixed: "132.0.6834.110", AltFixed: []string{"132.0.6834.111"}}}}},
		{"Google", "Chrome versions antérieures à 127.0.6533.72 sur Linux",
			Entry{Kind: Product, Line: "Chrome", Platforms: []Platform{PlatformLinux}, Ranges: []Range{{Fixed: "127.0.6533.72"}}}},
		{"Microsoft", "Microsoft Edge pour Android versions antérieures à 143.0.3650.88",
			Entry{Kind: Product, Line: "Microsoft Edge", Platforms: []Platform{PlatformAndroid}, Ranges: []Range{{Fixed: "143.0.3650.88"}}}},
		{"Mozilla", "Firefox versions antérieures à 131 pour Android",
			Entry{Kind: Product, Line: "Firefox", Platforms: []Platform{PlatformAndroid}, Ranges: []Range{{Fixed: "131"}}}},
		{"Fortinet", "FortiClientMac toutes versions sans le correctif de sécurité à venir",
			Entry{Kind: Product, Line: "FortiClientMac", All: true, Unpatched: true, Upcoming: true}},
		{"Moxa", "OnCell G4302-LTE4 Series sans les derniers correctifs de sécurité",
			Entry{Kind: Product, Line: "OnCell G4302-LTE4 Series", All: true, Unpatched: true}},
		{"Citrix", "XenServer 8 sans le dernier correctif de sécurité",
			Entry{Kind: Product, Line: "XenServer 8", All: true, Unpatched: true}},
		{"OpenSSL", "OpenSSL versions 1.1.1x antérieures à 1.1.1zd (support payant)",
			Entry{Kind: Product, Line: "OpenSSL", Ranges: []Range{{Branches: []string{"1.1.1x"}, Fixed: "1.1.1zd"}}}},
		{"Qnap", "QTS versions 5.1.x antérieures à 5.1.7.2770 build 20240520",
			Entry{Kind: Product, Line: "QTS", Ranges: []Range{{Branches: []string{"5.1.x"}, Fixed: "5.1.7.2770 build 20240520"}}}},
		{"Synology", "Synology Photos versions antérieures à 1.6.2-0720 pour DSM 7.2",
			Entry{Kind: Product, Line: "Synology Photos", Context: "DSM 7.2", Ranges: []Range{{Fixed: "1.6.2-0720"}}}},
		{"Synacor", "Zimbra Collaboration versions antérieures à 9.0.0 Patch 46",
			Entry{Kind: Product, Line: "Zimbra Collaboration", Ranges: []Range{{Fixed: "9.0.0 Patch 46"}}}},
		{"Microsoft", "Microsoft Office 2016 (édition 64 bits) versions antérieures à 16.0.5530.1001",
			Entry{Kind: Product, Line: "Microsoft Office 2016", Arch: "x64", Ranges: []Range{{Fixed: "16.0.5530.1001"}}}},
		{"Microsoft", "Microsoft Office LTSC 2021 pour éditions 32 bits",
			Entry{Kind: Product, Line: "Microsoft Office LTSC 2021", Arch: "x86", All: true, Unpatched: true, NoVersion: true}},
		{"Microsoft", "Microsoft Visual Studio 2022 version 17.8 antérieures à 17.8.7",
			Entry{Kind: Product, Line: "Microsoft Visual Studio 2022", Ranges: []Range{{Branches: []string{"17.8"}, Fixed: "17.8.7"}}}},
		{"Google", "Android versions 12, 12L, 13, 14 et 15 sans le correctif de sécurité du 3 février 2025",
			Entry{Kind: Product, Line: "Android", All: true, Unpatched: true, Ranges: []Range{{Branches: []string{"12", "12L", "13", "14", "15"}}}}},
	}
	for _, c := range cases {
		got := Parse(c.vendor, "N/A", c.text)
		c.want.Text = c.text
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.text, got, c.want)
		}
	}
}

func TestParseWindows(t *testing.T) {
	cases := []struct {
		text string
		win  WindowsLine
		arch string
		fix  string
	}{
		{"Windows 10 Version 22H2 pour systèmes x64 versions antérieures à 10.0.19045.6691",
			WindowsLine{Product: "Windows 10", Release: "22H2", BaseBuild: "10.0.19045"}, "x64", "10.0.19045.6691"},
		{"Windows Server 2016 (Server Core installation) versions antérieures à 10.0.14393.8688",
			WindowsLine{Product: "Windows Server 2016", Server: true, ServerCore: true, BaseBuild: "10.0.14393"}, "", "10.0.14393.8688"},
		{"Windows Server 2016 versions antérieures à 10.0.14393.8688",
			WindowsLine{Product: "Windows Server 2016", Server: true, BaseBuild: "10.0.14393"}, "", "10.0.14393.8688"},
		{"Windows Server 2022, 23H2 Edition (Server Core installation) versions antérieures à 10.0.25398.2025",
			WindowsLine{Product: "Windows Server 2022, 23H2 Edition", Server: true, ServerCore: true, BaseBuild: "10.0.25398"}, "", "10.0.25398.2025"},
		{"Windows Server 2008 pour systèmes 32 bits Service Pack 2 (Server Core installation) versions antérieures à 6.0.6003.23666",
			WindowsLine{Product: "Windows Server 2008", Server: true, ServerCore: true, ServicePack: "2", BaseBuild: "6.0.6003"}, "x86", "6.0.6003.23666"},
		{"Windows 11 version 21H2 pour systèmes ARM64 antérieures à 10.0.22000.3260",
			WindowsLine{Product: "Windows 11", Release: "21H2", BaseBuild: "10.0.22000"}, "arm64", "10.0.22000.3260"},
		// A sibling release's build, same cumulative update and revision
		// (servicingFamilies): CERTFR-2025-AVI-0804 (September 2025, 6332),
		// CERTFR-2024-AVI-0486 (June 2024, 4529), CERTFR-2024-AVI-0289
		// (April 2024, 3447 given with 23H2's base for 22H2).
		{"Windows 10 Version 22H2 pour systèmes x64 versions antérieures à 10.0.19044.6332",
			WindowsLine{Product: "Windows 10", Release: "22H2", BaseBuild: "10.0.19045"}, "x64", "10.0.19045.6332"},
		{"Windows 10 Version 21H2 pour systèmes 32 bits versions antérieures à 10.0.19043.4529",
			WindowsLine{Product: "Windows 10", Release: "21H2", BaseBuild: "10.0.19044"}, "x86", "10.0.19044.4529"},
		{"Windows 11 Version 22H2 pour systèmes ARM64 versions antérieures à 10.0.22631.3447",
			WindowsLine{Product: "Windows 11", Release: "22H2", BaseBuild: "10.0.22621"}, "arm64", "10.0.22621.3447"},
	}
	for _, c := range cases {
		e := Parse("Microsoft", "Windows", c.text)
		if !e.Understood() || e.Kind != Windows || e.Win == nil {
			t.Errorf("%q: %+v", c.text, e)
			continue
		}
		if *e.Win != c.win || e.Arch != c.arch || len(e.Ranges) != 1 || e.Ranges[0].Fixed != c.fix {
			t.Errorf("%q:\n got %+v %s %+v\nwant %+v %s %s", c.text, *e.Win, e.Arch, e.Ranges, c.win, c.arch, c.fix)
		}
	}
}

func TestParseDistributions(t *testing.T) {
	e := Parse("Debian", "N/A", "Debian LTS bullseye versions antérieures à 6.1.119-1~deb11u1")
	if e.Kind != Distro || e.Release != "bullseye" || e.Ranges[0].Fixed != "6.1.119-1~deb11u1" || !e.Understood() {
		t.Errorf("debian: %+v", e)
	}
	e = Parse("Debian", "N/A", "Debian bookworm (stable) versions antérieures à 6.1.90-1")
	if e.Release != "bookworm" || e.Ranges[0].Fixed != "6.1.90-1" {
		t.Errorf("debian stable: %+v", e)
	}
	for text, rel := range map[string]string{
		"Ubuntu 22.04 LTS": "22.04",
		"Red Hat Enterprise Linux for x86_64 - Extended Update Support 9.4 x86_64": "9",
		"SUSE Linux Enterprise Server 15 SP6":                                      "15 SP6",
	} {
		vendor := map[byte]string{'U': "Ubuntu", 'R': "Red Hat", 'S': "SUSE"}[text[0]]
		e := Parse(vendor, "N/A", text)
		if e.Kind != Release || e.Release != rel || !e.Understood() {
			t.Errorf("%q: %+v", text, e)
		}
	}
}

// Entries that are not understood say why; none is guessed.
func TestParseNotUnderstood(t *testing.T) {
	cases := map[string]string{
		"Windows Server 2012 versions antérieures à 1.000": "illisible",
		// Another product's build and a server's sibling
		// (CERTFR-2025-AVI-0577), a Recovery Environment build
		// (CERTFR-2024-AVI-0681): never compared.
		"Windows Server 2019 versions antérieures à 10.0.10240.21034":                      "incohérent",
		"Windows Server 2025 versions antérieures à 10.0.26200.4349":                       "incohérent",
		"Windows 10 Version 22H2 pour systèmes x64 versions antérieures à 10.0.19041.3920": "incohérent",
		"Debian LTS buster": "Debian",
		"Veeam Recovery Orchestrator (VRO) version 7.0.0.337, migrer sur la version 7.0.0.379":   "forme de version",
		"NetScaler ADC 12.1-FIPS versions antérieures à 12.1-55.333-FIPS et NDcPP sans garantie": "forme de version",
		"": "vide",
	}
	for text, reason := range cases {
		vendor := "Microsoft"
		if strings.HasPrefix(text, "Debian") {
			vendor = "Debian"
		} else if !strings.HasPrefix(text, "Windows") && text != "" {
			vendor = "Veeam"
		}
		e := Parse(vendor, "N/A", text)
		if e.Understood() || !strings.Contains(e.Reason, reason) {
			t.Errorf("%q: understood=%v reason %q, want %q", text, e.Understood(), e.Reason, reason)
		}
		if e.Understood() == false && (len(e.Ranges) > 0 || e.All) && e.Kind != Windows {
			t.Errorf("%q: not understood but ranges %+v all=%v", text, e.Ranges, e.All)
		}
	}
}

// FuzzParse: any text gives either a reason, or an understood entry with a
// line, and either all versions or at least one range with a bound; the
// parse is deterministic and never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"FortiOS versions 7.4.x antérieures à 7.4.5",
		"Chrome versions antérieures à 145.0.7632.109/110 pour Windows et Mac",
		"Windows Server 2016 (Server Core installation) versions antérieures à 10.0.14393.8688",
		"Debian bookworm versions antérieures à 6.1.162-1",
		"FortiClientMac toutes versions sans le correctif de sécurité à venir",
		"FortiVoice versions 6.0.7 à 6.0.12",
		"Ubuntu 22.04 LTS",
	} {
		for _, v := range []string{"Fortinet", "Microsoft", "Debian", "Ubuntu"} {
			f.Add(v, s)
		}
	}
	f.Fuzz(func(t *testing.T, vendor, text string) {
		e := Parse(vendor, "N/A", text)
		if e2 := Parse(vendor, "N/A", text); !reflect.DeepEqual(e, e2) {
			t.Fatalf("not deterministic")
		}
		if e.Text != text {
			t.Fatalf("text not kept")
		}
		if !e.Understood() {
			return
		}
		if strings.TrimSpace(e.Line) == "" {
			t.Fatalf("understood without a line: %+v", e)
		}
		if e.All || e.Kind == Release {
			return
		}
		if len(e.Ranges) == 0 {
			t.Fatalf("understood with no range and not all versions: %+v", e)
		}
		for _, r := range e.Ranges {
			if r.Fixed == "" && r.LastAffected == "" {
				t.Fatalf("range without an upper bound: %+v", e)
			}
		}
		if e.Kind == Windows && !strings.HasPrefix(e.Ranges[0].Fixed, e.Win.BaseBuild+".") {
			t.Fatalf("Windows fix outside its release: %+v", e)
		}
	})
}
