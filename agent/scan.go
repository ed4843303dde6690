// Package agent is the service body: configuration, scan pipeline, state,
// schedule, spool, enrolment and upload.
package agent

import (
	"context"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/patch"
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
	var sw []protocol.Package
	if opt.Inventory != nil {
		ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
		sw, _ = opt.Inventory(ictx, h)
		cancel()
	}
	// The catalogue ranks the measures of the restitution; a catalogue
	// that does not load is a build defect the registry tests catch, and
	// the scorecard is still built (actions in severity order).
	cat, _ := registry.Guidance()
	return report.Build(report.Scan{
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
}

// Software collects the host's software inventory for the scorecard, so a
// region can find every entity running a product named in a CERT-FR alert.
func Software(ctx context.Context, h *checks.Host) ([]protocol.Package, error) {
	pkgs, err := patch.Software(ctx, h)
	out := make([]protocol.Package, len(pkgs))
	for i, p := range pkgs {
		out[i] = protocol.Package{Name: p.Name, Version: p.Version, Source: p.Source}
	}
	return out, err
}
