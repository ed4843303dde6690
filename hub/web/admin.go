package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// ---- tokens ----

type tokensData struct {
	Tokens    []store.Token
	NewToken  string
	NewEntity string
	Validity  time.Duration
	Uses      int    // hosts NewToken enrols
	Install   string // the vigie install command for NewToken
	Derived   bool   // the hub's address in Install was taken from the request
	Err       string
	Now       time.Time
	Sectors   []protocol.Sector
	Bands     []bandGroup // size bands, by scale
}

func (d tokensData) flash() (string, string) { return "", d.Err }

func (s *Server) tokenList(q *req, d tokensData, status int) {
	toks, err := s.app.Tokens(q.R.Context())
	if err != nil {
		s.fail(q, err)
		return
	}
	d.Tokens, d.Now, d.Sectors, d.Bands = toks, s.app.Now(), protocol.Sectors, tokenBandGroups(q.L.Lang)
	s.render(q, status, "tokens", q.L.T("tokens"), d)
}

func (s *Server) tokens(q *req) { s.tokenList(q, tokensData{}, http.StatusOK) }

func (s *Server) tokenCreate(q *req) {
	f := q.R.PostForm
	entity, sector := strings.TrimSpace(f.Get("entity")), strings.TrimSpace(f.Get("sector"))
	bad := func() {
		s.tokenList(q, tokensData{Err: q.L.F("badinput", q.L.T("entity")+" / "+q.L.T("expiresin"))}, http.StatusBadRequest)
	}
	hours, err := strconv.Atoi(f.Get("hours"))
	if err != nil || hours < 1 || time.Duration(hours)*time.Hour > app.MaxTokenValidity {
		bad()
		return
	}
	validity := time.Duration(hours) * time.Hour
	uses := 1
	if v := strings.TrimSpace(f.Get("uses")); v != "" {
		if uses, err = strconv.Atoi(v); err != nil {
			bad()
			return
		}
	}
	band := strings.TrimSpace(f.Get("size_band"))
	tok, err := s.app.CreateEntityToken(q.R.Context(), app.TokenRequest{Entity: entity, Sector: sector, SizeBand: band, Validity: validity, Uses: uses}, q.User.Email)
	var conflict *app.EntityConflict
	if errors.As(err, &conflict) {
		s.tokenList(q, tokensData{Err: conflict.Message(q.L.Lang)}, http.StatusConflict)
		return
	}
	if errors.Is(err, app.ErrBadInput) {
		if _, berr := cohort.ParseBand(protocol.Sector(sector), band); berr != nil {
			s.tokenList(q, tokensData{Err: q.L.F("badinput", q.L.T("cmp.band")+" — "+berr.Error())}, http.StatusBadRequest)
			return
		}
		bad()
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	fp := s.cfg.SPKI
	if fp == "" {
		fp = "<EMPREINTE>"
	}
	hub := app.PublicURL(s.cfg.PublicURL, q.R.Host, "")
	s.tokenList(q, tokensData{NewToken: tok, NewEntity: entity, Validity: validity, Uses: uses, Install: app.InstallCommand(hub, tok, fp), Derived: s.cfg.PublicURL == ""}, http.StatusCreated)
}

// ---- users ----

type usersData struct {
	Users []store.User
	Msg   string
	Err   string
}

func (d usersData) flash() (string, string) { return d.Msg, d.Err }

func (s *Server) userList(q *req, d usersData, status int) {
	us, err := s.app.Store().Users(q.R.Context())
	if err != nil {
		s.fail(q, err)
		return
	}
	d.Users = us
	s.render(q, status, "users", q.L.T("users"), d)
}

func (s *Server) users(q *req) { s.userList(q, usersData{}, http.StatusOK) }

func (s *Server) userAdd(q *req) {
	f := q.R.PostForm
	_, err := s.app.AddUser(q.R.Context(), strings.TrimSpace(f.Get("email")), f.Get("role"), f.Get("password"), s.cfg.Argon2, q.User.Email)
	switch {
	case errors.Is(err, app.ErrBadInput):
		s.userList(q, usersData{Err: q.L.F("badinput", q.L.T("email")+" / "+q.L.T("role"))}, http.StatusBadRequest)
	case errors.Is(err, app.ErrWeakPassword):
		s.userList(q, usersData{Err: q.L.T("weakpw")}, http.StatusBadRequest)
	case errors.Is(err, store.ErrExists):
		s.userList(q, usersData{Err: q.L.T("exists")}, http.StatusConflict)
	case err != nil:
		s.fail(q, err)
	default:
		s.userList(q, usersData{Msg: q.L.T("useradded")}, http.StatusCreated)
	}
}

func (s *Server) userDisable(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err == nil {
		err = s.app.SetUserDisabled(q.R.Context(), id, q.R.PostForm.Get("disabled") == "1", *q.User)
	}
	switch {
	case err == nil:
		http.Redirect(q.W, q.R, "/admin/users", http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
	case errors.Is(err, app.ErrBadInput), errors.Is(err, strconv.ErrSyntax), errors.Is(err, strconv.ErrRange):
		s.userList(q, usersData{Err: q.L.F("badinput", "id")}, http.StatusBadRequest)
	default:
		s.fail(q, err)
	}
}

// ---- agents ----

type agentsData struct {
	Hosts   []store.HostRow
	Labels  map[string]string // agent ID -> host label (app.HostLabels)
	Confirm *revokeConfirm    // the second step of a revocation
	Msg     string
}

type revokeConfirm struct {
	Agent store.Agent
	Label string
}

func (d agentsData) flash() (string, string) { return d.Msg, "" }

func (s *Server) agentList(q *req, d agentsData) {
	rows, err := s.app.Store().Hosts(q.R.Context(), store.HostFilter{IncludeRevoked: true})
	if err != nil {
		s.fail(q, err)
		return
	}
	d.Hosts, d.Labels = rows, app.HostLabels(rows)
	s.render(q, http.StatusOK, "agents", q.L.T("agents"), d)
}

func (s *Server) agents(q *req) { s.agentList(q, agentsData{}) }

// agentRevoke revokes in two steps: the list's button asks (a page saying
// what revocation does, with the agent named), the confirmation's button
// (confirm=1) revokes. Both are CSRF-protected POSTs; no script involved.
func (s *Server) agentRevoke(q *req) {
	id := q.R.PathValue("id")
	if q.R.PostForm.Get("confirm") != "1" {
		a, err := s.app.Store().Agent(q.R.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			s.message(q, http.StatusNotFound, q.L.T("notfound"))
			return
		}
		if err != nil {
			s.fail(q, err)
			return
		}
		s.agentList(q, agentsData{Confirm: &revokeConfirm{Agent: a, Label: app.HostLabel(a)}})
		return
	}
	err := s.app.RevokeAgent(q.R.Context(), id, q.User.Email)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	s.agentList(q, agentsData{Msg: q.L.T("revokedmsg")})
}
