package match

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestMemoAgreesWithPut: the exposures a re-match finds evaluating each
// rule once per variant (MatchAll, PutAdvisory) are exactly those found
// evaluating every host's items one by one (Put into a region that already
// holds the advisories), on synthetic hosts sharing versions and builds,
// Windows clients and servers (full and Core) and Debian servers with and
// without a known running kernel.
func TestMemoAgreesWithPut(t *testing.T) {
	tab := table(t)
	docs := loadDocs(t)
	key := func(e Exposure) string {
		return fmt.Sprintf("%s|%d|%s|%s|%s|%s|%s|%s|%s", e.Advisory, e.Entry, e.Host, e.Entity, e.Product, e.InstalledVersion, e.FixedVersion, e.Confidence, e.Source)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var hosts []*Inventory
	for i := range 300 {
		inv := synthHost(rng, i)
		inv.Software = inv.Software[:40] // the products the table knows come first
		hosts = append(hosts, inv)
	}

	// Advisories first, then each host evaluated item by item.
	byItem := NewRegion(tab)
	for _, d := range docs {
		byItem.PutAdvisory(Compile(d, tab))
	}
	var want []string
	for _, inv := range hosts {
		for _, e := range byItem.Put(inv) {
			want = append(want, key(e))
		}
	}
	// Hosts first, then each advisory evaluated once per variant.
	byVariant := NewRegion(tab)
	for _, inv := range hosts {
		if n := len(byVariant.Put(inv)); n != 0 {
			t.Fatalf("exposures without advisories: %d", n)
		}
	}
	var fromPut []string
	for _, d := range docs {
		for _, e := range byVariant.PutAdvisory(Compile(d, tab)) {
			fromPut = append(fromPut, key(e))
		}
	}
	var all []string
	byVariant.MatchAll(func(e Exposure) { all = append(all, key(e)) })
	sort.Strings(want)
	for name, got := range map[string][]string{"PutAdvisory": fromPut, "MatchAll": all} {
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %d exposures, item by item: %d", name, len(got), len(want))
		}
	}
	if len(want) < 1000 {
		t.Errorf("only %d exposures: the hosts do not exercise the rules", len(want))
	}
}
