package report

import (
	_ "embed"
	"html/template"
	"io"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

//go:embed report.html.tmpl
var htmlTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"w":         word,
	"domain":    func(d protocol.Domain, lg string) string { return d.Name(lg) },
	"severity":  func(s protocol.Severity, lg string) string { return s.Name(lg) },
	"status":    func(s protocol.Status, lg string) string { return s.Label(lg) },
	"time":      FormatTime,
	"duration":  formatDuration,
	"levelname": func(l protocol.Level, lg string) string { return l.Name(lg) },
	"text":      func(t protocol.Text, lg string) string { return t.In(lg) },
	"advice": func(cat checks.Catalogue, id, lg string) checks.Advice {
		return cat[id].In(lang(lg))
	},
	"title": titleOf,
	"fix": func(cat checks.Catalogue, id string, s *protocol.Scorecard, lg string) string {
		return cat[id].FixFor(lang(lg), s.Host.OS, s.Host.PlatformFamily)
	},
	"capreason": func(s *protocol.Scorecard, lg string) string { return CapReason(&s.Scores, lg) },
	"colon":     colon,
	"system":    systemLine,
}).Parse(htmlTemplate))

type htmlData struct {
	S        *protocol.Scorecard
	Cat      checks.Catalogue
	Lang     string
	Findings []protocol.Result
	Others   []protocol.Result
	Actions  []protocol.Action // the priority measures
	More     []protocol.Action // the others, by title
	Trend    template.HTML     // the host's last scores, drawn
	Version  string
}

// WriteHTML renders a single self-contained HTML page (inline CSS, no script,
// no external resource) that prints well on A4 for elected officials.
//
// history, when given, is the host's previous scores (oldest first, from the
// agent's state): with this scan they are drawn as the score's trend.
func WriteHTML(w io.Writer, s *protocol.Scorecard, cat checks.Catalogue, l string, history ...ScorePoint) error {
	d := htmlData{S: s, Cat: cat, Lang: lang(l), Version: s.AgentVersion}
	points := append(append([]ScorePoint(nil), history...), ScorePoint{At: s.FinishedAt, Score: s.Score, Level: s.Level})
	if len(points) > HistoryLength {
		points = points[len(points)-HistoryLength:]
	}
	d.Trend = trendSVG(points, d.Lang)
	for _, st := range []protocol.Status{protocol.Fail, protocol.Warn, protocol.Error} {
		for _, r := range s.Results {
			if r.Status == st {
				d.Findings = append(d.Findings, r)
			}
		}
	}
	for _, r := range s.Results {
		if r.Status == protocol.Pass || r.Status == protocol.NotApplicable {
			d.Others = append(d.Others, r)
		}
	}
	d.Actions = s.Actions
	if len(d.Actions) > TopActions {
		d.Actions, d.More = d.Actions[:TopActions], d.Actions[TopActions:]
	}
	return reportTmpl.Execute(w, d)
}
