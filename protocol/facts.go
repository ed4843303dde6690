package protocol

import (
	"encoding/json"
	"fmt"
	"math"
)

// Typed facts: the parts of a result's Facts that the hub reads (advisory
// matching, alerts) have a type here, so both sides agree on names and
// types instead of poking into map[string]any. The JSON keys are the ones
// agents have always written, so scorecards signed before these types
// existed read the same.

// Check IDs whose Facts carry PatchCounts.
const (
	CheckPatchPending         = "patch.pending-updates"
	CheckPatchSecurityPending = "patch.security-pending"
)

// PatchCounts is what the patch family counted of the updates waiting on a
// host (Facts of patch.pending and patch.security-pending).
type PatchCounts struct {
	Manager  string // package manager: apt, dnf, windows
	Pending  int    // updates waiting
	Security int    // of which fix vulnerabilities
	// Advisories is the number of distinct security advisories (dnf), 0
	// when the manager has none.
	Advisories int
	// OldestSecurityDays is the age of the oldest pending security update
	// (Windows Update dates them), nil when unknown.
	OldestSecurityDays *int
	// ListsAgeDays is the age of the package lists the counts come from
	// (apt), nil when unknown.
	ListsAgeDays *int
}

// Fact keys of PatchCounts.
const (
	factManager    = "manager"
	factPending    = "pending"
	factSecurity   = "security"
	factAdvisories = "advisories"
	factOldestSec  = "oldest_security_days"
	factListsAge   = "lists_age_days"
)

// maxFactCount bounds a count read from a scorecard: no host has a billion
// pending updates, and a bound keeps the int conversion exact everywhere.
const maxFactCount = 1 << 30

// Facts writes the counts under their keys into facts (created when nil)
// and returns it; other keys already there are kept. Optional fields are
// written only when known, as the patch family always did.
func (p PatchCounts) Facts(facts map[string]any) map[string]any {
	if facts == nil {
		facts = map[string]any{}
	}
	if p.Manager != "" {
		facts[factManager] = p.Manager
	}
	facts[factPending] = p.Pending
	facts[factSecurity] = p.Security
	if p.Advisories > 0 {
		facts[factAdvisories] = p.Advisories
	}
	if p.OldestSecurityDays != nil {
		facts[factOldestSec] = *p.OldestSecurityDays
	}
	if p.ListsAgeDays != nil {
		facts[factListsAge] = *p.ListsAgeDays
	}
	return facts
}

// PatchCountsOf reads the counts from a result's Facts, as the agent left
// them (int) or as they come out of a decoded scorecard (float64 or
// json.Number). ok is false when the result carries no counts (an error
// result, another check); err is set when it carries them malformed
// (a count that is not a whole number between 0 and 2^30).
func PatchCountsOf(r *Result) (p PatchCounts, ok bool, err error) {
	if r == nil || r.Facts == nil {
		return p, false, nil
	}
	_, hasP := r.Facts[factPending]
	_, hasS := r.Facts[factSecurity]
	if !hasP || !hasS {
		return p, false, nil
	}
	if m, found := r.Facts[factManager]; found {
		s, isString := m.(string)
		if !isString {
			return PatchCounts{}, true, fmt.Errorf("fact %s: %T, want a string", factManager, m)
		}
		p.Manager = s
	}
	for _, f := range []struct {
		key      string
		dst      *int
		optional **int
	}{
		{factPending, &p.Pending, nil}, {factSecurity, &p.Security, nil}, {factAdvisories, &p.Advisories, nil},
		{factOldestSec, nil, &p.OldestSecurityDays}, {factListsAge, nil, &p.ListsAgeDays},
	} {
		v, found := r.Facts[f.key]
		if !found {
			continue
		}
		n, err := factCount(v)
		if err != nil {
			return PatchCounts{}, true, fmt.Errorf("fact %s: %w", f.key, err)
		}
		if f.dst != nil {
			*f.dst = n
		} else {
			*f.optional = &n
		}
	}
	return p, true, nil
}

// factCount reads a whole, non-negative, bounded number.
func factCount(v any) (int, error) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case float64:
		f = x
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
	default:
		return 0, fmt.Errorf("%T, want a number", v)
	}
	if f < 0 || f > maxFactCount || f != math.Trunc(f) || math.IsNaN(f) {
		return 0, fmt.Errorf("%v is not a count (a whole number from 0 to %d)", f, maxFactCount)
	}
	return int(f), nil
}
