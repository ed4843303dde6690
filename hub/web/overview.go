package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/protocol"
)

func (s *Server) title(id, lang string) string {
	if g, ok := s.cfg.Guidance[id]; ok {
		return g.In(lang).Title
	}
	return id
}

func parseFilter(r *http.Request) app.Filter {
	f := app.Filter{Sector: r.URL.Query().Get("sector"), Level: -1}
	if l, err := strconv.Atoi(r.URL.Query().Get("level")); err == nil && l >= 0 && l <= int(protocol.MaxLevel) {
		f.Level = l
	}
	return f
}

func filterQuery(f app.Filter) string {
	var parts []string
	if f.Sector != "" {
		parts = append(parts, "sector="+url.QueryEscape(f.Sector))
	}
	if f.Level >= 0 {
		parts = append(parts, "level="+strconv.Itoa(f.Level))
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

type failedView struct {
	app.FailedCount
	Title string
}

type overviewData struct {
	Ov         app.Overview
	Filter     app.Filter
	Levels     []int
	Failed     []failedView
	SilentDays int
	MinAgg     int
	MaxDist    int
	Query      string // filter query for export links
	HasAD      bool   // some entity reports an AD level: the heat map shows it
	// Cohorts are the per-sector distributions (compare.go); CohortMin the
	// smallest group shown.
	Cohorts   []groupView
	CohortMin int
}

// Bucket maps a 0-100 score to a heat-map class 0-4, or "na".
func Bucket(score int) string {
	switch {
	case score < 0:
		return "na"
	case score < 20:
		return "0"
	case score < 40:
		return "1"
	case score < 60:
		return "2"
	case score < 80:
		return "3"
	}
	return "4"
}

func (s *Server) overview(q *req) {
	f := parseFilter(q.R)
	ov, err := s.app.Overview(q.R.Context(), f)
	if err != nil {
		s.fail(q, err)
		return
	}
	d := overviewData{Ov: ov, Filter: f, Levels: []int{0, 1, 2, 3, 4}, SilentDays: s.app.SilentDays(), MinAgg: s.app.MinAggregate()}
	for _, fc := range ov.TopFailed {
		d.Failed = append(d.Failed, failedView{fc, s.title(fc.ID, q.L.Lang)})
	}
	for _, n := range ov.Distribution {
		d.MaxDist = max(d.MaxDist, n)
	}
	d.Query = filterQuery(f)
	d.Cohorts, d.CohortMin = groupViews(ov.Cohorts, q.L), max(cohort.MinEntities, s.app.MinAggregate())
	for _, e := range ov.Entities {
		d.HasAD = d.HasAD || e.AD != nil
	}
	s.render(q, http.StatusOK, "overview", q.L.T("overview"), d)
}
