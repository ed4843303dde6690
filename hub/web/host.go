package web

import (
	"errors"
	"net/http"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

type resultView struct {
	protocol.Result
	Title    string
	Evidence string
	Advice   *checks.Advice
}

type hostData struct {
	// Exposures are the CERT-FR advisories affecting the host.
	Exposures []app.AdvisoryExposure
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
	// Top are the host's 6 priority measures (report.Prioritise with this
	// hub's catalogue ranks), each with only the host's OS steps.
	Top       []hostAction
	More      int // measures beyond Top
	CapReason string
	Software  *softwareView // nil: could not be read (logged)
}

type hostAction struct {
	protocol.Action
	Title  string
	Advice *checks.Advice
	Fix    string
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
	if sc := r.Scorecard; sc != nil {
		d.CapReason = app.CapReason(&sc.Scores, lang)
		acts := report.Prioritise(sc.Results, func(id string) int { return s.cfg.Guidance[id].Rank })
		for i, a := range acts {
			if i == report.TopActions {
				d.More = len(acts) - i
				break
			}
			v := hostAction{Action: a, Title: s.title(a.ID, lang), Advice: s.advice(a.ID, lang)}
			if g, ok := s.cfg.Guidance[a.ID]; ok {
				v.Fix = g.FixFor(lang, sc.Host.OS, sc.Host.PlatformFamily)
			}
			d.Top = append(d.Top, v)
		}
	}
	if r.Scorecard != nil {
		for _, ds := range r.Scorecard.Domains {
			d.Domains = append(d.Domains, domainView{Name: ds.Domain.Name(lang), Score: ds.Score, Class: Bucket(ds.Score)})
		}
	}
	d.Exposures = s.exposuresOf(app.ExposureFilter{AgentID: r.Agent.ID})
	d.Software = s.software(q, r.Agent.ID, q.R.URL.Query().Get("sc"))
	s.render(q, http.StatusOK, "host", app.HostLabel(r.Agent), d)
}
