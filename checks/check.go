// Package checks defines what a check is, the host it observes, and the runner
// that executes many checks with deadlines and panic isolation. It knows
// nothing of scoring or transport (see report/ and agent/).
package checks

import (
	"context"
	"fmt"
	"time"
)

// Status is the outcome of one check.
type Status string

const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Warn          Status = "warn"
	NotApplicable Status = "not-applicable"
	Error         Status = "error"
)

// Applicable reports whether the status counts in a score: not-applicable and
// error results leave the denominator so that "no data" never counts as a pass.
func (s Status) Applicable() bool { return s == Pass || s == Fail || s == Warn }

// Severity ranks how much a failure matters.
type Severity string

const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Rank orders severities, most severe first (0 = critical).
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 0
	case High:
		return 1
	case Medium:
		return 2
	case Low:
		return 3
	default:
		return 4
	}
}

// Domain groups checks into the scorecard's domains.
type Domain string

const (
	DomainTLS          Domain = "tls"
	DomainDNS          Domain = "dns"
	DomainPatch        Domain = "patch"
	DomainBackup       Domain = "backup"
	DomainHygiene      Domain = "hygiene"
	DomainOrganisation Domain = "organisation"
)

// Domains lists every domain in display order.
var Domains = []Domain{DomainPatch, DomainBackup, DomainHygiene, DomainTLS, DomainDNS, DomainOrganisation}

// Refs ties a check to the reference frames advisers use.
type Refs struct {
	ANSSI []int    `json:"anssi,omitempty"` // ANSSI hygiene guide v2 measure numbers (1-42)
	CIS   []string `json:"cis,omitempty"`   // CIS Controls v8 IG1 safeguards, e.g. "7.3"
	NIS2  []string `json:"nis2,omitempty"`  // NIS2 art. 21(2) letters, e.g. "e"
}

// Meta is a check's identity and metadata. ID is stable and dotted
// ("patch.security-pending"); it keys the guidance catalogue.
type Meta struct {
	ID       string
	Version  int // bump when the check's logic changes meaning
	Domain   Domain
	Severity Severity
	Refs     Refs
	// Priority is the MonAideCyber rank of the measure this check supports
	// (1 = first); 0 means unranked. It orders actions of equal severity.
	Priority int
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
	Run(ctx context.Context, h *Host) Result
}

// Result is what a check saw. The runner fills ID, Version, Target, timing.
type Result struct {
	ID       string         `json:"id"`
	Version  int            `json:"version"`
	Target   string         `json:"target,omitempty"`
	Status   Status         `json:"status"`
	Evidence Text           `json:"evidence"`
	Facts    map[string]any `json:"facts,omitempty"`
	Declared bool           `json:"declared,omitempty"`
	Duration time.Duration  `json:"duration_ns,format:nano"`
}

// Func adapts a function into a Check.
type Func struct {
	M Meta
	F func(ctx context.Context, h *Host) Result
}

func (f Func) Meta() Meta                              { return f.M }
func (f Func) Run(ctx context.Context, h *Host) Result { return f.F(ctx, h) }

// Text is a message in French and English. Checks write evidence in both so
// the scorecard can be read in either language without the agent.
type Text struct {
	FR string `json:"fr"`
	EN string `json:"en"`
}

// Textf formats the same arguments into a French and an English template.
func Textf(fr, en string, args ...any) Text {
	return Text{FR: fmt.Sprintf(fr, args...), EN: fmt.Sprintf(en, args...)}
}

// In returns the text in lang ("fr" or "en"), falling back to French.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.FR
}

// Constructors for results; facts may be nil.

func Passed(ev Text, facts map[string]any) Result {
	return Result{Status: Pass, Evidence: ev, Facts: facts}
}
func Failed(ev Text, facts map[string]any) Result {
	return Result{Status: Fail, Evidence: ev, Facts: facts}
}
func Warned(ev Text, facts map[string]any) Result {
	return Result{Status: Warn, Evidence: ev, Facts: facts}
}

// Skipped is a not-applicable result with its reason; a check that does not
// apply says why instead of disappearing (STYLE.md rule 5).
func Skipped(reason Text) Result { return Result{Status: NotApplicable, Evidence: reason} }

// Errored turns an error into an error result with a bilingual prefix.
func Errored(what Text, err error) Result {
	return Result{Status: Error, Evidence: Text{
		FR: fmt.Sprintf("%s : %v", what.FR, err),
		EN: fmt.Sprintf("%s: %v", what.EN, err),
	}}
}
