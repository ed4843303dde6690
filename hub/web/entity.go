package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// entitySector is the admin's explicit change of an entity's sector
// (app.SetSector: audited), back to the entity page.
func (s *Server) entitySector(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	_, err = s.app.SetSector(q.R.Context(), id, q.R.PostForm.Get("sector"), q.User.Email)
	switch {
	case err == nil:
		http.Redirect(q.W, q.R, "/entity/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
	case errors.Is(err, app.ErrBadInput):
		s.message(q, http.StatusBadRequest, q.L.F("badinput", q.L.T("sector")))
	default:
		s.fail(q, err)
	}
}

type actionView struct {
	app.Action
	Title  string
	Advice *checks.Advice
}

type entityData struct {
	app.EntityReport
	Chart   Chart
	Actions []actionView
	Sectors []protocol.Sector // the admin's sector change
}

func (s *Server) entity(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	r, err := s.app.Entity(q.R.Context(), id, q.User.Email)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	d := entityData{EntityReport: r, Chart: BuildChart(r.History, q.L), Sectors: protocol.Sectors}
	for _, a := range r.Actions {
		d.Actions = append(d.Actions, actionView{Action: a, Title: s.title(a.ID, q.L.Lang), Advice: s.advice(a.ID, q.L.Lang)})
	}
	s.render(q, http.StatusOK, "entity", r.Entity.Name, d)
}

// advice is the guidance on check id in lang, nil when this hub has none.
func (s *Server) advice(id, lang string) *checks.Advice {
	if g, ok := s.cfg.Guidance[id]; ok {
		a := g.In(lang)
		return &a
	}
	return nil
}
