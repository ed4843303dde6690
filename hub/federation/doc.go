// Package federation is what a regional hub tells the national hub: a
// daily aggregate of its region's maturity, per sector and size band,
// signed with the regional hub's key, from which no entity can be told
// apart. It holds the document (versioned: docs/federation.md), how a
// regional hub builds it from its hosts' scorecards with the withholding
// rule, and how it pushes it (signed, to a pinned national hub, catching
// up the days it missed).
package federation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/vigie-cyber/vigie/hub/cohort"
)

// SchemaVersion is the aggregate document's version (its "schema" field).
// A change that a national hub of this version could misread takes a new
// version; the national hub refuses versions it does not know.
const SchemaVersion = 1

// PayloadType identifies an aggregate inside a DSSE envelope.
const PayloadType = "application/vnd.vigie.aggregate.v1+json"

// MinEntities is the withholding threshold: a count over fewer entities
// is never published (the rule, the same as the regional pages'
// aggregate minimum). A hub may use a higher one, never a lower one.
const MinEntities = cohort.MinEntities

// MaxDocument bounds an aggregate (and its envelope) on both sides: a
// region's cells, checks and advisories fit in a few tens of kilobytes.
const MaxDocument = 1 << 20

// Limits on a document's lists, checked by Validate.
const (
	MaxCells      = 200
	MaxFailing    = 10 // the most frequent failing checks per cell
	MaxAdvisories = 2000
)

// Aggregate is one region's day.
type Aggregate struct {
	Schema int `json:"schema"`
	// Region is the name the regional hub pushes under; the national hub
	// files the document under the name it registered for the key and
	// refuses a document naming another region.
	Region string `json:"region"`
	// Day is the UTC day (AAAA-MM-JJ) the figures describe: each host's
	// latest scorecard received before the end of that day (AsOf), or
	// before GeneratedAt for the current day.
	Day         string    `json:"day"`
	AsOf        time.Time `json:"as_of"`
	GeneratedAt time.Time `json:"generated_at"`
	// MinEntities is the withholding threshold the region applied.
	MinEntities int    `json:"min_entities"`
	Cells       []Cell `json:"cells"`
	// ExposuresIncluded is false for a past day computed afterwards
	// (catch-up): exposures are matched against the current advisories
	// and cannot be recomputed for a past day.
	ExposuresIncluded bool            `json:"exposures_included"`
	Advisories        []AdvisoryCount `json:"advisories"`
}

// Cell is one sector and size band of the region: its assessed entities
// (those with at least one host that reported by AsOf).
type Cell struct {
	Sector   string `json:"sector"`
	SizeBand string `json:"size_band"` // a hub/cohort band ID, "" when the entities have none
	// Withheld: fewer than MinEntities entities; nothing else is given.
	Withheld bool  `json:"withheld"`
	Entities Count `json:"entities"`
	// Levels are the entities per level 0 to 4 (5 counts).
	Levels  []Count      `json:"levels,omitempty"`
	Domains []DomainStat `json:"domains,omitempty"`
	// Failing are the checks failing at the most entities of the cell,
	// each at MinEntities entities at least, most first (MaxFailing).
	Failing []CheckCount `json:"failing,omitempty"`
}

// DomainStat is the quartiles of one domain's scores over the cell's
// entities that have one. Withheld (no figures) when fewer than
// MinEntities entities have a score in the domain.
type DomainStat struct {
	Domain   string   `json:"domain"`
	Withheld bool     `json:"withheld"`
	Q1       *float64 `json:"q1,omitempty"`
	Median   *float64 `json:"median,omitempty"`
	Q3       *float64 `json:"q3,omitempty"`
}

// CheckCount is a check failing at Entities entities of a cell.
type CheckCount struct {
	Check    string `json:"check"`
	Entities int    `json:"entities"`
}

// AdvisoryCount is, for one CERT-FR advisory, the region's exposed
// entities and hosts (hosts withheld with the entities).
type AdvisoryCount struct {
	Advisory string `json:"advisory"`
	Entities Count  `json:"entities"`
	Hosts    Count  `json:"hosts"`
}

// Count is a published count, or a withheld one (never zero in its
// place): it reads as a JSON number, or the string "withheld".
type Count struct {
	N        int
	Withheld bool
}

// Withheld is the count that is not published.
var Withheld = Count{Withheld: true}

const withheldWord = "withheld"

func (c Count) MarshalJSON() ([]byte, error) {
	if c.Withheld {
		return []byte(`"` + withheldWord + `"`), nil
	}
	return []byte(fmt.Sprint(c.N)), nil
}

func (c *Count) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte(`"`+withheldWord+`"`)) {
		*c = Withheld
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("un effectif est un entier ou %q", withheldWord)
	}
	*c = Count{N: n}
	return nil
}

// Errors of Decode and Validate.
var (
	ErrTooLarge    = errors.New("document trop volumineux")
	ErrSchema      = errors.New("version de schéma inconnue")
	ErrInvalid     = errors.New("document invalide")
	ErrNotWithheld = errors.New("effectif de moins de 5 entités publié")
)

