package checks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Advice is the guidance for one check in one language, written for a
// non-expert: what it means, why it matters, what to do, how long it takes.
//
// What to do is split by operating system so that a report shows only the
// host's own steps: Fix holds the steps valid on every OS the check runs on
// (or an introduction to the OS steps), FixWindows, FixDebian (Debian,
// Ubuntu) and FixRHEL (Red Hat, Rocky, Alma) the steps for one OS. At least
// one of them is set; FixFor assembles them for a host.
type Advice struct {
	Title      string `toml:"title" json:"title"`
	What       string `toml:"what" json:"what"`
	Why        string `toml:"why" json:"why"`
	Fix        string `toml:"fix" json:"fix,omitempty"`
	FixWindows string `toml:"fix_windows" json:"fix_windows,omitempty"`
	FixDebian  string `toml:"fix_debian" json:"fix_debian,omitempty"`
	FixRHEL    string `toml:"fix_rhel" json:"fix_rhel,omitempty"`
	Effort     string `toml:"effort" json:"effort"`
}

// Guidance is one measure of the catalogue: a check's advice in French and
// English, with its fixed priority rank.
type Guidance struct {
	// Rank orders measures in the restitution (1 first): among measures
	// with a failure, then among those with a warning, the lowest rank
	// comes first. Ranks follow ANSSI's and MonAideCyber's priorities
	// (docs/monaidecyber.md); two entries share a rank only when their
	// checks never run on the same host (registry test).
	Rank int `toml:"rank" json:"rank"`
	// Follows names the reference measure the rank is drawn from:
	// "monaidecyber:<measure ID>", "anssi:<1-42>" (hygiene guide),
	// "cis:<safeguard>" or "nis2:<article 21(2) letter>".
	Follows string `toml:"follows" json:"follows"`
	FR      Advice `toml:"fr" json:"fr"`
	EN      Advice `toml:"en" json:"en"`
}

// In returns the advice in lang, French by default.
func (g Guidance) In(lang string) Advice {
	if lang == "en" {
		return g.EN
	}
	return g.FR
}

// osLabels introduce one OS's steps when several are shown together.
var osLabels = map[string][2]string{
	"windows": {"Windows : ", "Windows: "},
	"debian":  {"Debian ou Ubuntu : ", "Debian or Ubuntu: "},
	"rhel":    {"Red Hat, Rocky ou Alma : ", "Red Hat, Rocky or Alma: "},
}

// FixFor returns what to do on one host, in lang: the generic steps, then
// the steps for the host's OS only. goos is "windows" or "linux";
// platformFamily is the Linux family as HostInfo reports it ("debian",
// "rhel", "fedora"...). When the host is unknown (goos empty) or its Linux
// family has no steps of its own, every OS's steps are given, each
// introduced by its name.
func (g Guidance) FixFor(lang, goos, platformFamily string) string {
	a := g.In(lang)
	k := 0
	if lang == "en" {
		k = 1
	}
	parts := []string{}
	if strings.TrimSpace(a.Fix) != "" {
		parts = append(parts, a.Fix)
	}
	add := func(os, text string, labelled bool) {
		if strings.TrimSpace(text) == "" {
			return
		}
		if labelled {
			text = osLabels[os][k] + text
		}
		parts = append(parts, text)
	}
	switch {
	case goos == "windows":
		add("windows", a.FixWindows, false)
	case goos == "linux" && platformFamily == "debian":
		add("debian", a.FixDebian, false)
	case goos == "linux" && (platformFamily == "rhel" || platformFamily == "fedora"):
		add("rhel", a.FixRHEL, false)
	case goos == "linux":
		add("debian", a.FixDebian, true)
		add("rhel", a.FixRHEL, true)
	default:
		add("windows", a.FixWindows, true)
		add("debian", a.FixDebian, true)
		add("rhel", a.FixRHEL, true)
	}
	return strings.Join(parts, "\n")
}

// Catalogue maps check IDs to guidance.
type Catalogue map[string]Guidance

// ParseGuidance reads one family's embedded guidance file (TOML, one table
// per check ID with its rank, then its advice per language:
// ["patch.reboot-pending"] rank = 6, ["patch.reboot-pending".fr] title =
// "..."). Unknown keys and missing fields are errors, so a typo cannot
// silently blank a remedy or a rank.
func ParseGuidance(name string, data []byte) (Catalogue, error) {
	var c Catalogue
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("guidance %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("guidance %s: unknown key %s", name, und[0])
	}
	for _, id := range c.IDs() {
		g := c[id]
		if g.Rank <= 0 {
			return nil, fmt.Errorf("guidance %s: %s has no rank (rank = 1 or more)", name, id)
		}
		if err := checkFollows(g.Follows); err != nil {
			return nil, fmt.Errorf("guidance %s: %s: %w", name, id, err)
		}
		for _, lang := range []string{"fr", "en"} {
			a := g.In(lang)
			for _, f := range []struct{ field, v string }{{"title", a.Title}, {"what", a.What}, {"why", a.Why}, {"effort", a.Effort}} {
				if strings.TrimSpace(f.v) == "" {
					return nil, fmt.Errorf("guidance %s: %s.%s.%s is empty", name, id, lang, f.field)
				}
			}
			if strings.TrimSpace(a.Fix+a.FixWindows+a.FixDebian+a.FixRHEL) == "" {
				return nil, fmt.Errorf("guidance %s: %s.%s has no fix (fix, fix_windows, fix_debian or fix_rhel)", name, id, lang)
			}
		}
	}
	return c, nil
}

// checkFollows validates the form of a Follows reference; whether a
// MonAideCyber measure exists is checked against its referential by the
// registry test.
func checkFollows(f string) error {
	kind, ref, ok := strings.Cut(f, ":")
	if !ok || ref == "" {
		return fmt.Errorf("follows %q is not kind:reference (monaidecyber:, anssi:, cis:, nis2:)", f)
	}
	switch kind {
	case "monaidecyber", "cis":
		return nil
	case "anssi":
		n, err := strconv.Atoi(ref)
		if err != nil || n < 1 || n > 42 {
			return fmt.Errorf("follows %q: the ANSSI hygiene guide has measures 1 to 42", f)
		}
		return nil
	case "nis2":
		if len(ref) != 1 || ref[0] < 'a' || ref[0] > 'j' {
			return fmt.Errorf("follows %q: NIS2 article 21(2) has letters a to j", f)
		}
		return nil
	}
	return fmt.Errorf("follows %q: unknown kind %q (monaidecyber, anssi, cis, nis2)", f, kind)
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
