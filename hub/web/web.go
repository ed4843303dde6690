// Package web is the advisers' interface of the hub: server-rendered pages
// (html/template, no JavaScript at all), French by default with English,
// sessions with CSRF tokens, argon2id logins, and a strict
// Content-Security-Policy. It parses forms and renders pages; the rules
// (tokens, accounts, revocation, the overview, exports, reading stored
// scorecards) are hub/app's, shared with the command line.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/ratelimit"
	"github.com/vigie-cyber/vigie/hub/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config holds the UI's dependencies and settings.
type Config struct {
	Store store.Store
	// Advisories is the hub's advisories matcher (pages « Avis CERT-FR »,
	// « Qui utilise… ? »); nil: those pages say none is loaded.
	Advisories *app.Advisories
	Guidance   checks.Catalogue // catalogue.Load()
	Version    string
	Now        func() time.Time
	Logger     *slog.Logger
	// SilentDays: an entity with no report for longer is listed as silent (default 30).
	SilentDays int
	// MinAggregate: aggregates over fewer entities are hidden (default 5).
	MinAggregate int
	// SessionTTL: how long a login lasts (default 8 h).
	SessionTTL time.Duration
	// Argon2 parameters for accounts created from the UI (default auth.Default).
	Argon2 auth.Params
	// PublicURL is the hub's address for agents, given in the install
	// command shown with a new token; empty: taken from the request's Host.
	PublicURL string
	// SPKI is the fingerprint agents pin (hex SHA-256 of the certificate's
	// public key), given in the install command.
	SPKI string
	// MaxPasswordChecks bounds the argon2id checks run at once (default 4;
	// negative: unbounded): each holds 64 MiB, so logins from many
	// addresses cannot exhaust the hub's memory. A login waits up to
	// PasswordWait (default 5 s) for its turn, then gets 503.
	MaxPasswordChecks int
	PasswordWait      time.Duration
	// Alerts is the alert engine (test alerts, the configuration file's
	// webhooks); AlertsPerHour its cap, shown to advisers.
	Alerts        app.Alerter
	AlertsPerHour int
	// Incidents is the declared incidents service (« Incidents » pages);
	// nil: those pages say incidents are not enabled.
	Incidents *app.Incidents
}

// Server serves the UI.
type Server struct {
	cfg     Config
	app     *app.App
	log     *slog.Logger
	pages   map[string]*template.Template
	loginIP *ratelimit.Limiter
	loginID *ratelimit.Limiter
	static  fs.FS
	dummy   string // hash checked for unknown accounts (same timing)
	// throttled counts logins refused by loginIP and loginID.
	throttled throttleLog
	pwSlots   chan struct{} // argon2id checks in progress; nil: unbounded
	check     func(encoded, pw string) (bool, error)
	national  bool // RegisterNational: the national hub's menu
}

const (
	sessionCookie = "__Host-vigie_session"
	loginCookie   = "__Host-vigie_login" // double-submit CSRF for the login form
	langCookie    = "vigie_lang"
)

