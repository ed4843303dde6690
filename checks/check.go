// Package checks defines what a check is, the host it observes, and the runner
// that executes many checks with deadlines and panic isolation. It knows
// nothing of scoring or transport (see report/ and agent/); the vocabularies
// a check speaks (status, severity, domain, result) are the contract's
// (package protocol).
package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// Meta is a check's identity and metadata. ID is stable and dotted
// ("patch.security-pending"); it keys the guidance catalogue.
type Meta struct {
	ID       string
	Version  int // bump when the check's logic changes meaning
	Domain   protocol.Domain
	Severity protocol.Severity
	Refs     protocol.Refs
	// OS restricts the check to these GOOS values; empty means every OS.
	OS []string
	// Target names what the check looks at when a family instantiates the
	// same check several times (a TLS endpoint, a domain); empty for the host.
	Target string
	// Timeout overrides the runner's default per-check deadline.
	Timeout time.Duration
	// Declared marks results that come from the questionnaire, not observation.
	Declared bool
}

// Check observes one thing about a host.
type Check interface {
	Meta() Meta
	Run(ctx context.Context, h *Host) protocol.Result
}

// Func adapts a function into a Check.
type Func struct {
	M Meta
	F func(ctx context.Context, h *Host) protocol.Result
}

func (f Func) Meta() Meta                                       { return f.M }
func (f Func) Run(ctx context.Context, h *Host) protocol.Result { return f.F(ctx, h) }

// Constructors for results; facts may be nil. The runner fills the ID,
// version, target, timing, domain, severity and references from the check's
// metadata.

func Passed(ev protocol.Text, facts map[string]any) protocol.Result {
	return protocol.Result{Status: protocol.Pass, Evidence: ev, Facts: facts}
}
func Failed(ev protocol.Text, facts map[string]any) protocol.Result {
	return protocol.Result{Status: protocol.Fail, Evidence: ev, Facts: facts}
}
func Warned(ev protocol.Text, facts map[string]any) protocol.Result {
	return protocol.Result{Status: protocol.Warn, Evidence: ev, Facts: facts}
}

// Skipped is a not-applicable result with its reason; a check that does not
// apply says why instead of disappearing (STYLE.md rule 5).
func Skipped(reason protocol.Text) protocol.Result {
	return protocol.Result{Status: protocol.NotApplicable, Evidence: reason}
}

// Errored turns an error into an error result with a bilingual prefix.
func Errored(what protocol.Text, err error) protocol.Result {
	return protocol.Result{Status: protocol.Error, Evidence: protocol.Text{
		FR: fmt.Sprintf("%s : %v", what.FR, err),
		EN: fmt.Sprintf("%s: %v", what.EN, err),
	}}
}
