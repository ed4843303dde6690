package match

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
)

const testdata = "../../../testdata/advisory"

// Inventories of real systems, written from what the agent reports (issue
// 15): registry DisplayName/Publisher/DisplayVersion on Windows, dpkg
// binary and source packages on Debian.
func inventories() []*Inventory {
	const win = "windows-registry"
	ws := func(name, ver, pub, arch string) Software {
		return Software{Name: name, Version: ver, Publisher: pub, Source: win, Arch: arch}
	}
	deb := func(name, ver, src, srcVer string) Software {
		return Software{Name: name, Version: ver, Source: "dpkg", Arch: "amd64", SourcePackage: src, SourceVersion: srcVer}
	}
	return []*Inventory{
		{Host: "pc-accueil", Entity: "Mairie de Trébeurden", Facts: Facts{OS: "windows", PlatformFamily: "windows",
			OSBuild: "10.0.19045.6575", OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client", Arch: "amd64"},
			Software: []Software{
				ws("Mozilla Firefox ESR (x64 fr)", "140.5.0", "Mozilla", "x64"),
				ws("Mozilla Firefox (x64 fr)", "145.0", "Mozilla", "x64"),
				ws("Mozilla Thunderbird (x64 fr)", "140.5.0", "Mozilla", "x64"),
				ws("Google Chrome", "143.0.7499.110", "Google LLC", "x64"),
				ws("Microsoft Edge", "143.0.3650.80", "Microsoft Corporation", "x64"),
				ws("FortiClient", "7.4.0.1658", "Fortinet Technologies Inc", "x64"),
				ws("Microsoft Office Professionnel Plus 2016", "16.0.5522.1000", "Microsoft Corporation", "x64"),
				ws("Veeam Agent for Microsoft Windows", "6.3.0.177", "Veeam Software Group GmbH", "x64"),
				ws("7-Zip 24.09 (x64)", "24.09", "Igor Pavlov", "x64"),
			}},
		// Up to date: the build equal to the fixed one is not exposed.
		{Host: "pc-maire", Entity: "Mairie de Trébeurden", Facts: Facts{OS: "windows", OSBuild: "10.0.19045.6691",
			OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client", Arch: "amd64"},
			Software: []Software{ws("Microsoft Edge", "143.0.3650.96", "Microsoft Corporation", "x64")}},
		{Host: "srv-fichiers", Entity: "Mairie de Trébeurden", Facts: Facts{OS: "windows", OSBuild: "10.0.14393.8594",
			OSRelease: "1607", OSEdition: "ServerStandard", OSInstallation: "Server", Arch: "amd64"},
			Software: []Software{
				ws("Veeam Backup & Replication", "12.3.1.1139", "Veeam Software Group GmbH", "x64"),
				ws("FortiClient Endpoint Management Server", "7.2.6.1", "Fortinet Technologies Inc", "x64"),
			}},
		{Host: "srv-core", Entity: "Port de Lézardrieux", Facts: Facts{OS: "windows", OSBuild: "10.0.14393.8594",
			OSRelease: "1607", OSEdition: "ServerDatacenter", OSInstallation: "Server Core", Arch: "amd64"}},
		// Debian 12 with a fixed kernel installed but not booted.
		{Host: "srv-web", Entity: "Port de Lézardrieux", Facts: Facts{OS: "debian", PlatformFamily: "debian",
			OSRelease: "12", OSCodename: "bookworm", Arch: "amd64", KernelPackageVersion: "6.1.153-1"},
			Software: []Software{
				deb("linux-image-6.1.0-41-amd64", "6.1.158-1", "linux", "6.1.158-1"),
				deb("linux-image-6.1.0-39-amd64", "6.1.153-1", "linux", "6.1.153-1"),
				deb("openssl", "3.0.17-1~deb12u2", "openssl", "3.0.17-1~deb12u2"),
				deb("libssl3", "3.0.17-1~deb12u2", "openssl", "3.0.17-1~deb12u2"),
				deb("firefox-esr", "140.5.0esr-1~deb12u1", "firefox-esr", "140.5.0esr-1~deb12u1"),
				deb("bash", "5.2.15-2+b8", "bash", "5.2.15-2"),
			}},
		// Debian 12 whose running kernel is not reported.
		{Host: "srv-old", Entity: "Centre hospitalier de Paimpol", Facts: Facts{OS: "debian", OSRelease: "12", OSCodename: "bookworm"},
			Software: []Software{deb("linux-image-6.1.0-37-amd64", "6.1.140-1", "linux", "6.1.140-1")}},
		{Host: "srv-ubuntu", Entity: "Centre hospitalier de Paimpol", Facts: Facts{OS: "ubuntu", PlatformFamily: "debian", OSRelease: "24.04", OSCodename: "noble"}},
		// The entity's declared FortiGate.
		{Host: "assets:mairie-trebeurden", Entity: "Mairie de Trébeurden",
			Assets: []Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.8", Name: "pare-feu mairie"}}},
	}
}

// Exposures worked out by hand from the advisories' texts (see the
// entries' indexes in testdata/advisory/docs):
var want = []string{
	// pc-accueil
	"pc-accueil|CERTFR-2025-AVI-1092|1|Windows 10 Version 22H2|10.0.19045.6575|10.0.19045.6691|certain",
	"pc-accueil|CERTFR-2025-AVI-1099|0|Mozilla Firefox ESR (x64 fr)|140.5.0|140.6|certain",
	"pc-accueil|CERTFR-2025-AVI-1099|3|Mozilla Firefox ESR (x64 fr)|140.5.0|146|certain",
	"pc-accueil|CERTFR-2025-AVI-1099|1|Mozilla Thunderbird (x64 fr)|140.5.0|146|probable",
	"pc-accueil|CERTFR-2025-AVI-1099|2|Mozilla Thunderbird (x64 fr)|140.5.0|140.6|probable",
	// 143.0.7499.110 is one of the two fixed builds of AVI-1096; AVI-1116 needs .146/.147.
	"pc-accueil|CERTFR-2025-AVI-1116|1|Google Chrome|143.0.7499.110||certain",
	// Edge for Android (entry 1) is not Edge.
	"pc-accueil|CERTFR-2025-AVI-1124|0|Microsoft Edge|143.0.3650.80|143.0.3650.96|certain",
	"pc-accueil|CERTFR-2025-AVI-0496|11|FortiClient|7.4.0.1658|7.4.1|certain",
	"pc-accueil|CERTFR-2025-AVI-0871|18|FortiClient|7.4.0.1658|7.4.4|certain",
	// Office 2016 64 bits: the 64-bit lines only.
	"pc-accueil|CERTFR-2025-AVI-1091|0|Microsoft Office Professionnel Plus 2016|16.0.5522.1000|16.0.5530.1000|certain",
	"pc-accueil|CERTFR-2025-AVI-1091|2|Microsoft Office Professionnel Plus 2016|16.0.5522.1000|16.0.5530.1001|certain",
	"pc-accueil|CERTFR-2025-AVI-1091|11|Microsoft Office Professionnel Plus 2016|16.0.5522.1000|16.0.5530.1000|certain",
	"pc-accueil|CERTFR-2025-AVI-1091|15|Microsoft Office Professionnel Plus 2016|16.0.5522.1000|16.0.5530.1000|certain",
	"pc-accueil|CERTFR-2025-AVI-0869|0|Veeam Agent for Microsoft Windows|6.3.0.177|6.3.2.1302|certain",
	// srv-fichiers: the full-installation line, not Server Core nor Windows 10 1607.
	"srv-fichiers|CERTFR-2025-AVI-1092|9|Windows Server 2016|10.0.14393.8594|10.0.14393.8688|certain",
	"srv-fichiers|CERTFR-2025-AVI-0869|1|Veeam Backup & Replication|12.3.1.1139|12.3.2.4165|certain",
	// FortiClientEMS 7.2.6 is below 7.2.7; FortiClientWindows 7.2.x < 7.2.7 is another product.
	"srv-fichiers|CERTFR-2025-AVI-0496|9|FortiClient Endpoint Management Server|7.2.6.1|7.2.7|certain",
	"srv-core|CERTFR-2025-AVI-1092|36|Windows Server 2016|10.0.14393.8594|10.0.14393.8688|certain",
	// srv-web: the running kernel, not the installed newer one; OpenSSL and
	// firefox-esr from Debian are probable (backports).
	"srv-web|CERTFR-2025-AVI-1010|0|linux (noyau en cours d'exécution)|6.1.153-1|6.1.158-1|certain",
	"srv-web|CERTFR-2025-AVI-0835|1|openssl|3.0.17-1~deb12u2|3.0.18|probable",
	"srv-web|CERTFR-2025-AVI-0835|1|libssl3|3.0.17-1~deb12u2|3.0.18|probable",
	"srv-web|CERTFR-2025-AVI-1099|0|firefox-esr|140.5.0esr-1~deb12u1|140.6|probable",
	"srv-web|CERTFR-2025-AVI-1099|3|firefox-esr|140.5.0esr-1~deb12u1|146|probable",
	"srv-old|CERTFR-2025-AVI-1010|0|linux|6.1.140-1|6.1.158-1|probable",
	// FortiGate 7.4.8: "7.4.x < 7.4.8" (AVI-0496) is fixed; "< 7.4.9" and "toutes versions 7.4.x" are not.
	"assets:mairie-trebeurden|CERTFR-2025-AVI-0871|41|FortiGate|7.4.8||certain",
	"assets:mairie-trebeurden|CERTFR-2025-AVI-1084|16|FortiGate|7.4.8|7.4.9|certain",
	"assets:mairie-trebeurden|CERTFR-2025-ALE-012|0|FortiGate|7.4.8|7.4.9|certain",
}

func format(xs []Exposure) []string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%s|%s|%s", x.Host, x.Advisory, x.Entry, x.Product, x.InstalledVersion, x.FixedVersion, x.Confidence))
	}
	sort.Strings(out)
	return out
}

func loadDocs(t testing.TB) []*advisory.Document {
	t.Helper()
	st := advisory.NewMemStore()
	res, err := (&advisory.Importer{Store: st}).Import(context.Background(),
		filepath.Join(testdata, "docs"), filepath.Join(testdata, "alerte"))
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("import: %v %v", err, res.Errors)
	}
	return st.Documents()
}

