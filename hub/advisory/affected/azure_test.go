package affected

import (
	"reflect"
	"testing"
)

// Real Azure Linux / CBL-Mariner entries of the CERT-FR advisories named
// (shared/data/certfr): a version alone is the last affected build, one
// after "versions antérieures à" the fix; lines without a package are
// release entries.
func TestParseAzureLinux(t *testing.T) {
	linux := []Platform{PlatformLinux}
	cases := []struct {
		text string
		want Entry
	}{
		{"cbl2 kernel 5.15.186.1-1", // CERTFR-2025-AVI-0899
			Entry{Kind: Distro, Distribution: AzureLinux, Release: "2.0", Line: "kernel", Platforms: linux,
				Ranges: []Range{{LastAffected: "5.15.186.1-1"}}}},
		{"azl3 golang 1.25.3-1", // CERTFR-2025-AVI-0966
			Entry{Kind: Distro, Distribution: AzureLinux, Release: "3.0", Line: "golang", Platforms: linux,
				Ranges: []Range{{LastAffected: "1.25.3-1"}}}},
		{"cbl2 rsync versions antérieures à 3.4.1-2", // CERTFR-2025-AVI-1064
			Entry{Kind: Distro, Distribution: AzureLinux, Release: "2.0", Line: "rsync", Platforms: linux,
				Ranges: []Range{{Fixed: "3.4.1-2"}}}},
		{"cbl2 redis 6.2.18-3 versions antérieures à 6.2.20-1", // CERTFR-2025-AVI-0899
			Entry{Kind: Distro, Distribution: AzureLinux, Release: "2.0", Line: "redis", Platforms: linux,
				Ranges: []Range{{Fixed: "6.2.20-1"}}}},
		{"Azure Linux 3.0 x64 versions antérieures à 2.06-14", // CERTFR-2024-AVI-0683: no package named
			Entry{Kind: Release, Distribution: AzureLinux, Release: "3.0", Line: "Azure Linux 3.0 x64 versions antérieures à 2.06-14",
				Platforms: linux, All: true}},
		{"CBL Mariner 2.0 x64", // CERTFR-2024-AVI-0024
			Entry{Kind: Release, Distribution: AzureLinux, Release: "2.0", Line: "CBL Mariner 2.0 x64", Platforms: linux, All: true}},
	}
	for _, c := range cases {
		got := Parse("Microsoft", "N/A", c.text)
		c.want.Text = c.text
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.text, got, c.want)
		}
	}
	// Not an Azure Linux package line: the vendor decides, and a version
	// that is not an rpm version-release is refused, not guessed.
	if e := Parse("Red Hat", "N/A", "cbl2 kernel 5.15.186.1-1"); e.Kind == Distro {
		t.Errorf("Red Hat entry read as Azure Linux: %+v", e)
	}
	if e := Parse("Microsoft", "N/A", "cbl2 kernel toutes versions"); e.Understood() || e.Distribution != AzureLinux {
		t.Errorf("unreadable Azure Linux version accepted or lost: %+v", e)
	}
}
