package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// Schema is the scorecard format identifier. Fields are only ever added; a
// removed field's name is never reused (STYLE.md rule 12).
const Schema = "vigie.scorecard/v1"

// MaxScorecardSize bounds a decoded scorecard (same as the envelope).
const MaxScorecardSize = MaxEnvelopeSize

// Header identifies one scan of one host: who, what, when. The whole
// scorecard and its summary share it.
type Header struct {
	Schema       string    `json:"schema"`
	ID           string    `json:"id"`       // random, unique per scan
	AgentID      string    `json:"agent_id"` // KeyID of the signing key
	Entity       string    `json:"entity,omitempty"`
	Sector       string    `json:"sector,omitempty"`
	Sequence     uint64    `json:"sequence"` // strictly increasing per agent (replay protection)
	AgentVersion string    `json:"agent_version"`
	Host         HostInfo  `json:"host"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
}

// Scores is a scan's verdict: per-domain scores, the overall score and the
// maturity level. The whole scorecard and its summary share it.
type Scores struct {
	Domains     []DomainScore `json:"domains"`
	Score       int           `json:"score"` // 0-100, mean of domain scores
	Level       Level         `json:"level"`
	LevelCapped bool          `json:"level_capped,omitempty"` // a cap lowered the level (LevelCap says which)
	// LevelCap is the rule that held the level down and CappedBy the
	// checks that triggered it (empty for the organisation rule).
	LevelCap LevelCap `json:"level_cap,omitempty"`
	CappedBy []string `json:"capped_by,omitempty"`
}

// Scorecard is one scan of one host. The JSON field order (header, results,
// scores, actions, software, software_sha256, assets) is the published one.
type Scorecard struct {
	Header  `json:",inline"`
	Results []Result `json:"results"`
	Scores  `json:",inline"`
	Actions []Action `json:"actions"`
	// Software is the full inventory, sent when it changed since the last
	// one the hub acknowledged, every InventoryRefresh, or when the hub
	// asked for it (IngestResponse.SendInventory); otherwise left out and
	// SoftwareSHA256 alone names it.
	Software []Package `json:"software,omitempty"`
	// SoftwareSHA256 is SoftwareSHA256(Software) of the inventory collected
	// by this scan, whether or not Software is sent; empty when no
	// inventory could be collected.
	SoftwareSHA256 string `json:"software_sha256,omitempty"`
	// Assets are the appliances declared in the agent's configuration
	// (firewalls, NAS, hypervisors), always sent in full.
	Assets []Asset `json:"assets,omitempty"`
}

// DomainScore is a domain's score and its counts.
type DomainScore struct {
	Domain Domain `json:"domain"`
	Score  int    `json:"score"` // 0-100; -1 when nothing applicable
	Pass   int    `json:"pass"`
	Warn   int    `json:"warn"`
	Fail   int    `json:"fail"`
	NA     int    `json:"not_applicable"`
	Errors int    `json:"error"`
}

// NoScore is a domain score meaning "nothing applicable was seen".
const NoScore = -1

// Action is a prioritised recommendation drawn from a failed or warning check.
type Action struct {
	ID       string   `json:"id"`
	Target   string   `json:"target,omitempty"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"`
	Domain   Domain   `json:"domain"`
}

// Summary is what the hub files a scorecard under: its header, its scores
// and the identifier and status of each result. It leaves out the evidence,
// facts, references, actions and software inventory, which only a page
// showing that one scorecard needs.
//
// DecodeSummary reads a payload 1.4 to 1.7 times as fast as Decode, with a
// tenth of the allocations or fewer (BenchmarkDecodeSummary in report), a
// tenth of the hub's CPU per upload. The whole document is still checked as
// JSON (UTF-8, no duplicate names, nothing after it) and every field read
// here is checked for its type and range; the fields skipped are not typed,
// so a signed scorecard with, say, a number where evidence should be is
// filed and then shown as unreadable on its page rather than refused on
// upload.
type Summary struct {
	Header  `json:",inline"`
	Results []ResultStatus `json:"results"`
	Scores  `json:",inline"`
	// SoftwareSHA256 names the host's inventory (the hub files the
	// inventory itself, when sent, by this name).
	SoftwareSHA256 string `json:"software_sha256,omitempty"`
}

