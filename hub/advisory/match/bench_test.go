package match

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory"
)

// The region of the performance targets: 20,000 hosts with 1,000
// programs each and 2,300 advisories. The advisories are the 17 real ones of
// testdata repeated under new references (136 copies each, 2,312 in all):
// their entries are real, their number is the target's. The hosts are 70 %
// Windows workstations, 10 % Windows servers and 20 % Debian servers; each
// runs about fifteen products the alias table knows, at random versions
// around the advisories' fixed ones, and programs drawn from a pool of
// 6,000 names the table does not know, as real inventories mostly are.
const (
	benchHosts      = 20_000
	benchPackages   = 1_000
	benchAdvisories = 2_300
)

var (
	benchOnce   sync.Once
	benchRegion *Region
	benchAdvs   []*Advisory
	benchInv    *Inventory
)

func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		tab := table(b)
		docs := loadDocs(b)
		r := NewRegion(tab)
		// Hosts first, as the hub's start-up rebuild indexes them.
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range benchHosts {
			inv := synthHost(rng, i)
			r.Put(inv)
			if i == 0 {
				benchInv = inv
			}
		}
		for i := 0; len(benchAdvs) < benchAdvisories; i++ {
			d := *docs[i%len(docs)]
			d.Reference = fmt.Sprintf("CERTFR-2099-AVI-%04d", i)
			a := Compile(&d, tab)
			r.PutAdvisory(a)
			benchAdvs = append(benchAdvs, a)
		}
		benchRegion = r
	})
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func synthHost(rng *rand.Rand, i int) *Inventory {
	inv := &Inventory{Host: fmt.Sprintf("host-%05d", i), Entity: fmt.Sprintf("Entité %04d", i/10)}
	ws := func(name, ver, pub string) {
		inv.Software = append(inv.Software, Software{Name: name, Version: ver, Publisher: pub, Source: "windows-registry", Arch: "x64"})
	}
	deb := func(name, ver, src string) {
		inv.Software = append(inv.Software, Software{Name: name, Version: ver, Source: "dpkg", Arch: "amd64", SourcePackage: src, SourceVersion: ver})
	}
	switch k := i % 10; {
	case k < 7:
		inv.Facts = Facts{OS: "windows", OSBuild: pick(rng, []string{"10.0.19045.6456", "10.0.19045.6691", "10.0.22631.6345", "10.0.26100.7456", "10.0.26100.7000"}),
			OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client", Arch: "amd64"}
	case k < 8:
		inv.Facts = Facts{OS: "windows", OSBuild: pick(rng, []string{"10.0.14393.8594", "10.0.17763.8146", "10.0.20348.4529"}),
			OSEdition: "ServerStandard", OSInstallation: pick(rng, []string{"Server", "Server Core"}), Arch: "amd64"}
	default:
		inv.Facts = Facts{OS: "debian", PlatformFamily: "debian", OSRelease: "12", OSCodename: "bookworm",
			KernelPackageVersion: pick(rng, []string{"6.1.153-1", "6.1.158-1", ""}), Arch: "amd64"}
		deb("linux-image-6.1.0-41-amd64", "6.1.158-1", "linux")
		deb("openssl", pick(rng, []string{"3.0.17-1~deb12u2", "3.0.18-1~deb12u1"}), "openssl")
		deb("libssl3", "3.0.17-1~deb12u2", "openssl")
		deb("firefox-esr", "140.5.0esr-1~deb12u1", "firefox-esr")
		for len(inv.Software) < benchPackages {
			n := rng.IntN(6000)
			deb(fmt.Sprintf("lib%04d-%d", n, n%7), fmt.Sprintf("%d.%d.%d-%d", n%9, n%13, rng.IntN(20), rng.IntN(4)+1), fmt.Sprintf("src%04d", n))
		}
		return inv
	}
	ws("Mozilla Firefox (x64 fr)", pick(rng, []string{"145.0", "146.0.1", "140.0"}), "Mozilla")
	ws("Mozilla Firefox ESR (x64 fr)", pick(rng, []string{"140.5.0", "140.6.0"}), "Mozilla")
	ws("Mozilla Thunderbird (x64 fr)", pick(rng, []string{"140.5.0", "146.0"}), "Mozilla")
	ws("Google Chrome", pick(rng, []string{"143.0.7499.110", "143.0.7499.147", "142.0.7444.60"}), "Google LLC")
	ws("Microsoft Edge", pick(rng, []string{"143.0.3650.80", "143.0.3650.96"}), "Microsoft Corporation")
	ws("Microsoft Edge WebView2 Runtime", "143.0.3650.80", "Microsoft Corporation")
	ws("FortiClient", pick(rng, []string{"7.4.0.1658", "7.4.4.1800", "7.2.6.1000"}), "Fortinet Technologies Inc")
	ws("Microsoft Office Professionnel Plus 2016", pick(rng, []string{"16.0.5522.1000", "16.0.5530.1001"}), "Microsoft Corporation")
	ws("Veeam Agent for Microsoft Windows", pick(rng, []string{"6.3.0.177", "6.3.2.1302"}), "Veeam Software Group GmbH")
	ws("Adobe Acrobat (64-bit)", "25.001.20432", "Adobe")
	ws("7-Zip 24.09 (x64)", "24.09", "Igor Pavlov")
	ws("Microsoft Visual C++ 2015-2022 Redistributable (x64)", "14.40.33810.0", "Microsoft Corporation")
	for len(inv.Software) < benchPackages {
		n := rng.IntN(6000)
		ws(fmt.Sprintf("Éditeur %03d Application %04d", n%300, n), fmt.Sprintf("%d.%d.%d", n%11, rng.IntN(30), rng.IntN(1000)), fmt.Sprintf("Éditeur %03d", n%300))
	}
	return inv
}

// BenchmarkFullRematch: every stored advisory against every host.
func BenchmarkFullRematch(b *testing.B) {
	benchSetup(b)
	b.ResetTimer()
	n := 0
	cpu := processCPU()
	for b.Loop() {
		n = 0
		benchRegion.MatchAll(func(Exposure) { n++ })
	}
	b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "exposures")
}

// BenchmarkNewInventory: one host sends a new 1,000-program inventory,
// matched against the 2,300 advisories.
func BenchmarkNewInventory(b *testing.B) {
	benchSetup(b)
	inv := *benchInv
	inv.Software = append([]Software(nil), benchInv.Software...)
	b.ResetTimer()
	cpu := processCPU()
	n := 0
	for i := 0; b.Loop(); i++ {
		inv.Software[0].Version = fmt.Sprintf("140.%d", i%7) // a changed inventory
		n = len(benchRegion.Put(&inv))
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "exposures")
}

// BenchmarkNewAdvisory: the December 2025 Windows advisory (the one with
// the most hosts behind its keys) against the region.
func BenchmarkNewAdvisory(b *testing.B) {
	benchSetup(b)
	docs := loadDocs(b)
	var doc *advisory.Document
	for _, d := range docs {
		if d.Reference == "CERTFR-2025-AVI-1092" {
			doc = d
		}
	}
	tab := table(b)
	b.ResetTimer()
	cpu := processCPU()
	n := 0
	for b.Loop() {
		n = len(benchRegion.MatchAdvisory(Compile(doc, tab)))
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "exposures")
}

// BenchmarkWhoUses: "who runs Chrome 143 or later?" across the region.
func BenchmarkWhoUses(b *testing.B) {
	benchSetup(b)
	b.ResetTimer()
	cpu := processCPU()
	n := 0
	for b.Loop() {
		n = len(benchRegion.WhoUses("chrome", "143", ""))
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "hosts")
}