// CSP forbids every script, inline style and foreign resource: the pages
// are plain HTML with one stylesheet served from here.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New parses the templates and returns the UI server.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.SilentDays <= 0 {
		cfg.SilentDays = 30
	}
	if cfg.MinAggregate <= 0 {
		cfg.MinAggregate = 5
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Argon2.Time == 0 {
		cfg.Argon2 = auth.Default
	}
	if cfg.Guidance == nil {
		cfg.Guidance = checks.Catalogue{}
	}
	if cfg.MaxPasswordChecks == 0 {
		cfg.MaxPasswordChecks = 4
	}
	if cfg.PasswordWait <= 0 {
		cfg.PasswordWait = 5 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pages: map[string]*template.Template{},
		app: app.New(app.Config{Store: cfg.Store, Now: cfg.Now, SilentDays: cfg.SilentDays, MinAggregate: cfg.MinAggregate, Logger: cfg.Logger,
			Rank: func(id string) int { return cfg.Guidance[id].Rank }, Alerts: cfg.Alerts}),
		loginIP: ratelimit.New(10, time.Minute, 10, cfg.Now),
		loginID: ratelimit.New(5, 15*time.Minute, 5, cfg.Now)}
	dummy, err := auth.Hash(randomToken(), cfg.Argon2)
	if err != nil {
		return nil, err
	}
	s.dummy = dummy
	s.check = auth.Check
	if cfg.MaxPasswordChecks > 0 {
		s.pwSlots = make(chan struct{}, cfg.MaxPasswordChecks)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	s.static = static
	base, err := template.New("base").Funcs(funcs).ParseFS(assets, "templates/base.html")
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"login", "overview", "entity", "host", "ad", "audit", "tokens", "users", "agents", "message",
		"advisories", "advisory", "whouses", "alerts", "deliveries", "national", "incidents", "incident"} {
		files := []string{"templates/" + p + ".html", "templates/exposures.html"}
		if p == "host" || p == "entity" {
			files = append(files, "templates/inventory.html") // software, declared appliances
		}
		if p == "overview" || p == "entity" {
			files = append(files, "templates/compare.html") // the comparison with peers
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, files...)
		if err != nil {
			return nil, err
		}
		s.pages[p] = t
	}
	return s, nil
}

// Register adds the UI routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.staticHandler()))
	mux.HandleFunc("GET /login", s.wrap(s.loginPage, false))
	mux.HandleFunc("POST /login", s.wrap(s.loginPost, false))
	mux.HandleFunc("POST /logout", s.wrap(s.logout, false))
	mux.HandleFunc("GET /{$}", s.authed(s.overview, false))
	mux.HandleFunc("GET /entity/{id}", s.authed(s.entity, false))
	mux.HandleFunc("POST /entity/{id}/answers", s.authed(s.answersPost, false))
	mux.HandleFunc("GET /host/{agent}", s.authed(s.host, false))
	mux.HandleFunc("GET /ad", s.authed(s.adPage, false))
	mux.HandleFunc("GET /advisories", s.authed(s.advisoriesPage, false))
	mux.HandleFunc("GET /advisories/{ref}", s.authed(s.advisoryPage, false))
	mux.HandleFunc("GET /advisories/{ref}/exposure.csv", s.authed(s.advisoryCSV, false))
	mux.HandleFunc("GET /whouses", s.authed(s.whoUsesPage, false))
	mux.HandleFunc("POST /entity/{id}/assets", s.authed(s.assetAdd, false))
	mux.HandleFunc("POST /entity/{id}/assets/import", s.authed(s.assetImport, false))
	mux.HandleFunc("POST /entity/{id}/assets/{asset}/delete", s.authed(s.assetDelete, false))
	mux.HandleFunc("GET /export.csv", s.authed(s.exportCSV, false))
	mux.HandleFunc("GET /export.json", s.authed(s.exportJSON, false))
	mux.HandleFunc("GET /audit", s.authed(s.audit, true))
	mux.HandleFunc("GET /admin/tokens", s.authed(s.tokens, true))
	mux.HandleFunc("POST /admin/tokens", s.authed(s.tokenCreate, true))
	mux.HandleFunc("GET /admin/users", s.authed(s.users, true))
	mux.HandleFunc("POST /admin/users", s.authed(s.userAdd, true))
	mux.HandleFunc("POST /admin/users/{id}/disabled", s.authed(s.userDisable, true))
	mux.HandleFunc("GET /admin/agents", s.authed(s.agents, true))
	mux.HandleFunc("POST /admin/agents/{id}/revoke", s.authed(s.agentRevoke, true))
	mux.HandleFunc("POST /admin/entities/{id}/sector", s.authed(s.entitySector, true))
	mux.HandleFunc("POST /admin/entities/{id}/size-band", s.authed(s.entitySizeBand, true))
	mux.HandleFunc("GET /alerts", s.authed(s.alerts, false))
	mux.HandleFunc("POST /alerts", s.authed(s.alertsSave, false))
	mux.HandleFunc("POST /alerts/test", s.authed(s.alertsTest, false))
	mux.HandleFunc("GET /admin/alerts", s.authed(s.deliveries, true))
	mux.HandleFunc("POST /admin/webhooks", s.authed(s.webhookAdd, true))
	mux.HandleFunc("POST /admin/webhooks/test", s.authed(s.webhookTest, true))
	mux.HandleFunc("POST /admin/webhooks/{id}/delete", s.authed(s.webhookDelete, true))
	s.registerIncidents(mux)
}

