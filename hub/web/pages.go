package web

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

func (s *Server) title(id, lang string) string {
	if g, ok := s.cfg.Guidance[id]; ok {
		return g.In(lang).Title
	}
	return id
}

func parseFilter(r *http.Request) Filter {
	f := Filter{Sector: r.URL.Query().Get("sector"), Level: -1}
	if l, err := strconv.Atoi(r.URL.Query().Get("level")); err == nil && l >= 0 && l <= 4 {
		f.Level = l
	}
	return f
}

type failedView struct {
	FailedCount
	Title string
}

type overviewData struct {
	Ov         Overview
	Filter     Filter
	Domains    []string
	Levels     []int
	Failed     []failedView
	SilentDays int
	MinAgg     int
	MaxDist    int
	Query      string // filter query for export links
}

// Overview computes the region page's model for filter f (exported for
// the benchmark).
func (s *Server) Overview(ctx context.Context, f Filter) (Overview, error) {
	rows, err := s.cfg.Store.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return Overview{}, err
	}
	return BuildOverview(rows, f, s.cfg.Now(), time.Duration(s.cfg.SilentDays)*24*time.Hour, s.cfg.MinAggregate), nil
}

func (s *Server) overview(q *req) {
	f := parseFilter(q.R)
	ov, err := s.Overview(q.R.Context(), f)
	if err != nil {
		s.fail(q, err)
		return
	}
	d := overviewData{Ov: ov, Filter: f, Levels: []int{0, 1, 2, 3, 4}, SilentDays: s.cfg.SilentDays, MinAgg: s.cfg.MinAggregate}
	for _, dom := range store.Domains {
		d.Domains = append(d.Domains, DomainName(dom, q.L.Lang))
	}
	for _, fc := range ov.TopFailed {
		d.Failed = append(d.Failed, failedView{fc, s.title(fc.ID, q.L.Lang)})
	}
	for _, n := range ov.Distribution {
		d.MaxDist = max(d.MaxDist, n)
	}
	d.Query = filterQuery(f)
	s.render(q, http.StatusOK, "overview", q.L.T("overview"), d)
}

