package registry

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Metas returns the metadata of every distinct check ID for cfg, in
// registry order (per-target instances collapse into one).
func Metas(cfg Config) []checks.Meta {
	var out []checks.Meta
	seen := map[string]bool{}
	for _, c := range Checks(cfg) {
		m := c.Meta()
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		m.Target = ""
		out = append(out, m)
	}
	return out
}

// ChecksDoc renders the list of checks with their guidance as Markdown
// (docs/checks.md), generated so that it cannot drift from the code.
func ChecksDoc(metas []checks.Meta, cat checks.Catalogue) []byte {
	var b bytes.Buffer
	b.WriteString("# Vérifications de Vigie\n\n")
	b.WriteString("Généré par `go test ./checks/registry -run TestChecksDoc -update` depuis le registre et les catalogues de recommandations ; ne pas modifier à la main.\n\n")
	for _, d := range protocol.Domains {
		var in []checks.Meta
		for _, m := range metas {
			if m.Domain == d {
				in = append(in, m)
			}
		}
		if len(in) == 0 {
			continue
		}
		slices.SortFunc(in, func(a, b checks.Meta) int { return strings.Compare(a.ID, b.ID) })
		fmt.Fprintf(&b, "## %s\n\n", d)
		b.WriteString("| ID | titre | gravité | ANSSI | CIS v8 | NIS2 21(2) | systèmes |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, m := range in {
			anssi := make([]string, len(m.Refs.ANSSI))
			for i, n := range m.Refs.ANSSI {
				anssi[i] = fmt.Sprint(n)
			}
			oses := "tous"
			if len(m.OS) > 0 {
				oses = strings.Join(m.OS, ", ")
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", m.ID, cat[m.ID].FR.Title, m.Severity,
				strings.Join(anssi, ", "), strings.Join(m.Refs.CIS, ", "), strings.Join(m.Refs.NIS2, ", "), oses)
		}
		b.WriteString("\n")
		for _, m := range in {
			g := cat[m.ID].FR
			fmt.Fprintf(&b, "### `%s` — %s\n\n%s\n\n**Pourquoi :** %s\n\n**Que faire :** %s\n\n**Temps :** %s\n\n", m.ID, g.Title, g.What, g.Why, g.Fix, g.Effort)
		}
	}
	return b.Bytes()
}
