package main

import (
	"context"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/protocol"

	"github.com/vigie-cyber/vigie/checks"
)

// inventory collects the installed software for the scorecard.
var inventory func(ctx context.Context, h *checks.Host) ([]protocol.Package, error) = agent.Software