func filterQuery(f Filter) string {
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

// ---- entity ----

type hostView struct {
	store.HostRow
	Class string
}

type actionView struct {
	ID       string
	Title    string
	Status   protocol.Status
	Severity protocol.Severity
	Domain   string
	Hosts    []string
	Advice   *checks.Advice
}

type entityData struct {
	Entity  store.Entity
	Hosts   []store.HostRow
	Chart   Chart
	Actions []actionView
	// Unreadable lists the hosts whose latest scorecard's details do not
	// decode (protocol.Summary): their actions are missing from the list.
	Unreadable []string
}

func (s *Server) entity(q *req) {
	ctx := q.R.Context()
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	e, err := s.cfg.Store.Entity(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	rows, err := s.cfg.Store.Hosts(ctx, store.HostFilter{EntityID: id, IncludeRevoked: true})
	if err != nil {
		s.fail(q, err)
		return
	}
	d := entityData{Entity: e, Hosts: rows}
	var series []Series
	acts := map[string]*actionView{}
	for _, h := range rows {
		if h.Latest == nil {
			continue
		}
		hist, err := s.cfg.Store.History(ctx, h.Agent.ID, 90)
		if err != nil {
			s.fail(q, err)
			return
		}
		series = append(series, Series{Label: hostLabel(h.Agent), Points: hist})
		full, err := s.cfg.Store.Scorecard(ctx, h.Agent.ID, h.Latest.ID)
		if err != nil {
			s.fail(q, err)
			return
		}
		sc, err := decodeStored(full.Envelope)
		if err != nil {
			d.Unreadable = append(d.Unreadable, hostLabel(h.Agent))
			continue
		}
		for _, a := range sc.Actions {
			av := acts[a.ID]
			if av == nil {
				av = &actionView{ID: a.ID, Title: s.title(a.ID, q.L.Lang), Status: a.Status, Severity: a.Severity, Domain: DomainName(a.Domain, q.L.Lang)}
				if g, ok := s.cfg.Guidance[a.ID]; ok {
					adv := g.In(q.L.Lang)
					av.Advice = &adv
				}
				acts[a.ID] = av
			}
			if a.Status == protocol.Fail {
				av.Status = protocol.Fail
			}
			if a.Severity.Rank() < av.Severity.Rank() {
				av.Severity = a.Severity
			}
			if !slices.Contains(av.Hosts, hostLabel(h.Agent)) {
				av.Hosts = append(av.Hosts, hostLabel(h.Agent))
			}
		}
	}
	for _, a := range acts {
		d.Actions = append(d.Actions, *a)
	}
	// Failures before warnings, then severity, then the number of hosts.
	slices.SortFunc(d.Actions, func(a, b actionView) int {
		if a.Status != b.Status {
			if a.Status == protocol.Fail {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.Severity.Rank(), b.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.Hosts), len(a.Hosts)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	d.Chart = BuildChart(series, q.L)
	s.record(ctx, q.User.Email, "view_entity", e.Name, "")
	s.render(q, http.StatusOK, "entity", e.Name, d)
}

func hostLabel(a store.Agent) string {
	if a.Hostname != "" {
		return a.Hostname
	}
	return a.ID[:min(8, len(a.ID))]
}

// decodeStored decodes a stored envelope's scorecard without verifying (the
// host page verifies; the envelope was verified on receipt).
func decodeStored(envelope []byte) (*protocol.Scorecard, error) {
	env, err := protocol.ParseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, err
	}
	return protocol.Decode(payload)
}

// ---- host ----

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
	ctx := q.R.Context()
	agent, err := s.cfg.Store.Agent(ctx, q.R.PathValue("agent"))
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	d := hostData{Agent: agent}
	var rec *store.Scorecard
	if id := q.R.URL.Query().Get("sc"); id != "" {
		rec, err = s.cfg.Store.Scorecard(ctx, agent.ID, id)
	} else {
		rec, err = s.cfg.Store.LatestScorecard(ctx, agent.ID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(q, err)
		return
	}
	if rec != nil {
		d.Record = rec
		// The signature is checked again now, from the stored envelope: what
		// the adviser reads is what the agent signed.
		env, err := protocol.ParseEnvelope(rec.Envelope)
		var payload []byte
		if err == nil {
			payload, err = protocol.Verify(env, protocol.PayloadType, ed25519.PublicKey(agent.PublicKey))
		}
		if err != nil {
			d.SigMsg = q.L.F("sigbad", err.Error())
		} else {
			d.SigOK, d.SigMsg = true, q.L.F("sigok", agent.ID)
			// Only the summary was checked on receipt (protocol.Summary):
			// a scorecard whose details do not decode is said so here.
			if sc, err := protocol.Decode(payload); err == nil {
				d.Scorecard = sc
			} else {
				d.Unreadable = q.L.F("unreadable", err.Error())
			}
		}
		if d.Scorecard != nil {
			for _, r := range d.Scorecard.Results {
				rv := resultView{Result: r, Title: s.title(r.ID, q.L.Lang), Evidence: r.Evidence.In(q.L.Lang)}
				if g, ok := s.cfg.Guidance[r.ID]; ok {
					a := g.In(q.L.Lang)
					rv.Advice = &a
				}
				d.Results = append(d.Results, rv)
			}
			slices.SortStableFunc(d.Results, func(a, b resultView) int {
				if c := cmp.Compare(statusRank(a.Status), statusRank(b.Status)); c != 0 {
					return c
				}
				return cmp.Compare(a.Severity.Rank(), b.Severity.Rank())
			})
			for _, ds := range d.Scorecard.Domains {
				d.Domains = append(d.Domains, domainView{Name: DomainName(ds.Domain, q.L.Lang), Score: ds.Score, Class: Bucket(ds.Score)})
			}
		}
	}
	if d.History, err = s.cfg.Store.History(ctx, agent.ID, 30); err != nil {
		s.fail(q, err)
		return
	}
	slices.Reverse(d.History)
	s.record(ctx, q.User.Email, "view_host", agent.Entity+" / "+hostLabel(agent), agent.ID)
	s.render(q, http.StatusOK, "host", hostLabel(agent), d)
}

func statusRank(s protocol.Status) int {
	switch s {
	case protocol.Fail:
		return 0
	case protocol.Warn:
		return 1
	case protocol.Error:
		return 2
	case protocol.Pass:
		return 3
	}
	return 4
}

// ---- exports ----

// ExportRow is one host in the CSV and JSON exports.
type ExportRow struct {
	Entity       string         `json:"entity"`
	Sector       string         `json:"sector"`
	Hostname     string         `json:"hostname"`
	AgentID      string         `json:"agent_id"`
	OS           string         `json:"os"`
	Platform     string         `json:"platform"`
	AgentVersion string         `json:"agent_version"`
	LastReport   *time.Time     `json:"last_report"`
	Score        *int           `json:"score"`
	Level        *int           `json:"level"`
	LevelName    string         `json:"level_name"`
	Domains      map[string]int `json:"domains"`
	Failed       []string       `json:"failed_checks"`
}

// ExportRows lists the hosts of the entities matching f, with their latest
// scorecard's figures.
func ExportRows(ctx context.Context, st store.Store, f Filter, lang string, now time.Time) ([]ExportRow, error) {
	rows, err := st.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return nil, err
	}
	ov := BuildOverview(rows, f, now, 0, 0)
	keep := map[int64]bool{}
	for _, e := range ov.Entities {
		keep[e.ID] = true
	}
	out := []ExportRow{}
	for _, r := range rows {
		if !keep[r.Agent.EntityID] {
			continue
		}
		a := r.Agent
		x := ExportRow{Entity: a.Entity, Sector: a.Sector, Hostname: a.Hostname, AgentID: a.ID, OS: a.OS, Platform: a.Platform, AgentVersion: a.AgentVersion, Domains: map[string]int{}, Failed: []string{}}
		if l := r.Latest; l != nil {
			t, sc, lv := l.ReceivedAt, l.Score, l.Level
			x.LastReport, x.Score, x.Level, x.LevelName = &t, &sc, &lv, protocol.Level(lv).Name(lang)
			for i, d := range l.DomainScores {
				if d >= 0 {
					x.Domains[string(store.Domains[i])] = d
				}
			}
			x.Failed = append(x.Failed, l.Failed...)
		}
		out = append(out, x)
	}
	return out, nil
}

// csvSafe defuses spreadsheet formulas: host names come from agents.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// WriteCSV writes rows as CSV (UTF-8 with a BOM so that spreadsheets read
// accents correctly).
func WriteCSV(w io.Writer, rows []ExportRow) error {
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	head := []string{"entity", "sector", "hostname", "agent_id", "os", "platform", "agent_version", "last_report", "score", "level", "level_name"}
	for _, d := range store.Domains {
		head = append(head, "score_"+string(d))
	}
	cw.Write(append(head, "failed_checks"))
	for _, r := range rows {
		rec := []string{csvSafe(r.Entity), csvSafe(r.Sector), csvSafe(r.Hostname), r.AgentID, csvSafe(r.OS), csvSafe(r.Platform), csvSafe(r.AgentVersion), "", "", "", r.LevelName}
		if r.LastReport != nil {
			rec[7], rec[8], rec[9] = r.LastReport.UTC().Format(time.RFC3339), strconv.Itoa(*r.Score), strconv.Itoa(*r.Level)
		}
		for _, d := range store.Domains {
			if v, ok := r.Domains[string(d)]; ok {
				rec = append(rec, strconv.Itoa(v))
			} else {
				rec = append(rec, "")
			}
		}
		cw.Write(append(rec, csvSafe(strings.Join(r.Failed, " "))))
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes rows as one JSON document.
func WriteJSON(w io.Writer, rows []ExportRow, f Filter, now time.Time) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"exported_at": now.UTC(), "filter": map[string]any{"sector": f.Sector, "level": f.Level}, "hosts": rows})
}

func (s *Server) exportCSV(q *req)  { s.export(q, "csv", "text/csv") }
func (s *Server) exportJSON(q *req) { s.export(q, "json", "application/json") }

// export answers the filtered host list as a download in format.
func (s *Server) export(q *req, format, mediaType string) {
	f := parseFilter(q.R)
	rows, err := ExportRows(q.R.Context(), s.cfg.Store, f, q.L.Lang, s.cfg.Now())
	if err != nil {
		s.fail(q, err)
		return
	}
	s.record(q.R.Context(), q.User.Email, "export", format, filterQuery(f))
	q.W.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	q.W.Header().Set("Content-Disposition", `attachment; filename="vigie-export.`+format+`"`)
	if format == "json" {
		WriteJSON(q.W, rows, f, s.cfg.Now())
	} else {
		WriteCSV(q.W, rows)
	}
}

// ---- admin: tokens ----

type tokensData struct {
	Tokens   []store.Token
	NewToken string
	Err      string
	Now      time.Time
	Sectors  []string
}

func (d tokensData) flash() (string, string) { return "", d.Err }

func (s *Server) tokenList(q *req, d tokensData, status int) {
	toks, err := s.cfg.Store.Tokens(q.R.Context())
	if err != nil {
		s.fail(q, err)
		return
	}
	d.Tokens, d.Now, d.Sectors = toks, s.cfg.Now(), Sectors
	s.render(q, status, "tokens", q.L.T("tokens"), d)
}

func (s *Server) tokens(q *req) { s.tokenList(q, tokensData{}, http.StatusOK) }

func (s *Server) tokenCreate(q *req) {
	f := q.R.PostForm
	entity, sector := strings.TrimSpace(f.Get("entity")), strings.TrimSpace(f.Get("sector"))
	hours, err := strconv.Atoi(f.Get("hours"))
	if CheckEntity(entity, sector) != nil || err != nil || hours < 1 || hours > 24*30 {
		s.tokenList(q, tokensData{Err: q.L.F("badinput", q.L.T("entity")+" / "+q.L.T("expiresin"))}, http.StatusBadRequest)
		return
	}
	tok, err := CreateToken(q.R.Context(), s.cfg.Store, entity, sector, time.Duration(hours)*time.Hour, q.User.Email, s.cfg.Now())
	if err != nil {
		s.fail(q, err)
		return
	}
	s.tokenList(q, tokensData{NewToken: tok}, http.StatusCreated)
}

// Sectors are the kinds of entity a region's hub knows.
var Sectors = []string{"commune", "hospital", "port", "other"}

// ErrBadInput is an administrator's entry the hub refuses, with the reason
// in French.
var ErrBadInput = errors.New("saisie refusée")

// CheckEntity refuses an entity name that is empty, longer than 200 bytes
// or holds control characters or invalid UTF-8 (PostgreSQL refuses NUL and
// invalid UTF-8; a line break would break the CSV export's rows and the
// audit log's lines), and a sector outside Sectors, where a typo would
// silently make a new sector in the region's statistics.
func CheckEntity(name, sector string) error {
	if name == "" || len(name) > 200 || !printable(name) {
		return fmt.Errorf("%w : nom d'entité vide, trop long (200 octets au plus) ou avec des caractères de contrôle", ErrBadInput)
	}
	if !slices.Contains(Sectors, sector) {
		return fmt.Errorf("%w : secteur %q inconnu (attendu : %s)", ErrBadInput, sector, strings.Join(Sectors, ", "))
	}
	return nil
}

// CheckEmail refuses an account address without "@", longer than 200
// bytes, or with control characters or invalid UTF-8.
func CheckEmail(email string) error {
	if !strings.Contains(email, "@") || len(email) > 200 || !printable(email) {
		return fmt.Errorf("%w : adresse électronique invalide", ErrBadInput)
	}
	return nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// CreateToken makes a one-time enrolment token for entity (created when
// new) and records it in the audit log; it returns the token, which is
// stored only as a hash. Used by the UI and by `vigie-hub token create`.
func CreateToken(ctx context.Context, st store.Store, entity, sector string, validity time.Duration, by string, now time.Time) (string, error) {
	if err := CheckEntity(entity, sector); err != nil {
		return "", err
	}
	e, err := st.EnsureEntity(ctx, entity, sector)
	if err != nil {
		return "", err
	}
	tok := api.NewToken()
	if err := st.CreateToken(ctx, store.Token{Hash: api.HashToken(tok), EntityID: e.ID, CreatedAt: now, ExpiresAt: now.Add(validity), CreatedBy: by}); err != nil {
		return "", err
	}
	st.Audit(ctx, store.AuditEntry{At: now, Actor: by, Action: "token_create", Target: e.Name, Detail: "valid " + validity.String()})
	return tok, nil
}

// ---- admin: users ----

type usersData struct {
	Users []store.User
	Msg   string
	Err   string
}

func (d usersData) flash() (string, string) { return d.Msg, d.Err }

func (s *Server) userList(q *req, d usersData, status int) {
	us, err := s.cfg.Store.Users(q.R.Context())
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
	email := strings.TrimSpace(f.Get("email"))
	role, err := store.ParseRole(f.Get("role"))
	if err != nil || CheckEmail(email) != nil {
		s.userList(q, usersData{Err: q.L.F("badinput", q.L.T("email")+" / "+q.L.T("role"))}, http.StatusBadRequest)
		return
	}
	pw := f.Get("password")
	if auth.CheckStrength(pw) != nil {
		s.userList(q, usersData{Err: q.L.T("weakpw")}, http.StatusBadRequest)
		return
	}
	h, err := auth.Hash(pw, s.cfg.Argon2)
	if err != nil {
		s.fail(q, err)
		return
	}
	u, err := s.cfg.Store.CreateUser(q.R.Context(), store.User{Email: email, Role: role, PasswordHash: h, CreatedAt: s.cfg.Now()})
	if errors.Is(err, store.ErrExists) {
		s.userList(q, usersData{Err: q.L.T("exists")}, http.StatusConflict)
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	s.record(q.R.Context(), q.User.Email, "user_add", u.Email, string(u.Role))
	s.userList(q, usersData{Msg: q.L.T("useradded")}, http.StatusCreated)
}

func (s *Server) userDisable(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil || id == q.User.ID {
		s.userList(q, usersData{Err: q.L.F("badinput", "id")}, http.StatusBadRequest)
		return
	}
	disabled := q.R.PostForm.Get("disabled") == "1"
	if err := s.cfg.Store.SetUserDisabled(q.R.Context(), id, disabled); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.message(q, http.StatusNotFound, q.L.T("notfound"))
			return
		}
		s.fail(q, err)
		return
	}
	s.record(q.R.Context(), q.User.Email, map[bool]string{true: "user_disable", false: "user_enable"}[disabled], strconv.FormatInt(id, 10), "")
	http.Redirect(q.W, q.R, "/admin/users", http.StatusSeeOther)
}

// ---- admin: agents ----

type agentsData struct {
	Hosts []store.HostRow
	Msg   string
}

func (d agentsData) flash() (string, string) { return d.Msg, "" }

func (s *Server) agentList(q *req, msg string) {
	rows, err := s.cfg.Store.Hosts(q.R.Context(), store.HostFilter{IncludeRevoked: true})
	if err != nil {
		s.fail(q, err)
		return
	}
	s.render(q, http.StatusOK, "agents", q.L.T("agents"), agentsData{Hosts: rows, Msg: msg})
}

func (s *Server) agents(q *req) { s.agentList(q, "") }

func (s *Server) agentRevoke(q *req) {
	id := q.R.PathValue("id")
	if err := s.cfg.Store.RevokeAgent(q.R.Context(), id, q.User.Email, s.cfg.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.message(q, http.StatusNotFound, q.L.T("notfound"))
			return
		}
		s.fail(q, err)
		return
	}
	s.record(q.R.Context(), q.User.Email, "agent_revoke", id, "")
	s.agentList(q, q.L.T("revokedmsg"))
}
