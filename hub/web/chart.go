package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
)

// Chart is an inline SVG line chart drawn by the template from these
// coordinates: no script, styled by classes from the stylesheet (the CSP
// forbids inline styles).
type Chart struct {
	Width, Height int
	Lines         []ChartLine
	YTicks        []ChartTick
	XTicks        []ChartTick
	Empty         bool
	Label         string
}

// ChartLine is one polyline and its legend.
type ChartLine struct {
	Class  string
	Points string
	Label  string
	Last   int
	LX, LY int // last point
}

// ChartTick is an axis label.
type ChartTick struct {
	X, Y  int
	Label string
}

const (
	chartW, chartH         = 720, 240
	padL, padR, padT, padB = 44, 16, 12, 28
	maxSeries              = 8
)

// BuildChart lays the series out on a shared time axis, scores 0-100.
func BuildChart(series []app.Series, l tr) Chart {
	c := Chart{Width: chartW, Height: chartH, Label: l.T("chartlabel")}
	var t0, t1 time.Time
	for _, s := range series {
		for _, p := range s.Points {
			if t0.IsZero() || p.FinishedAt.Before(t0) {
				t0 = p.FinishedAt
			}
			if p.FinishedAt.After(t1) {
				t1 = p.FinishedAt
			}
		}
	}
	if t0.IsZero() {
		c.Empty = true
		return c
	}
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Hour
		t0 = t0.Add(-span / 2)
	}
	x := func(t time.Time) int { return padL + int(float64(chartW-padL-padR)*float64(t.Sub(t0))/float64(span)) }
	y := func(v int) int { return padT + (chartH-padT-padB)*(100-v)/100 }
	for _, v := range []int{0, 20, 40, 60, 80, 100} {
		c.YTicks = append(c.YTicks, ChartTick{X: padL - 6, Y: y(v), Label: fmt.Sprint(v)})
	}
	for i := 0; i <= 4; i++ {
		t := t0.Add(span * time.Duration(i) / 4)
		c.XTicks = append(c.XTicks, ChartTick{X: x(t), Y: chartH - 8, Label: l.Date(t)[:min(10, len(l.Date(t)))]})
	}
	for i, s := range series {
		if i == maxSeries || len(s.Points) == 0 {
			break
		}
		var b strings.Builder
		for _, p := range s.Points {
			fmt.Fprintf(&b, "%d,%d ", x(p.FinishedAt), y(p.Score))
		}
		last := s.Points[len(s.Points)-1]
		c.Lines = append(c.Lines, ChartLine{Class: fmt.Sprintf("s%d", i), Points: strings.TrimSpace(b.String()), Label: s.Label, Last: last.Score, LX: x(last.FinishedAt), LY: y(last.Score)})
	}
	return c
}

var funcs = template.FuncMap{
	"bucket": Bucket,
	"pct": func(n, total int) int {
		if total <= 0 {
			return 0
		}
		return n * 100 / total
	},
	"bar": func(n, maxv int) int { // width class 0..20 (5 % steps)
		if maxv <= 0 {
			return 0
		}
		return (n*20 + maxv - 1) / maxv
	},
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"atoi": func(s string) int { n, _ := strconv.Atoi(s); return n },
	// pair hands a sub-template the translator and one value.
	"pair":     func(l tr, v any) map[string]any { return map[string]any{"L": l, "V": v} },
	"short":    func(s string) string { return s[:min(12, len(s))] },
	"isPast":   func(t, now time.Time) bool { return !t.After(now) },
	"hasQuery": func(p string) bool { return strings.Contains(p, "?") },
	"checkid":  CheckID,
	// boxw is a box plot's box width from its two ends (compare.go's coordinates).
	"boxw": func(a, b string) string {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return strconv.FormatFloat(max(y-x, 0), 'f', 1, 64)
	},
}

// CheckID writes a check ID so that a narrow column breaks it only after
// its "." and "-" (<wbr>), never inside a word ("patch.security-pending").
func CheckID(id string) template.HTML {
	var b strings.Builder
	for _, r := range id {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '.' || r == '-' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every rune escaped above
}
