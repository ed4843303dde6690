package catalogue

import (
	"strings"
	"testing"
)

// TestLoadMergesEveryFamily: the merged catalogue holds each family's own
// entries, and no family's file is empty (a lost embed would be silent
// otherwise: the registry test only sees IDs, not which file they came from).
func TestLoadMergesEveryFamily(t *testing.T) {
	t.Parallel()
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, f := range families {
		c, err := f()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) == 0 {
			t.Errorf("family %d has an empty guidance file", i)
		}
		for id, g := range c {
			if cat[id] != g {
				t.Errorf("%s: merged guidance differs from its family's", id)
			}
		}
		total += len(c)
	}
	if len(cat) != total {
		t.Errorf("merged catalogue has %d entries, families have %d", len(cat), total)
	}
	for _, prefix := range []string{"ad.", "backup.", "dns.", "hygiene.", "org.", "patch.", "tls."} {
		found := false
		for id := range cat {
			found = found || strings.HasPrefix(id, prefix)
		}
		if !found {
			t.Errorf("no guidance for any %s* check", prefix)
		}
	}
}
