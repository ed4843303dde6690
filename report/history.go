package report

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// HistoryLength is how many past scores the agent keeps for the HTML
// report's trend.
const HistoryLength = 12

// ScorePoint is one past scan of the host: when, its score and level.
type ScorePoint struct {
	At    time.Time      `json:"at"`
	Score int            `json:"score"`
	Level protocol.Level `json:"level"`
}

// trendSVG draws the scores as a small inline SVG (no script, no external
// resource, prints as drawn): a line over 0-100 with a dot per scan and the
// last score written beside it. Fewer than two points draw nothing.
func trendSVG(points []ScorePoint, l string) template.HTML {
	if len(points) < 2 {
		return ""
	}
	const w, h, pad = 240.0, 60.0, 6.0
	step := (w - 2*pad) / float64(len(points)-1)
	var path, dots strings.Builder
	for i, p := range points {
		score := min(max(p.Score, 0), 100)
		x := pad + float64(i)*step
		y := pad + (h-2*pad)*(1-float64(score)/100)
		if i == 0 {
			fmt.Fprintf(&path, "M%.1f %.1f", x, y)
		} else {
			fmt.Fprintf(&path, " L%.1f %.1f", x, y)
		}
		fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="2.5"><title>%s : %d/100</title></circle>`,
			x, y, template.HTMLEscapeString(FormatTime(p.At, l)), score)
	}
	first, last := points[0], points[len(points)-1]
	label := fmt.Sprintf(word(l, "trendlabel"), len(points), FormatTime(first.At, l), FormatTime(last.At, l), first.Score, last.Score)
	return template.HTML(fmt.Sprintf(`<svg class="trend" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`+
		`<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" class="axis"/><path d="%s" fill="none" stroke="currentColor" stroke-width="1.5"/>%s</svg>`,
		w, h, w, h, template.HTMLEscapeString(label), pad, h-pad, w-pad, h-pad, path.String(), dots.String()))
}
