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
			e := cat[m.ID]
			g := e.FR
			fmt.Fprintf(&b, "### `%s` — %s\n\n%s\n\n**Pourquoi :** %s\n\n**Que faire :** %s\n\n**Temps :** %s\n\n**Rang :** %d (suit `%s`)\n\n",
				m.ID, g.Title, g.What, g.Why, e.FixFor("fr", "", ""), g.Effort, e.Rank, e.Follows)
		}
	}
	return b.Bytes()
}

// RanksTable renders the catalogue's measures by rank as a Markdown table
// (docs/monaidecyber.md): rank, guidance ID, title, and the reference
// measure the rank follows, with the MonAideCyber rank when it is one.
func RanksTable(cat checks.Catalogue, macRank func(id string) (title string, rank int, ok bool)) []byte {
	ids := cat.IDs()
	slices.SortStableFunc(ids, func(a, b string) int { return cat[a].Rank - cat[b].Rank })
	var b bytes.Buffer
	b.WriteString("| rang | recommandation (guidance) | titre | suit | rang MonAideCyber |\n| --- | --- | --- | --- | --- |\n")
	for _, id := range ids {
		g := cat[id]
		follows, macCol := "`"+g.Follows+"`", ""
		if mac, ok := strings.CutPrefix(g.Follows, "monaidecyber:"); ok {
			if title, r, ok := macRank(mac); ok {
				follows = fmt.Sprintf("MonAideCyber `%s` (%s)", mac, title)
				macCol = fmt.Sprint(r)
			}
		} else if n, ok := strings.CutPrefix(g.Follows, "anssi:"); ok {
			follows = "ANSSI, guide d'hygiène, mesure " + n
		} else if l, ok := strings.CutPrefix(g.Follows, "nis2:"); ok {
			follows = "NIS2, article 21(2)(" + l + ")"
		} else if c, ok := strings.CutPrefix(g.Follows, "cis:"); ok {
			follows = "CIS Controls v8, " + c
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s |\n", g.Rank, id, g.FR.Title, follows, macCol)
	}
	return b.Bytes()
}
