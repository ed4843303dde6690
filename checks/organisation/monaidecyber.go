package organisation

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// MonAideCyber is ANSSI's assisted diagnostic for small entities
// (github.com/betagouv/mon-aide-cyber, Apache-2.0): seven themes, questions
// answered 0 to 3 and weighted, and measures with a fixed priority rank.
// Vigie keeps its identifiers so that an Aidant's diagnostic and Vigie's
// questionnaire speak the same language (docs/monaidecyber.md). The file
// header names the commits read.
//
//go:embed monaidecyber.toml
var monAideCyberTOML []byte

// Theme is one MonAideCyber theme.
type Theme struct {
	ID    string `toml:"id"`
	Title string `toml:"title"`
}

// MACQuestion is one MonAideCyber question, follow-ups included.
type MACQuestion struct {
	ID         string   `toml:"id"`
	Theme      string   `toml:"theme"`
	Title      string   `toml:"title"`        // Vigie's short wording
	Weight     float64  `toml:"weight"`       // 0 for context questions (not scored), else 0.5-3
	FollowUpOf string   `toml:"follow_up_of"` // the question whose answer opens this one
	Measures   []string `toml:"measures"`     // measures an incomplete answer recommends
}

// Measure is one MonAideCyber measure with its fixed priority rank.
type Measure struct {
	ID    string `toml:"id"`
	Theme string `toml:"theme"`
	Rank  int    `toml:"rank"` // MonAideCyber's "priorisation", 1 first
	Title string `toml:"title"`
}

// Referential is the parsed MonAideCyber data.
type Referential struct {
	Source struct {
		Repository  string `toml:"repository"`
		License     string `toml:"license"`
		Referentiel string `toml:"referentiel"`
		Measures    string `toml:"measures"`
	} `toml:"source"`
	Themes    []Theme       `toml:"theme"`
	Questions []MACQuestion `toml:"question"`
	Measures  []Measure     `toml:"measure"`
}

// Theme returns the theme with that ID.
func (r *Referential) Theme(id string) (Theme, bool) {
	for _, t := range r.Themes {
		if t.ID == id {
			return t, true
		}
	}
	return Theme{}, false
}

// Question returns the question with that ID.
func (r *Referential) Question(id string) (MACQuestion, bool) {
	for _, q := range r.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return MACQuestion{}, false
}

// Measure returns the measure with that ID.
func (r *Referential) Measure(id string) (Measure, bool) {
	for _, m := range r.Measures {
		if m.ID == id {
			return m, true
		}
	}
	return Measure{}, false
}

// ParseReferential reads and validates MonAideCyber data: unknown keys,
// duplicate or dangling identifiers, a rank below 1 or a weight outside
// MonAideCyber's range are errors.
func ParseReferential(data []byte) (*Referential, error) {
	var r Referential
	md, err := toml.Decode(string(data), &r)
	if err != nil {
		return nil, fmt.Errorf("monaidecyber: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("monaidecyber: unknown key %s", und[0])
	}
	if r.Source.Repository == "" || r.Source.License == "" {
		return nil, fmt.Errorf("monaidecyber: the source (repository, license) must be named")
	}
	themes := map[string]bool{}
	for _, t := range r.Themes {
		if t.ID == "" || strings.TrimSpace(t.Title) == "" || themes[t.ID] {
			return nil, fmt.Errorf("monaidecyber: theme %q is empty or defined twice", t.ID)
		}
		themes[t.ID] = true
	}
	measures := map[string]bool{}
	for _, m := range r.Measures {
		if m.ID == "" || measures[m.ID] {
			return nil, fmt.Errorf("monaidecyber: measure %q is empty or defined twice", m.ID)
		}
		measures[m.ID] = true
		if !themes[m.Theme] {
			return nil, fmt.Errorf("monaidecyber: measure %s has unknown theme %q", m.ID, m.Theme)
		}
		if m.Rank < 1 || strings.TrimSpace(m.Title) == "" {
			return nil, fmt.Errorf("monaidecyber: measure %s needs a rank of 1 or more and a title", m.ID)
		}
	}
	questions := map[string]bool{}
	for _, q := range r.Questions {
		if q.ID == "" || questions[q.ID] {
			return nil, fmt.Errorf("monaidecyber: question %q is empty or defined twice", q.ID)
		}
		questions[q.ID] = true
		if !themes[q.Theme] {
			return nil, fmt.Errorf("monaidecyber: question %s has unknown theme %q", q.ID, q.Theme)
		}
		if strings.TrimSpace(q.Title) == "" {
			return nil, fmt.Errorf("monaidecyber: question %s has no title", q.ID)
		}
		if q.Weight != 0 && (q.Weight < 0.5 || q.Weight > 3) {
			return nil, fmt.Errorf("monaidecyber: question %s weight %v is outside 0.5-3", q.ID, q.Weight)
		}
		if (q.Weight == 0) != (q.Theme == "contexte") {
			return nil, fmt.Errorf("monaidecyber: question %s: only context questions are unweighted", q.ID)
		}
		for _, m := range q.Measures {
			if !measures[m] {
				return nil, fmt.Errorf("monaidecyber: question %s names unknown measure %s", q.ID, m)
			}
		}
	}
	for _, q := range r.Questions {
		if q.FollowUpOf != "" && !questions[q.FollowUpOf] {
			return nil, fmt.Errorf("monaidecyber: question %s follows unknown question %s", q.ID, q.FollowUpOf)
		}
	}
	return &r, nil
}

var (
	refOnce sync.Once
	refData *Referential
	refErr  error
)

// MonAideCyberReferential returns the embedded MonAideCyber data, parsed
// once. The data is part of the binary and tested, so an error here is a
// build defect, reported rather than hidden.
func MonAideCyberReferential() (*Referential, error) {
	refOnce.Do(func() { refData, refErr = ParseReferential(monAideCyberTOML) })
	return refData, refErr
}