// ResultStatus is a result as the summary keeps it.
type ResultStatus struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
}

// Summary returns the scorecard's summary.
func (s *Scorecard) Summary() *Summary {
	sum := &Summary{Header: s.Header, Scores: s.Scores, SoftwareSHA256: s.SoftwareSHA256}
	if s.Results != nil {
		sum.Results = make([]ResultStatus, len(s.Results))
	}
	for i, r := range s.Results {
		sum.Results[i] = ResultStatus{ID: r.ID, Status: r.Status}
	}
	return sum
}

// Encode marshals the scorecard as indented JSON (for people reading
// --json files; the signed payload is compact, see SignScorecard).
func (s *Scorecard) Encode() ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}

// ErrSchema is returned for a scorecard of an unknown schema.
var ErrSchema = errors.New("unknown scorecard schema")

// Decode parses and validates a scorecard.
func Decode(data []byte) (*Scorecard, error) {
	return decodeValid[Scorecard](data)
}

// DecodeSummary parses a scorecard's summary and validates it as Decode
// validates a whole scorecard.
func DecodeSummary(data []byte) (*Summary, error) {
	return decodeValid[Summary](data)
}

// decodeValid parses a bounded scorecard document into a T (the whole
// scorecard or its summary) and validates it. Unknown fields are ignored:
// they come from newer agents (forward compatibility).
func decodeValid[T any, PT interface {
	*T
	Validate() error
}](data []byte) (*T, error) {
	if len(data) > MaxScorecardSize {
		return nil, fmt.Errorf("scorecard too large: %d bytes", len(data))
	}
	v := new(T)
	// JSON v2 (the reference implementation of encoding/json/v2): about
	// 3.5 times faster than encoding/json on scorecards, which is most of
	// the hub's ingestion cost; it also refuses duplicate names, invalid
	// UTF-8 and trailing data, which a signed document should never contain.
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

// MaxIDLen bounds a scorecard's and a result's identifier.
const (
	MaxIDLen       = 64
	MaxResultIDLen = 100
)

// Validate checks the invariants a consumer relies on. It accepts what a
// newer agent may send (unknown statuses, domains and check IDs: see the
// package comment) and refuses what no agent may send: identifiers with
// control characters, scores and levels out of range.
func (s *Summary) Validate() error {
	if s.Schema != Schema {
		return fmt.Errorf("%w %q (want %q)", ErrSchema, s.Schema, Schema)
	}
	if s.ID == "" || len(s.ID) > MaxIDLen || hasControl(s.ID) {
		return errors.New("scorecard: id missing, too long or with control characters")
	}
	if s.Level < 0 || s.Level > MaxLevel {
		return fmt.Errorf("scorecard: level %d out of range", s.Level)
	}
	if s.Score < 0 || s.Score > 100 {
		return fmt.Errorf("scorecard: score %d out of range", s.Score)
	}
	for _, d := range s.Domains {
		if d.Score < NoScore || d.Score > 100 {
			return fmt.Errorf("scorecard: domain %q score %d out of range", d.Domain, d.Score)
		}
		if d.Domain == "" || len(d.Domain) > MaxIDLen || hasControl(string(d.Domain)) {
			return errors.New("scorecard: domain score without a valid domain")
		}
	}
	if s.SoftwareSHA256 != "" && !isSHA256Hex(s.SoftwareSHA256) {
		return errors.New("scorecard: software_sha256 is not 64 lowercase hex digits")
	}
	for _, r := range s.Results {
		if r.ID == "" || len(r.ID) > MaxResultIDLen || hasControl(r.ID) {
			return errors.New("scorecard: result without a valid id")
		}
		if r.Status == "" || len(r.Status) > MaxIDLen || hasControl(string(r.Status)) {
			return fmt.Errorf("scorecard: result %s has no valid status", r.ID)
		}
	}
	return nil
}

// isSHA256Hex reports whether s is a SHA-256 in lowercase hex.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
