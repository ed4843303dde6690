package report

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Scan is everything a scorecard is assembled from.
type Scan struct {
	Checks       []checks.Check    // as run, same order as Results
	Results      []protocol.Result // from checks.RunAll
	Host         protocol.HostInfo
	StartedAt    time.Time
	FinishedAt   time.Time
	AgentID      string
	Entity       string
	Sector       string
	AgentVersion string
	Sequence     uint64
	Software     []protocol.Package
	// Catalogue gives each measure its rank in the restitution
	// (Prioritise); nil leaves the actions in severity order.
	Catalogue checks.Catalogue
}

// Build assembles, scores and prioritises a scorecard.
func Build(s Scan) *protocol.Scorecard {
	results := make([]protocol.Result, len(s.Results))
	for i, r := range s.Results {
		m := s.Checks[i].Meta()
		r.Domain, r.Severity, r.Refs = m.Domain, m.Severity, m.Refs
		results[i] = r
	}
	return &protocol.Scorecard{
		Header: protocol.Header{
			Schema:       protocol.Schema,
			ID:           NewID(),
			AgentID:      s.AgentID,
			Entity:       s.Entity,
			Sector:       s.Sector,
			Sequence:     s.Sequence,
			AgentVersion: s.AgentVersion,
			Host:         s.Host,
			StartedAt:    s.StartedAt.UTC(),
			FinishedAt:   s.FinishedAt.UTC(),
		},
		Results:  results,
		Scores:   Score(results),
		Actions:  Prioritise(results, func(id string) int { return s.Catalogue[id].Rank }),
		Software: s.Software,
	}
}

// NewID returns a random 128-bit identifier, hex.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
