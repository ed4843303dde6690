package report

import (
	_ "embed"
	"html/template"
	"io"

	"github.com/vigie-cyber/vigie/checks"
)

//go:embed report.html.tmpl
var htmlTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"w":         word,
	"domain":    DomainName,
	"severity":  SeverityName,
	"status":    StatusName,
	"time":      FormatTime,
	"duration":  formatDuration,
	"levelname": func(l Level, lg string) string { return l.Name(lg) },
	"text":      func(t checks.Text, lg string) string { return t.In(lg) },
	"advice": func(cat checks.Catalogue, id, lg string) checks.Advice {
		return cat[id].In(lang(lg))
	},
	"title":  titleOf,
	"colon":  colon,
	"system": systemLine,
}).Parse(htmlTemplate))

type htmlData struct {
	S        *Scorecard
	Cat      checks.Catalogue
	Lang     string
	Findings []Result
	Others   []Result
	Actions  []Action
	Version  string
}

// WriteHTML renders a single self-contained HTML page (inline CSS, no script,
// no external resource) that prints well on A4 for elected officials.
func WriteHTML(w io.Writer, s *Scorecard, cat checks.Catalogue, l string) error {
	d := htmlData{S: s, Cat: cat, Lang: lang(l), Version: s.AgentVersion}
	for _, st := range []checks.Status{checks.Fail, checks.Warn, checks.Error} {
		for _, r := range s.Results {
			if r.Status == st {
				d.Findings = append(d.Findings, r)
			}
		}
	}
	for _, r := range s.Results {
		if r.Status == checks.Pass || r.Status == checks.NotApplicable {
			d.Others = append(d.Others, r)
		}
	}
	d.Actions = s.Actions
	if len(d.Actions) > TopActions {
		d.Actions = d.Actions[:TopActions]
	}
	return reportTmpl.Execute(w, d)
}
