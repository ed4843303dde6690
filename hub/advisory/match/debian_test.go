package match

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// debian12 reads the dpkg listing of a Debian 12 system
// (testdata/inventory/debian12, see its NOTES.md: the kernel lines are in
// Debian's naming, signed images from source linux-signed-amd64 6.1.x+1),
// installed packages only, as the agent reports them.
func debian12(t *testing.T) []Software {
	t.Helper()
	f, err := os.Open("../../../testdata/inventory/debian12/dpkg-query.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Software
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 6 || !strings.HasPrefix(p[5], "ii") {
			continue
		}
		out = append(out, Software{Name: p[0], Version: p[1], Arch: p[2], Source: "dpkg", SourcePackage: p[3], SourceVersion: p[4]})
	}
	if err := sc.Err(); err != nil || len(out) < 800 {
		t.Fatalf("listing: %d packages, %v", len(out), err)
	}
	return out
}

// TestSignedKernelImages: the Debian kernel advisory (CERTFR-2025-AVI-1010,
// "Debian bookworm versions antérieures à 6.1.158-1", noyau Linux) reaches a
// Debian 12 host whose kernel images come from linux-signed-amd64: the
// image 6.1.153-1 (source version 6.1.153+1) is below the fix, the image
// 6.1.158-1 and the linux-image-amd64 metapackage are not; with the running
// kernel reported, it decides, with certainty.
func TestSignedKernelImages(t *testing.T) {
	tab := table(t)
	sw := debian12(t)
	for _, c := range []struct {
		running string
		want    []string
	}{
		{"", []string{"linux|6.1.153-1|6.1.158-1|probable"}},
		{"6.1.153-1", []string{"linux (noyau en cours d'exécution)|6.1.153-1|6.1.158-1|certain"}},
		{"6.1.158-1", nil},
	} {
		inv := &Inventory{Host: "srv-dns", Entity: "Mairie de Lannion", Software: sw, Facts: Facts{OS: "debian", PlatformFamily: "debian",
			OSRelease: "12", OSCodename: "bookworm", Arch: "amd64", KernelPackageVersion: c.running}}
		for _, order := range []string{"advisories first", "inventory first"} {
			r := NewRegion(tab)
			var got []Exposure
			if order == "inventory first" {
				r.Put(inv)
			}
			for _, d := range loadDocs(t) {
				if d.Reference == "CERTFR-2025-AVI-1010" {
					got = append(got, r.PutAdvisory(Compile(d, tab))...)
				}
			}
			if order == "advisories first" {
				got = r.Put(inv)
			}
			var keys []string
			for _, e := range got {
				keys = append(keys, fmt.Sprintf("%s|%s|%s|%s", e.Product, e.InstalledVersion, e.FixedVersion, e.Confidence))
			}
			if fmt.Sprint(keys) != fmt.Sprint(c.want) {
				t.Errorf("running %q, %s: %q, want %q", c.running, order, keys, c.want)
			}
		}
	}
}
