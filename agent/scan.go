// Package agent is the service body: configuration, scan pipeline, state,
// schedule, spool, enrolment and upload.
package agent

import (
	"context"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/checks/inventory"
	"github.com/vigie-cyber/vigie/checks/registry"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// Version is the agent version, set at build time with -ldflags "-X ...".
var Version = "0.1.0-dev"

// ScanOptions is what one scan needs besides the host.
type ScanOptions struct {
	Targets  registry.Config
	Run      checks.RunOptions
	AgentID  string
	Entity   string
	Sequence uint64
	// Only, when not nil, restricts the scan to these families (domains):
	// a partial scan, for a person at a terminal, never signed for the hub.
	Only []protocol.Domain
	// Inventory, when set, collects the software inventory.
	Inventory func(ctx context.Context, h *checks.Host) ([]protocol.Package, error)
	// Assets are the appliances declared in the configuration.
	Assets []protocol.Asset
}

// Scan runs every registered check on h and assembles the scorecard. It is
// the one scan pipeline shared by `vigie scan` and the service, so that a
// scan on demand and a scheduled one produce the same scorecard.
func Scan(ctx context.Context, h *checks.Host, opt ScanOptions) *protocol.Scorecard {
	start := h.Now()
	list := registry.Checks(opt.Targets)
	if opt.Only != nil {
		list = slices.DeleteFunc(list, func(c checks.Check) bool { return !slices.Contains(opt.Only, c.Meta().Domain) })
	}
	results := checks.RunAll(ctx, h, list, opt.Run)
	info, _ := h.Facts.Info(ctx) // best effort: a scorecard without host facts is still a scorecard
	// What advisories name the system by (build, release, codename, running
	// kernel's package): best effort too, an empty field meaning unknown.
	inventory.HostFacts(h, &info)
	var sw []protocol.Package
	collected := false
	if opt.Inventory != nil {
		ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
		var err error
		sw, err = opt.Inventory(ictx, h)
		collected = err == nil
		cancel()
	}
	// The catalogue ranks the measures of the restitution; a catalogue
	// that does not load is a build defect the registry tests catch, and
	// the scorecard is still built (actions in severity order).
	cat, _ := catalogue.Load()
	sc := report.Build(report.Scan{
		Catalogue:    cat,
		Checks:       list,
		Results:      results,
		Host:         info,
		StartedAt:    start,
		FinishedAt:   h.Now(),
		AgentID:      opt.AgentID,
		Entity:       opt.Entity,
		Sector:       opt.Targets.Sector,
		AgentVersion: Version,
		Sequence:     opt.Sequence,
		Software:     sw,
	})
	if collected {
		// Named even when empty: "nothing installed" is not "not read".
		sc.Software = protocol.SortPackages(sc.Software)
		sc.SoftwareSHA256 = protocol.SoftwareSHA256(sc.Software)
	} else {
		sc.Software = nil // a partial inventory would read as "not installed"
	}
	sc.Assets = opt.Assets
	return sc
}

// Software collects the host's software inventory for the scorecard, so a
// region can find every entity running a product named in a CERT-FR alert.
func Software(ctx context.Context, h *checks.Host) ([]protocol.Package, error) {
	return inventory.Software(ctx, h)
}