// Handler returns a mux serving only the UI.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

func (s *Server) staticHandler() http.Handler {
	fsrv := http.FileServerFS(s.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// req is one request's context for handlers and templates.
type req struct {
	W       http.ResponseWriter
	R       *http.Request
	L       tr
	User    *store.User
	Session *store.Session
}

func (s *Server) wrap(h func(*req), _ bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			// Every form of the UI is small: the body that holds it is
			// bounded before anything parses it (net/http would read 10 MB).
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormSize)
		}
		h(&req{W: w, R: r, L: tr{Lang: s.lang(w, r)}})
	}
}

// authed requires a session (and the admin role when admin is set).
func (s *Server) authed(h func(*req), admin bool) http.HandlerFunc {
	return s.wrap(func(q *req) {
		c, err := q.R.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(q.W, q.R, "/login", http.StatusSeeOther)
			return
		}
		se, u, err := s.cfg.Store.SessionUser(q.R.Context(), hashCookie(c.Value), s.cfg.Now())
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.fail(q, err)
				return
			}
			http.Redirect(q.W, q.R, "/login", http.StatusSeeOther)
			return
		}
		q.User, q.Session = &u, &se
		if admin && u.Role != store.RoleAdmin {
			s.message(q, http.StatusForbidden, q.L.T("forbidden"))
			return
		}
		if q.R.Method == http.MethodPost {
			if err := q.R.ParseForm(); err != nil || subtle.ConstantTimeCompare([]byte(q.R.PostForm.Get("csrf")), []byte(se.CSRF)) != 1 {
				s.message(q, http.StatusForbidden, q.L.T("badcsrf"))
				return
			}
		}
		h(q)
	}, admin)
}

// lang picks the page language: ?lang= (remembered in a cookie), else the
// cookie, else French.
func (s *Server) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "fr" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "fr"
}

func hashCookie(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// page is what every template receives.
type page struct {
	*req
	Title   string
	CSRF    string
	Version string
	Data    any
	Flash   string
	Error   string
	Path    string // current path + query without lang, for the language switch
	// National: the national hub's menu (RegisterNational).
	National bool
}

func (s *Server) render(q *req, status int, name, title string, data any) {
	p := page{req: q, Title: title, Version: s.cfg.Version, Data: data, Path: q.R.URL.Path, National: s.national}
	if q.Session != nil {
		p.CSRF = q.Session.CSRF
	}
	v := q.R.URL.Query()
	v.Del("lang")
	if len(v) > 0 {
		p.Path += "?" + v.Encode()
	}
	if d, ok := data.(interface{ flash() (string, string) }); ok {
		p.Flash, p.Error = d.flash()
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "base", p); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(q.W, T(q.L.Lang, "error"), http.StatusInternalServerError)
		return
	}
	q.W.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.W.WriteHeader(status)
	q.W.Write(buf.Bytes())
}

func (s *Server) message(q *req, status int, msg string) {
	s.render(q, status, "message", msg, msg)
}

func (s *Server) fail(q *req, err error) {
	s.log.Error("web", "path", q.R.URL.Path, "err", err)
	s.message(q, http.StatusInternalServerError, q.L.T("error"))
}

func (s *Server) record(ctx context.Context, actor, action, target, detail string) {
	s.app.Record(ctx, actor, action, target, detail)
}
