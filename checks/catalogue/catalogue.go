// Package catalogue merges the guidance of every check family into one
// catalogue keyed by check ID. It reads only the families' guidance
// sub-packages (data), never the families themselves, so the hub shows
// advice without linking the checks, miekg/dns or gopsutil. The registry
// test (checks/registry) ties this list to the registry's list of families:
// a family missing here leaves its checks without guidance and fails it.
package catalogue

import (
	"fmt"

	"github.com/vigie-cyber/vigie/checks"
	ad "github.com/vigie-cyber/vigie/checks/ad/guidance"
	backup "github.com/vigie-cyber/vigie/checks/backup/guidance"
	dns "github.com/vigie-cyber/vigie/checks/dns/guidance"
	hygiene "github.com/vigie-cyber/vigie/checks/hygiene/guidance"
	organisation "github.com/vigie-cyber/vigie/checks/organisation/guidance"
	patch "github.com/vigie-cyber/vigie/checks/patch/guidance"
	tls "github.com/vigie-cyber/vigie/checks/tls/guidance"
)

// families lists every family's guidance; add a line here when a family is
// added to checks/registry.
var families = []func() (checks.Catalogue, error){
	ad.Catalogue,
	backup.Catalogue,
	dns.Catalogue,
	hygiene.Catalogue,
	organisation.Catalogue,
	patch.Catalogue,
	tls.Catalogue,
}

// Load returns the merged guidance catalogue of every family.
func Load() (checks.Catalogue, error) {
	var cs []checks.Catalogue
	for _, f := range families {
		c, err := f()
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	c, err := checks.Merge(cs...)
	if err != nil {
		return nil, fmt.Errorf("guidance: %w", err)
	}
	return c, nil
}
