package report

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/vigie-cyber/vigie/checks"
)

// Scan is everything a scorecard is assembled from.
type Scan struct {
	Checks       []checks.Check  // as run, same order as Results
	Results      []checks.Result // from checks.RunAll
	Host         checks.HostInfo
	StartedAt    time.Time
	FinishedAt   time.Time
	AgentID      string
	Entity       string
	Sector       string
	AgentVersion string
	Sequence     uint64
	Software     []Package
}

// Build assembles, scores and prioritises a scorecard.
func Build(s Scan) *Scorecard {
	prio := map[string]int{}
	results := make([]Result, len(s.Results))
	for i, r := range s.Results {
		m := s.Checks[i].Meta()
		results[i] = Result{Result: r, Domain: m.Domain, Severity: m.Severity, Refs: m.Refs}
		if m.Priority > 0 {
			prio[m.ID] = m.Priority
		}
	}
	domains, overall, level, capped := Score(results)
	return &Scorecard{
		Schema:       Schema,
		ID:           NewID(),
		AgentID:      s.AgentID,
		Entity:       s.Entity,
		Sector:       s.Sector,
		Sequence:     s.Sequence,
		AgentVersion: s.AgentVersion,
		Host:         s.Host,
		StartedAt:    s.StartedAt.UTC(),
		FinishedAt:   s.FinishedAt.UTC(),
		Results:      results,
		Domains:      domains,
		Score:        overall,
		Level:        level,
		LevelCapped:  capped,
		Actions:      Prioritise(results, func(id string) int { return prio[id] }),
		Software:     s.Software,
	}
}

// NewID returns a random 128-bit identifier, hex.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
