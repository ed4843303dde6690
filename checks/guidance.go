package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Advice is the guidance for one check in one language, written for a
// non-expert: what it means, why it matters, what to do, how long it takes.
type Advice struct {
	Title  string `toml:"title" json:"title"`
	What   string `toml:"what" json:"what"`
	Why    string `toml:"why" json:"why"`
	Fix    string `toml:"fix" json:"fix"`
	Effort string `toml:"effort" json:"effort"`
}

// Guidance is a check's advice in French and English.
type Guidance struct {
	FR Advice `toml:"fr" json:"fr"`
	EN Advice `toml:"en" json:"en"`
}

// In returns the advice in lang, French by default.
func (g Guidance) In(lang string) Advice {
	if lang == "en" {
		return g.EN
	}
	return g.FR
}

// Catalogue maps check IDs to guidance.
type Catalogue map[string]Guidance

// ParseGuidance reads one family's embedded guidance file (TOML, one table
// per check ID: ["patch.reboot-pending".fr] title = "..."). Unknown keys and
// missing fields are errors, so a typo cannot silently blank a remedy.
func ParseGuidance(name string, data []byte) (Catalogue, error) {
	var c Catalogue
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("guidance %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("guidance %s: unknown key %s", name, und[0])
	}
	for id, g := range c {
		for lang, a := range map[string]Advice{"fr": g.FR, "en": g.EN} {
			for field, v := range map[string]string{"title": a.Title, "what": a.What, "why": a.Why, "fix": a.Fix, "effort": a.Effort} {
				if strings.TrimSpace(v) == "" {
					return nil, fmt.Errorf("guidance %s: %s.%s.%s is empty", name, id, lang, field)
				}
			}
		}
	}
	return c, nil
}

// Merge combines catalogues; an ID defined twice is an error.
func Merge(cs ...Catalogue) (Catalogue, error) {
	out := Catalogue{}
	for _, c := range cs {
		for id, g := range c {
			if _, dup := out[id]; dup {
				return nil, fmt.Errorf("guidance for %s defined twice", id)
			}
			out[id] = g
		}
	}
	return out, nil
}

// IDs returns the catalogue's check IDs, sorted.
func (c Catalogue) IDs() []string {
	ids := make([]string, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
