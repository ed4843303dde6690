package main

import (
	"context"
	"github.com/vigie-cyber/vigie/agent"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/report"
)

// inventory collects the installed software for the scorecard.
var inventory func(ctx context.Context, h *checks.Host) ([]report.Package, error) = agent.Software
