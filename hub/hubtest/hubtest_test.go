package hubtest

import (
	"testing"

	"github.com/vigie-cyber/vigie/checks/registry"
)

// TestCatalogueIDsAreRegistered keeps the hub's test scorecards made of
// checks the agent really has, so UI tests exercise real guidance.
func TestCatalogueIDsAreRegistered(t *testing.T) {
	t.Parallel()
	real := map[string]bool{}
	for _, m := range registry.Metas(registry.Config{TLSEndpoints: []string{"x:443"}, Domains: []string{"x.example"}}) {
		real[m.ID] = true
	}
	for _, m := range Catalogue {
		if !real[m.ID] {
			t.Errorf("%s is not a registered check", m.ID)
		}
	}
}
