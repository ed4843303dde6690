package match

import (
	"fmt"
	"sort"
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
)

// microsoftLines are affected-system entries as CERT-FR writes Microsoft's:
// product "N/A", the whole line in the description.
func microsoftLines(texts ...string) []advisory.AffectedSystem {
	var out []advisory.AffectedSystem
	for _, s := range texts {
		out = append(out, advisory.AffectedSystem{Description: s, Product: advisory.Product{Name: "N/A", Vendor: advisory.Vendor{Name: "Microsoft"}}})
	}
	return out
}

// exposureLine is an exposure as the tests compare them.
func exposureLine(e Exposure) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s", e.Host, e.Advisory, e.Product, e.InstalledVersion, e.FixedVersion, e.Confidence)
}

// exposuresOf compiles docs (every entry must be understood), puts them in
// a new region, then the inventories, and returns the exposures found,
// sorted.
func exposuresOf(t *testing.T, tab *alias.Table, docs []*advisory.Document, invs []*Inventory) []string {
	t.Helper()
	r := NewRegion(tab)
	for _, d := range docs {
		a := Compile(d, tab)
		if len(a.Review) != 0 {
			t.Fatalf("%s: review %+v", d.Reference, a.Review)
		}
		r.PutAdvisory(a)
	}
	var got []string
	for _, inv := range invs {
		for _, e := range r.Put(inv) {
			got = append(got, exposureLine(e))
		}
	}
	sort.Strings(got)
	return got
}
