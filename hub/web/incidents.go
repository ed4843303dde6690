package web

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
)

// The « Incidents » pages (issue 23): open incidents by entity, and one
// incident with its answers, its bundle, its regulatory clock with drafts
// and its follow-up form. The rules are hub/app's (app.Incidents).

func (s *Server) registerIncidents(mux *http.ServeMux) {
	mux.HandleFunc("GET /incidents", s.authed(s.incidentsPage, false))
	mux.HandleFunc("GET /incidents/{id}", s.authed(s.incidentPage, false))
	mux.HandleFunc("POST /incidents/{id}", s.authed(s.incidentPost, false))
}

type incidentGroup struct {
	Entity    string
	Sector    string
	NIS2      bool
	Incidents []app.IncidentSummary
}

type incidentsData struct {
	All    bool
	Groups []incidentGroup
	Now    time.Time
}

func (s *Server) incidentsPage(q *req) {
	if s.cfg.Incidents == nil {
		s.message(q, http.StatusNotFound, q.L.T("inc.disabled"))
		return
	}
	all := q.R.URL.Query().Get("all") == "1"
	list, err := s.cfg.Incidents.Summaries(q.R.Context(), !all)
	if err != nil {
		s.fail(q, err)
		return
	}
	by := map[int64]*incidentGroup{}
	var groups []*incidentGroup
	for _, in := range list {
		g := by[in.EntityID]
		if g == nil {
			g = &incidentGroup{Entity: in.Entity, Sector: in.Sector, NIS2: app.NIS2Sector(in.Sector)}
			by[in.EntityID] = g
			groups = append(groups, g)
		}
		g.Incidents = append(g.Incidents, in)
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Entity < groups[j].Entity })
	d := incidentsData{All: all, Now: s.cfg.Now()}
	for _, g := range groups {
		d.Groups = append(d.Groups, *g)
	}
	s.render(q, http.StatusOK, "incidents", q.L.T("incidents"), d)
}

type incidentData struct {
	V        *app.IncidentView
	Users    []store.User
	Statuses []string
	Now      time.Time
	Msg, Err string
}

func (d incidentData) flash() (string, string) { return d.Msg, d.Err }

func (s *Server) incidentID(q *req) (int64, bool) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return 0, false
	}
	return id, true
}

func (s *Server) incidentPage(q *req) {
	if s.cfg.Incidents == nil {
		s.message(q, http.StatusNotFound, q.L.T("inc.disabled"))
		return
	}
	id, ok := s.incidentID(q)
	if !ok {
		return
	}
	msg := ""
	if q.R.URL.Query().Get("saved") == "1" {
		msg = q.L.T("inc.saved")
	}
	s.renderIncident(q, id, http.StatusOK, msg, "")
}

func (s *Server) renderIncident(q *req, id int64, status int, msg, errMsg string) {
	v, err := s.cfg.Incidents.Incident(q.R.Context(), id, q.User.Email)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	users, err := s.cfg.Store.Users(q.R.Context())
	if err != nil {
		s.fail(q, err)
		return
	}
	active := users[:0]
	for _, u := range users {
		if !u.Disabled {
			active = append(active, u)
		}
	}
	s.render(q, status, "incident", q.L.F("inc.title", v.ID, v.Entity), incidentData{V: v, Users: active, Statuses: store.IncidentStatuses, Now: s.cfg.Now(), Msg: msg, Err: errMsg})
}

func (s *Server) incidentPost(q *req) {
	if s.cfg.Incidents == nil {
		s.message(q, http.StatusNotFound, q.L.T("inc.disabled"))
		return
	}
	id, ok := s.incidentID(q)
	if !ok {
		return
	}
	f := q.R.PostForm
	var c app.IncidentChange
	if v, ok := f["status"]; ok {
		c.Status = &v[0]
	}
	if v, ok := f["adviser"]; ok {
		c.Adviser = &v[0]
	}
	if f.Get("followup") == "1" {
		// The checkboxes of the follow-up form: absent means unticked.
		pd, nt := f.Get("personal_data") == "1", f.Get("notified") == "1"
		c.PersonalData, c.Notified = &pd, &nt
	}
	c.Note = f.Get("note")
	err := s.cfg.Incidents.Update(q.R.Context(), id, q.User.Email, c)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
	case errors.Is(err, app.ErrBadInput):
		s.renderIncident(q, id, http.StatusBadRequest, "", err.Error())
	case err != nil:
		s.fail(q, err)
	default:
		http.Redirect(q.W, q.R, "/incidents/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
	}
}

// Remaining says the time left before a deadline, or how late it is.
func (l tr) Remaining(d app.Deadline) string {
	if d.Overdue() {
		return l.F("inc.late", span(-d.Remaining, l.Lang))
	}
	return l.F("inc.left", span(d.Remaining, l.Lang))
}

// span says a duration to the minute: "2 j 5 h", "5 h 12 min", "40 min".
func span(d time.Duration, lang string) string {
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	dayUnit := "j"
	if lang == "en" {
		dayUnit = "d"
	}
	switch {
	case days > 0:
		return strconv.Itoa(days) + " " + dayUnit + " " + strconv.Itoa(hours) + " h"
	case hours > 0:
		return strconv.Itoa(hours) + " h " + strconv.Itoa(mins) + " min"
	}
	return strconv.Itoa(mins) + " min"
}

// Kind names an incident kind.
func (l tr) Kind(k string) string {
	if l.Lang == "en" {
		return k
	}
	return app.KindName(k)
}

// IncStatus names an incident status.
func (l tr) IncStatus(st string) string { return l.T("inc.st." + st) }