func table(t testing.TB) *alias.Table {
	t.Helper()
	tab, err := alias.Default()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func diff(t *testing.T, what string, got []string) {
	t.Helper()
	w := append([]string(nil), want...)
	sort.Strings(w)
	g, m := map[string]bool{}, map[string]bool{}
	for _, x := range got {
		g[x] = true
	}
	for _, x := range w {
		m[x] = true
		if !g[x] {
			t.Errorf("%s: missing %s", what, x)
		}
	}
	for _, x := range got {
		if !m[x] {
			t.Errorf("%s: unexpected %s", what, x)
		}
	}
}

func TestExposuresAdvisoriesFirst(t *testing.T) {
	tab := table(t)
	r := NewRegion(tab)
	for _, d := range loadDocs(t) {
		if x := r.PutAdvisory(Compile(d, tab)); len(x) != 0 {
			t.Fatalf("exposures with no host: %v", x)
		}
	}
	var got []Exposure
	for _, inv := range inventories() {
		got = append(got, r.Put(inv)...)
	}
	diff(t, "inventaires après les avis", format(got))
	diff(t, "re-match complet", format(collectAll(r)))
}

// The scorecard arrives before the advisory: same exposures.
func TestExposuresInventoriesFirst(t *testing.T) {
	tab := table(t)
	r := NewRegion(tab)
	for _, inv := range inventories() {
		if x := r.Put(inv); len(x) != 0 {
			t.Fatalf("exposures with no advisory: %v", x)
		}
	}
	var got []Exposure
	for _, d := range loadDocs(t) {
		got = append(got, r.PutAdvisory(Compile(d, tab))...)
	}
	diff(t, "avis après les inventaires", format(got))
}

// A host that upgraded leaves the list with its next inventory; a removed
// host leaves it at once.
func TestUpgradeAndRemove(t *testing.T) {
	tab := table(t)
	r := NewRegion(tab)
	for _, d := range loadDocs(t) {
		r.PutAdvisory(Compile(d, tab))
	}
	inv := inventories()[1] // pc-maire, up to date
	inv.Facts.OSBuild = "10.0.19045.6456"
	if got := format(r.Put(inv)); len(got) != 1 || !strings.Contains(got[0], "AVI-1092|1|") {
		t.Fatalf("older build: %v", got)
	}
	inv.Facts.OSBuild = "10.0.19045.6691"
	if got := r.Put(inv); len(got) != 0 {
		t.Fatalf("after the update: %v", got)
	}
	for _, x := range collectAll(r) {
		if x.Host == "pc-maire" {
			t.Fatalf("stale exposure %v", x)
		}
	}
	fg := inventories()[7]
	r.Put(fg)
	r.Remove(fg.Host)
	for _, x := range collectAll(r) {
		if x.Host == fg.Host {
			t.Fatalf("removed host still exposed: %v", x)
		}
	}
	if r.Hosts() != 1 {
		t.Errorf("%d hosts", r.Hosts())
	}
}

func TestReviewAndReleases(t *testing.T) {
	tab := table(t)
	r := NewRegion(tab)
	for _, inv := range inventories() {
		r.Put(inv)
	}
	docs := map[string]*advisory.Document{}
	for _, d := range loadDocs(t) {
		docs[d.Reference] = d
	}
	// AVI-0288 gives "1.000" as a fixed build: to review, never dropped.
	a := Compile(docs["CERTFR-2025-AVI-0288"], tab)
	n := 0
	for _, rv := range a.Review {
		if strings.Contains(rv.Text, "antérieures à 1.000") {
			n++
			if rv.Vendor != "Microsoft" || !strings.Contains(rv.Reason, "illisible") || rv.Advisory != "CERTFR-2025-AVI-0288" {
				t.Errorf("review %+v", rv)
			}
		}
	}
	if n == 0 {
		t.Error("the 1.000 builds are not in the review list")
	}
	// Every entry is either a rule, a review, a release or a product no
	// inventory holds: nothing is lost.
	for _, d := range docs {
		a := Compile(d, tab)
		inv := 0
		for _, as := range d.AffectedSystems {
			if ok, _ := Understood(tab, as.Product.Vendor.Name, as.Product.Name, as.Description, d.Title); ok {
				inv++
			}
		}
		if len(a.Rules)+len(a.Review)+len(a.Releases) > len(d.AffectedSystems) ||
			len(a.Review) != len(d.AffectedSystems)-inv {
			t.Errorf("%s: %d entries, %d rules, %d reviews, %d releases, %d understood", d.Reference,
				len(d.AffectedSystems), len(a.Rules), len(a.Review), len(a.Releases), inv)
		}
	}
	// A Debian title that names no package goes to review.
	if a := Compile(docs["CERTFR-2024-AVI-0304"], tab); len(a.Review) != 1 || !strings.Contains(a.Review[0].Reason, "paquet source") {
		t.Errorf("AVI-0304 review %+v", a.Review)
	}
	// Ubuntu entries: a count of hosts, no exposure.
	a = Compile(docs["CERTFR-2025-AVI-1139"], tab)
	if x := r.PutAdvisory(a); len(x) != 0 {
		t.Errorf("Ubuntu exposures %v", x)
	}
	counts := map[string]int{}
	for _, c := range r.ReleaseCounts(a) {
		counts[c.Release] = c.Hosts
	}
	if counts["24.04"] != 1 || counts["22.04"] != 0 {
		t.Errorf("release counts %v", counts)
	}
}

func TestWhoUses(t *testing.T) {
	r := NewRegion(table(t))
	for _, inv := range inventories() {
		r.Put(inv)
	}
	got := r.WhoUses("firefox", "", "")
	if len(got) != 3 {
		t.Fatalf("firefox: %+v", got)
	}
	got = r.WhoUses("Mozilla Firefox", "141", "")
	if len(got) != 1 || got[0].Name != "Mozilla Firefox (x64 fr)" || got[0].Host != "pc-accueil" {
		t.Fatalf("firefox >= 141: %+v", got)
	}
	if got := r.WhoUses("fortigate", "7.4", "7.4.8"); len(got) != 1 || got[0].Entity != "Mairie de Trébeurden" {
		t.Fatalf("fortigate: %+v", got)
	}
	if got := r.WhoUses("edge", "144", ""); len(got) != 0 {
		t.Fatalf("edge >= 144: %+v", got)
	}
}

func collectAll(r *Region) []Exposure {
	var out []Exposure
	r.MatchAll(func(e Exposure) { out = append(out, e) })
	return out
}

// Replacing inventories many times (stale postings, then compaction) gives
// the same exposures and "who uses" answers as a fresh region.
func TestReplaceAndCompact(t *testing.T) {
	tab := table(t)
	r := NewRegion(tab)
	r.compactMin = 10
	for _, d := range loadDocs(t) {
		r.PutAdvisory(Compile(d, tab))
	}
	for round := 0; round < 5; round++ {
		for _, inv := range inventories() {
			r.Put(inv)
		}
	}
	if r.stale > r.live {
		t.Errorf("no compaction: %d stale, %d live", r.stale, r.live)
	}
	diff(t, "après remplacements", format(collectAll(r)))
	if got := r.WhoUses("firefox", "", ""); len(got) != 3 {
		t.Errorf("who uses after replacements: %+v", got)
	}
}
