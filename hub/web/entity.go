package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
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
	// Fix is what to do: on the host page the host's own OS steps only
	// (checks.Guidance.FixFor); on the entity page every OS's, labelled.
	Fix string
}

type entityData struct {
	app.EntityReport
	Chart   Chart
	Sectors []protocol.Sector // the admin's sector change
	// Top are the 6 priority measures (report.TopActions), More the others.
	Top, More []actionView
	CapReason string
	Answers   []answerView
	// Observed are the topics the hosts' checks answer that Vigie does not
	// ask (antivirus, firewall, encryption, updates): « constaté » only.
	Observed []observedView
	Choices  []choice
	Saved    string
	// Exposures are the CERT-FR advisories affecting the entity's hosts.
	Exposures []app.AdvisoryExposure
	Err       string
	AD        *app.ADLevel // the entity's AD level (app.EntityAD), nil when no host reports one
	// Assets is the declared appliances section (inventory.go).
	Assets assetsView
	// Compare is the comparison with the entity's peers (compare.go).
	Compare comparisonView
	// Printed is when the page was made: the printed report's date.
	Printed string
}

type choice struct{ Value, Label string }

func (d entityData) flash() (string, string) { return d.Saved, d.Err }

type answerView struct {
	app.AnswerRow
	Theme    string
	Text     string
	Help     string
	Declared string // the answer in words, « non renseigné » when unanswered
	By       string
	Observed *observedView
}

type observedView struct {
	app.Observed
	Label string
	Seen  []seenView
}

type seenView struct {
	app.Seen
	Title    string
	Evidence string
}

// answerChoices are the form's options, in the questionnaire's order; ""
// is « non renseigné ».
var answerChoices = []string{"", protocol.AnswerYes, protocol.AnswerPartial, protocol.AnswerNo, protocol.AnswerUnknown, protocol.AnswerNotApplicable}

func (s *Server) entity(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	d := entityData{Assets: assetsView{Msg: assetsFlash(q)}}
	if n, err := strconv.Atoi(q.R.URL.Query().Get("saved")); err == nil && n >= 0 {
		d.Saved = q.L.F("answerssaved", n)
	}
	s.entityPage(q, id, d, http.StatusOK)
}

func (s *Server) entityPage(q *req, id int64, d entityData, status int) {
	r, err := s.app.Entity(q.R.Context(), id, q.User.Email)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	if d.Assets.Assets, err = s.app.EntityAssets(q.R.Context(), id); err != nil {
		s.fail(q, err)
		return
	}
	lang := q.L.Lang
	d.EntityReport, d.Chart, d.Sectors = r, BuildChart(r.History, q.L), protocol.Sectors
	if l, ok, err := s.app.EntityAD(q.R.Context(), r.Hosts); err != nil {
		s.fail(q, err)
		return
	} else if ok {
		d.AD = &l
	}
	d.CapReason = app.CapReason(r.Scores, lang)
	for _, c := range answerChoices {
		d.Choices = append(d.Choices, choice{Value: c, Label: T(lang, "ans-"+c)})
	}
	for i, a := range r.Actions {
		v := actionView{Action: a, Title: s.title(a.ID, lang), Advice: s.advice(a.ID, lang)}
		if g, ok := s.cfg.Guidance[a.ID]; ok {
			v.Fix = g.FixFor(lang, "", "")
		}
		if i < report.TopActions {
			d.Top = append(d.Top, v)
		} else {
			d.More = append(d.More, v)
		}
	}
	labels := map[string]string{}
	for id, l := range r.Labels {
		labels["agent:"+id] = l
	}
	for _, o := range r.Observed {
		ov := s.observedView(o, lang)
		if o.Question == "" {
			d.Observed = append(d.Observed, ov)
		}
	}
	for _, row := range r.Answers {
		v := answerView{AnswerRow: row, Theme: organisation.ThemeTitle(row.Question.Theme), Text: row.Question.Text(lang), Help: row.Question.Help(lang),
			Declared: answerWords(row.Answer.Value, lang), By: row.Answer.By}
		if h, ok := strings.CutPrefix(row.Answer.By, "agent:"); ok {
			v.By = q.L.F("byagent", cmpOr(labels[row.Answer.By], h[:min(8, len(h))]))
		}
		if row.Observed != nil {
			ov := s.observedView(*row.Observed, lang)
			v.Observed = &ov
		}
		d.Answers = append(d.Answers, v)
	}
	c, err := s.app.Comparison(q.R.Context(), id)
	if err != nil {
		s.fail(q, err)
		return
	}
	d.Compare, d.Printed = s.comparisonView(c, q.L), q.L.Date(s.app.Now())
	d.Exposures = s.exposuresOf(app.ExposureFilter{EntityID: r.Entity.ID})
	s.render(q, status, "entity", r.Entity.Name, d)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) observedView(o app.Observed, lang string) observedView {
	v := observedView{Observed: o, Label: o.FR}
	if lang == "en" {
		v.Label = o.EN
	}
	for _, x := range o.Seen {
		v.Seen = append(v.Seen, seenView{Seen: x, Title: s.title(x.Check, lang), Evidence: x.Evidence.In(lang)})
	}
	return v
}

// answerWords is a stored answer as the page says it: « non renseigné »
// for no answer and for « ne sait pas », which count as not done.
func answerWords(v, lang string) string {
	switch v {
	case "":
		return T(lang, "unanswered")
	case protocol.AnswerUnknown:
		return T(lang, "unanswered") + " (" + T(lang, "ans-unknown") + ")"
	}
	return T(lang, "ans-"+v)
}

// answersPost records the answers an adviser filled in for the entity: one
// select per question, named after its ID.
func (s *Server) answersPost(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	answers := map[string]string{}
	for _, qu := range organisation.Questions() {
		if vs, ok := q.R.PostForm[qu.ID]; ok && len(vs) == 1 {
			answers[qu.ID] = vs[0]
		}
	}
	n, err := s.app.SetAnswers(q.R.Context(), id, answers, q.User.Email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
	case errors.Is(err, app.ErrBadInput):
		s.entityPage(q, id, entityData{Err: q.L.F("badinput", err.Error())}, http.StatusBadRequest)
	case err != nil:
		s.fail(q, err)
	default:
		http.Redirect(q.W, q.R, "/entity/"+strconv.FormatInt(id, 10)+"?saved="+strconv.Itoa(n)+"#answers", http.StatusSeeOther)
	}
}

// advice is the guidance on check id in lang, nil when this hub has none.
func (s *Server) advice(id, lang string) *checks.Advice {
	if g, ok := s.cfg.Guidance[id]; ok {
		a := g.In(lang)
		return &a
	}
	return nil
}
