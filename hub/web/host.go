package web

import (
	"errors"
	"net/http"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

type resultView struct {
	protocol.Result
	Title    string
	Evidence string
	Advice   *checks.Advice
}

type hostData struct {
	Agent     store.Agent
	Record    *store.Scorecard
	Scorecard *protocol.Scorecard
	SigOK     bool
	SigMsg    string
	// Unreadable says why a genuine scorecard's details cannot be shown.
	Unreadable string
	Results    []resultView
	Domains    []domainView
	History    []store.Point
}

type domainView struct {
	Name  string
	Score int
	Class string
}

func (s *Server) host(q *req) {
	r, err := s.app.Host(q.R.Context(), q.R.PathValue("agent"), q.R.URL.Query().Get("sc"), q.User.Email)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	lang := q.L.Lang
	d := hostData{Agent: r.Agent, Record: r.Record, Scorecard: r.Scorecard, History: r.History}
	if r.Record != nil {
		if r.SigErr != nil {
			d.SigMsg = q.L.F("sigbad", r.SigErr.Error())
		} else {
			d.SigOK, d.SigMsg = true, q.L.F("sigok", r.Agent.ID)
		}
	}
	if r.Unreadable != nil {
		d.Unreadable = q.L.F("unreadable", r.Unreadable.Error())
	}
	for _, res := range r.Results {
		d.Results = append(d.Results, resultView{Result: res, Title: s.title(res.ID, lang), Evidence: res.Evidence.In(lang), Advice: s.advice(res.ID, lang)})
	}
	if r.Scorecard != nil {
		for _, ds := range r.Scorecard.Domains {
			d.Domains = append(d.Domains, domainView{Name: ds.Domain.Name(lang), Score: ds.Score, Class: Bucket(ds.Score)})
		}
	}
	s.render(q, http.StatusOK, "host", app.HostLabel(r.Agent), d)
}
