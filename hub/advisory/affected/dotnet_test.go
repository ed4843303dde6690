package affected

import (
	"reflect"
	"testing"
)

// Real .NET Framework entries (CERT-FR advisories named, shared/data/certfr):
// the releases are the branches, the fixed build is kept as written.
func TestParseDotNetFramework(t *testing.T) {
	cases := []struct {
		text string
		want Entry
	}{
		{"Microsoft .NET Framework 3.5 et 4.8.1 versions antérieures à 4.8.1.09277.02", // CERTFR-2024-AVI-0855
			Entry{Kind: Product, Line: DotNetFramework, Ranges: []Range{{Branches: []string{"3.5", "4.8.1"}, Fixed: "4.8.1.09277.02"}}}},
		{"Microsoft .NET Framework 3.5 AND 4.8 versions antérieures à 4.8.4718.0", // CERTFR-2024-AVI-0290
			Entry{Kind: Product, Line: DotNetFramework, Ranges: []Range{{Branches: []string{"3.5", "4.8"}, Fixed: "4.8.4718.0"}}}},
		{"Microsoft .NET Framework 4.6.2/4.7/4.7.1/4.7.2 versions antérieures à 4.7.04115.01", // CERTFR-2024-AVI-0855
			Entry{Kind: Product, Line: DotNetFramework, Ranges: []Range{{Branches: []string{"4.6.2", "4.7", "4.7.1", "4.7.2"}, Fixed: "4.7.04115.01"}}}},
		{"Microsoft .NET Framework 3.5 et 4.8", // CERTFR-2024-AVI-0022
			Entry{Kind: Product, Line: DotNetFramework, All: true, Unpatched: true, NoVersion: true, Ranges: []Range{{Branches: []string{"3.5", "4.8"}}}}},
		{"Microsoft .NET Framework 3.0 Service Pack 2", // CERTFR-2024-AVI-0024
			Entry{Kind: Product, Line: DotNetFramework, Context: "Service Pack 2", All: true, Unpatched: true, NoVersion: true, Ranges: []Range{{Branches: []string{"3.0"}}}}},
	}
	for _, c := range cases {
		got := Parse("Microsoft", "N/A", c.text)
		c.want.Text = c.text
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.text, got, c.want)
		}
	}
	// A fixed build written with commas is refused, not guessed.
	if e := Parse("Microsoft", "N/A", "Microsoft .NET Framework 3.5 et 4.7.2 versions antérieures à 3,5,04115.01"); e.Understood() {
		t.Errorf("comma build accepted: %+v", e)
	}
}
