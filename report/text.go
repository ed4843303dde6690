package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// TopActions is how many measures the restitution details first, as
// MonAideCyber's restitution does ("Les 6 mesures prioritaires"); the
// others follow by title.
const TopActions = 6

// WriteText renders the scorecard for a terminal, in lang.
func WriteText(w io.Writer, s *protocol.Scorecard, cat checks.Catalogue, l string) error {
	var b strings.Builder
	c := colon(l)
	// Every string printed may come from the host or a certificate (names,
	// evidence): control characters are neutralised so a crafted hostname
	// cannot drive the reader's terminal.
	p := func(format string, a ...any) {
		for i, v := range a {
			if s, ok := v.(string); ok {
				a[i] = protocol.Printable(s)
			}
		}
		fmt.Fprintf(&b, format, a...)
	}
	p("Vigie — %s%s%s\n", word(l, "title"), c, s.Host.Hostname)
	if sys := systemLine(s); sys != "" {
		p("%s%s%s\n", word(l, "system"), c, sys)
	}
	if s.Entity != "" {
		p("%s%s%s\n", word(l, "entity"), c, s.Entity)
	}
	p("%s %s (%s %s)\n\n", word(l, "scanned"), FormatTime(s.StartedAt, l), word(l, "duration"),
		formatDuration(s.FinishedAt.Sub(s.StartedAt), l))
	p("%s%s%d/4 — %s\n", word(l, "level"), c, s.Level, s.Level.Name(l))
	if why := CapReason(&s.Scores, l); why != "" {
		p("%s\n", why)
	}
	p("%s%s%d/100\n\n", word(l, "score"), c, s.Score)

	if len(s.Actions) > 0 {
		p("%s\n", word(l, "actions"))
		for i, a := range s.Actions {
			if i == TopActions {
				break
			}
			g := cat[a.ID]
			adv := g.In(lang(l))
			target := ""
			if a.Target != "" {
				target = " (" + a.Target + ")"
			}
			p("  %d. %s%s\n", i+1, titleOf(cat, a.ID, l), target)
			if fix := g.FixFor(lang(l), s.Host.OS, s.Host.PlatformFamily); fix != "" {
				p("     %s%s%s\n", word(l, "todo"), c, oneLine(fix))
			}
			if adv.Effort != "" {
				p("     %s%s%s\n", word(l, "effort"), c, adv.Effort)
			}
		}
		if len(s.Actions) > TopActions {
			p("  %s%s", word(l, "others"), c)
			for i, a := range s.Actions[TopActions:] {
				if i > 0 {
					p(" · ")
				}
				p("%s", titleOf(cat, a.ID, l))
			}
			p("\n")
		}
		p("\n")
	}

	p("%s\n", word(l, "domains"))
	for _, d := range s.Domains {
		name := d.Domain.Name(l)
		pad := strings.Repeat(" ", max(0, 30-len([]rune(name))))
		if d.Score < 0 {
			p("  %s%s %s\n", name, pad, word(l, "na"))
			continue
		}
		p("  %s%s %3d/100  %s  %s\n", name, pad, d.Score, bar(d.Score), counts(d, l))
	}

	p("\n%s\n", word(l, "findings"))
	n := 0
	for _, st := range []protocol.Status{protocol.Fail, protocol.Warn, protocol.Error} {
		for _, r := range s.Results {
			if r.Status != st {
				continue
			}
			n++
			target := ""
			if r.Target != "" {
				target = " — " + r.Target
			}
			p("  %-10s [%s] %s%s\n", r.Status.Label(l), r.Severity.Name(l), titleOf(cat, r.ID, l), target)
			p("             %s%s%s\n", word(l, "seen"), c, oneLine(r.Evidence.In(l)))
		}
	}
	if n == 0 {
		p("  %s\n", word(l, "nofindings"))
	}

	_, err := io.WriteString(w, b.String())
	return err
}

func systemLine(s *protocol.Scorecard) string {
	return strings.TrimSpace(strings.Join(strings.Fields(s.Host.Platform+" "+s.Host.PlatformVersion), " "))
}

func counts(d protocol.DomainScore, l string) string {
	var parts []string
	add := func(n int, key string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, word(l, key)))
		}
	}
	add(d.Pass, "passed")
	add(d.Warn, "warned")
	add(d.Fail, "failed")
	add(d.Errors, "errored")
	add(d.NA, "notapp")
	return strings.Join(parts, " · ")
}

func bar(score int) string {
	full := (score + 5) / 10
	return strings.Repeat("█", full) + strings.Repeat("░", 10-full)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// colon follows each language's typography: "Niveau : 2" but "Level: 2".
func colon(l string) string {
	if lang(l) == "en" {
		return ": "
	}
	return " : "
}
