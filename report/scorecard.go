// Package report turns check results into a scorecard: the versioned JSON
// model, scoring and maturity level, prioritised actions from the guidance
// catalogue, signed envelopes and the terminal and HTML renderers.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/vigie-cyber/vigie/checks"
)

// Schema is the scorecard format identifier. Fields are only ever added; a
// removed field's name is never reused (STYLE.md rule 12).
const Schema = "vigie.scorecard/v1"

// MaxScorecardSize bounds a decoded scorecard (same as the envelope).
const MaxScorecardSize = MaxEnvelopeSize

// Scorecard is one scan of one host.
type Scorecard struct {
	Schema       string          `json:"schema"`
	ID           string          `json:"id"`       // random, unique per scan
	AgentID      string          `json:"agent_id"` // KeyID of the signing key
	Entity       string          `json:"entity,omitempty"`
	Sector       string          `json:"sector,omitempty"`
	Sequence     uint64          `json:"sequence"` // strictly increasing per agent (replay protection)
	AgentVersion string          `json:"agent_version"`
	Host         checks.HostInfo `json:"host"`
	StartedAt    time.Time       `json:"started_at"`
	FinishedAt   time.Time       `json:"finished_at"`
	Results      []Result        `json:"results"`
	Domains      []DomainScore   `json:"domains"`
	Score        int             `json:"score"` // 0-100, mean of domain scores
	Level        Level           `json:"level"`
	LevelCapped  bool            `json:"level_capped,omitempty"` // a failed critical check lowered the level
	Actions      []Action        `json:"actions"`
	Software     []Package       `json:"software,omitempty"`
}

// Result is a check result with the metadata the hub needs to aggregate
// without the agent's catalogue.
type Result struct {
	checks.Result
	Domain   checks.Domain   `json:"domain"`
	Severity checks.Severity `json:"severity"`
	Refs     checks.Refs     `json:"refs"`
}

// Package is one installed software package (for CERT-FR alert matching).
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source,omitempty"`
}

// DomainScore is a domain's score and its counts.
type DomainScore struct {
	Domain checks.Domain `json:"domain"`
	Score  int           `json:"score"` // 0-100; -1 when nothing applicable
	Pass   int           `json:"pass"`
	Warn   int           `json:"warn"`
	Fail   int           `json:"fail"`
	NA     int           `json:"not_applicable"`
	Errors int           `json:"error"`
}

// Action is a prioritised recommendation drawn from a failed or warning check.
type Action struct {
	ID       string          `json:"id"`
	Target   string          `json:"target,omitempty"`
	Status   checks.Status   `json:"status"`
	Severity checks.Severity `json:"severity"`
	Domain   checks.Domain   `json:"domain"`
}

// Encode marshals the scorecard as indented JSON.
func (s *Scorecard) Encode() ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}

// ErrSchema is returned for a scorecard of an unknown schema.
var ErrSchema = errors.New("unknown scorecard schema")

// Decode parses and validates a scorecard.
func Decode(data []byte) (*Scorecard, error) {
	return decodeValid[Scorecard](data)
}

// decodeValid parses a bounded scorecard document into a T (the whole
// scorecard or its summary) and validates it.
func decodeValid[T any, PT interface {
	*T
	Validate() error
}](data []byte) (*T, error) {
	if len(data) > MaxScorecardSize {
		return nil, fmt.Errorf("scorecard too large: %d bytes", len(data))
	}
	v := new(T)
	if err := jsonv2.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	if err := PT(v).Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// Validate checks the invariants a consumer relies on (those of its
// summary: the hub files a scorecard on DecodeSummary alone).
func (s *Scorecard) Validate() error {
	return s.Summary().Validate()
}