var (
	dayRE    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	nameRE   = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._'-]{0,79}$`)
	tokenRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	advRE    = regexp.MustCompile(`^CERTFR-\d{4}-(AVI|ALE)-\d{3,5}$`)
	checkIDs = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,79}$`)
)

// ValidRegion reports whether name may name a region: letters, digits,
// spaces and . _ ' -, 80 characters at most.
func ValidRegion(name string) bool { return nameRE.MatchString(name) }

// Decode reads an aggregate (the payload of a verified envelope) and
// validates it. Unknown fields, duplicate keys and trailing data are
// refused: a signed document never carries them.
func Decode(payload []byte) (*Aggregate, error) {
	if len(payload) > MaxDocument {
		return nil, fmt.Errorf("%w : %d octets (limite %d)", ErrTooLarge, len(payload), MaxDocument)
	}
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return nil, fmt.Errorf("%w : JSON illisible : %v", ErrInvalid, err)
	}
	if head.Schema != SchemaVersion {
		return nil, fmt.Errorf("%w : %d (ce hub connaît la version %d)", ErrSchema, head.Schema, SchemaVersion)
	}
	var a Aggregate
	if err := jsonv2.Unmarshal(payload, &a, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("%w : %v", ErrInvalid, err)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

// Validate checks a document's form and the withholding rule: every
// published count is at least MinEntities, and a withheld cell publishes
// nothing else. The national hub refuses a document breaking it, whoever
// signed it.
func (a *Aggregate) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w : "+format, append([]any{ErrInvalid}, args...)...)
	}
	if a.Schema != SchemaVersion {
		return fmt.Errorf("%w : %d", ErrSchema, a.Schema)
	}
	if !ValidRegion(a.Region) {
		return bad("nom de région %q", a.Region)
	}
	if _, err := ParseDay(a.Day); err != nil {
		return bad("%v", err)
	}
	if a.MinEntities < MinEntities {
		return bad("seuil de %d entités, %d au moins", a.MinEntities, MinEntities)
	}
	if len(a.Cells) > MaxCells || len(a.Advisories) > MaxAdvisories {
		return bad("trop de cellules ou d'avis")
	}
	min := a.MinEntities
	count := func(what string, c Count) error {
		if !c.Withheld && c.N < min {
			return fmt.Errorf("%w (%s : %d, seuil %d)", ErrNotWithheld, what, c.N, min)
		}
		return nil
	}
	seen := map[[2]string]bool{}
	for _, c := range a.Cells {
		if !tokenRE.MatchString(c.Sector) || (c.SizeBand != "" && !tokenRE.MatchString(c.SizeBand)) {
			return bad("secteur %q ou tranche %q", c.Sector, c.SizeBand)
		}
		key := [2]string{c.Sector, c.SizeBand}
		if seen[key] {
			return bad("cellule %s/%s en double", c.Sector, c.SizeBand)
		}
		seen[key] = true
		where := c.Sector + "/" + c.SizeBand
		if c.Withheld {
			if !c.Entities.Withheld || len(c.Levels) > 0 || len(c.Domains) > 0 || len(c.Failing) > 0 {
				return fmt.Errorf("%w (cellule %s retenue mais détaillée)", ErrNotWithheld, where)
			}
			continue
		}
		if err := count(where+" entités", c.Entities); err != nil {
			return err
		}
		if c.Entities.Withheld {
			return bad("cellule %s : effectif retenu dans une cellule publiée", where)
		}
		if len(c.Levels) != 5 {
			return bad("cellule %s : 5 niveaux attendus", where)
		}
		for i, l := range c.Levels {
			if err := count(fmt.Sprintf("%s niveau %d", where, i), l); err != nil {
				return err
			}
		}
		for _, d := range c.Domains {
			if !tokenRE.MatchString(d.Domain) {
				return bad("domaine %q", d.Domain)
			}
			if d.Withheld != (d.Q1 == nil || d.Median == nil || d.Q3 == nil) {
				return bad("cellule %s domaine %s : quartiles et retenue incohérents", where, d.Domain)
			}
			if d.Withheld && (d.Q1 != nil || d.Median != nil || d.Q3 != nil) {
				return fmt.Errorf("%w (cellule %s domaine %s retenu mais chiffré)", ErrNotWithheld, where, d.Domain)
			}
		}
		if len(c.Failing) > MaxFailing {
			return bad("cellule %s : %d vérifications en échec, %d au plus", where, len(c.Failing), MaxFailing)
		}
		for _, f := range c.Failing {
			if !checkIDs.MatchString(f.Check) {
				return bad("vérification %q", f.Check)
			}
			if err := count(where+" "+f.Check, Count{N: f.Entities}); err != nil {
				return err
			}
		}
	}
	for _, x := range a.Advisories {
		if !advRE.MatchString(x.Advisory) {
			return bad("avis %q", x.Advisory)
		}
		if x.Entities.Withheld != x.Hosts.Withheld {
			return fmt.Errorf("%w (%s : postes publiés sans les entités)", ErrNotWithheld, x.Advisory)
		}
		if err := count(x.Advisory, x.Entities); err != nil {
			return err
		}
	}
	return nil
}

// ParseDay reads a day AAAA-MM-JJ (UTC).
func ParseDay(s string) (time.Time, error) {
	if !dayRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("jour %q : attendu AAAA-MM-JJ", s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("jour %q : %v", s, err)
	}
	return t, nil
}

// Day is t's UTC day, AAAA-MM-JJ.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Digest is the SHA-256 (hex) of a document's figures: its JSON with the
// times it was made (AsOf, GeneratedAt) left out, so that the same day
// pushed again with the same figures is a duplicate, counted once.
func Digest(a *Aggregate) string {
	c := *a
	c.AsOf, c.GeneratedAt = time.Time{}, time.Time{}
	b, _ := json.Marshal(&c) // plain values: always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
