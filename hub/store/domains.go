package store

import (
	"encoding/json"
	"maps"

	"github.com/vigie-cyber/vigie/protocol"
)

// DomainScores are a scorecard's per-domain scores (0-100, NoScore when
// nothing applicable was seen), keyed by domain: every domain this hub
// knows, and any other the scorecard carries (a newer agent's), under its
// ID. Keys, not positions: a domain added to protocol.Domains, or listed in
// another order, cannot shift a score into another domain's column.
type DomainScores map[protocol.Domain]int

// Get returns the score of d, NoScore when the scorecard has none.
func (s DomainScores) Get(d protocol.Domain) int {
	if v, ok := s[d]; ok {
		return v
	}
	return NoScore
}

// ScoresOf returns the per-domain scores of a scorecard's summary: every
// domain this hub knows (NoScore when absent) and every other it carries.
func ScoresOf(domains []protocol.DomainScore) DomainScores {
	out := make(DomainScores, len(domainColumns)+1)
	for _, d := range domainColumns {
		out[d] = NoScore
	}
	for _, d := range domains {
		out[d.Domain] = d.Score
	}
	return out
}

// domainColumns are the per-domain columns of the scorecards and latest
// tables (migration 1), in column order. Domains without a column (from
// agents newer than this hub, or added later) are kept as a JSON object in
// d_other (migration 2), so that no schema change is needed to store them.
var domainColumns = [6]protocol.Domain{
	protocol.DomainPatch, protocol.DomainBackup, protocol.DomainHygiene,
	protocol.DomainTLS, protocol.DomainDNS, protocol.DomainOrganisation,
}

// splitDomains returns the column values of s: the six columns and d_other.
func splitDomains(s DomainScores) (cols [6]int, other string) {
	var extra map[protocol.Domain]int
	for i, d := range domainColumns {
		cols[i] = s.Get(d)
	}
	for d, v := range s {
		if !isColumn(d) {
			if extra == nil {
				extra = map[protocol.Domain]int{}
			}
			extra[d] = v
		}
	}
	if extra == nil {
		return cols, ""
	}
	b, _ := json.Marshal(extra) // a map of strings to ints always marshals; keys sorted
	return cols, string(b)
}

// joinDomains is the inverse of splitDomains. A d_other the hub cannot read
// (it writes only what splitDomains makes) loses only the extra domains,
// never the row.
func joinDomains(cols [6]int, other string) DomainScores {
	out := make(DomainScores, len(cols))
	for i, d := range domainColumns {
		out[d] = cols[i]
	}
	if other != "" {
		var extra map[protocol.Domain]int
		if json.Unmarshal([]byte(other), &extra) == nil {
			maps.Copy(out, extra)
		}
	}
	return out
}

func isColumn(d protocol.Domain) bool {
	for _, c := range domainColumns {
		if c == d {
			return true
		}
	}
	return false
}
