package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Config is the engine's dependencies and settings.
type Config struct {
	Store store.Store
	// PublicURL is the hub's address for links (https://hub.example:8443).
	PublicURL string
	// SMTP: nil sends no e-mail (subscriptions are kept, nothing is queued).
	SMTP *SMTPConfig
	// Webhooks from the configuration file (read-only in the UI).
	Webhooks []WebhookConfig
	// SilentDays: an entity silent for longer raises "silent" (default 30).
	SilentDays int
	// CapPerHour: immediate e-mails per adviser and hour beyond which
	// alerts are gathered into one digest (default 20).
	CapPerHour int
	// WebhookCapPerHour: immediate deliveries per webhook and hour beyond
	// which events are gathered into one digest delivery (default 100): a
	// CSIRT's ticketing tool gets one ticket for a burst, not a thousand.
	WebhookCapPerHour int
	// OverflowWindow: alerts beyond the cap are gathered into one digest
	// sent at the end of the current window of this length (default 15 min).
	OverflowWindow time.Duration
	// DigestHour is the local hour of the daily digest (default 7).
	DigestHour int
	// Expiry: a delivery not acknowledged within this time is given up
	// (default 72 h).
	Expiry time.Duration
	// Poll is how often the detector looks for new scorecards (default 500 ms).
	Poll time.Duration
	// AgentScan is how often agents are read for enrolments, revocations
	// and silences (default 5 s).
	AgentScan time.Duration
	// Workers send deliveries at once (default 8).
	Workers int
	// HTTPClient posts webhooks (default: 10 s timeout, no redirects).
	HTTPClient *http.Client
	Location   *time.Location // the digest hour's zone (default time.Local)
	Now        func() time.Time
	Logger     *slog.Logger
}

// Engine detects events and delivers alerts.
type Engine struct {
	cfg Config
	st  store.Store
	as  store.AlertStore
	log *slog.Logger

	mu        sync.Mutex // one detection or exposure batch at a time
	ready     bool
	cursor    int64
	hosts     map[string]*store.AlertHost
	agents    map[string]store.AgentState
	open      map[openKey]store.OpenAlert
	critical  map[string]map[openKey]struct{} // open critical alerts by agent (indexOpen)
	checks    map[string]checkInfo            // agentVersion "\x00" checkID
	lastScan  time.Time
	lastCheck time.Time

	wake     chan struct{}
	inflight sync.Map // delivery ID -> struct{}

	troubleMu   sync.Mutex
	troubleSent map[string]time.Time
	admins      []string // last known administrators' addresses (hub-trouble)
}

type openKey struct{ kind, subject string }

// checkInfo is what one agent version says of one check.
type checkInfo struct {
	version  int
	critical bool
}

// New returns the engine; Run starts it.
func New(cfg Config) (*Engine, error) {
	as := store.Alerts(cfg.Store)
	if as == nil {
		return nil, errors.New("alert: this store keeps no alerts")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.SilentDays <= 0 {
		cfg.SilentDays = 30
	}
	if cfg.CapPerHour <= 0 {
		cfg.CapPerHour = 20
	}
	if cfg.WebhookCapPerHour <= 0 {
		cfg.WebhookCapPerHour = 100
	}
	if cfg.OverflowWindow <= 0 {
		cfg.OverflowWindow = 15 * time.Minute
	}
	if cfg.DigestHour < 0 || cfg.DigestHour > 23 {
		cfg.DigestHour = 7
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = 72 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.AgentScan <= 0 {
		cfg.AgentScan = 5 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.HTTPClient == nil {
		// As many idle connections per webhook as workers: the default
		// transport keeps 2, so a backlog sent by 8 workers to one
		// receiver opened a new connection (and TLS handshake) for most
		// deliveries (BenchmarkDeliverPending).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.Workers
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	for i, w := range cfg.Webhooks {
		if err := CheckWebhookURL(w.URL); err != nil {
			return nil, fmt.Errorf("webhook %d: %w", i+1, err)
		}
		if _, err := DecodeSecret(w.Secret); err != nil {
			return nil, fmt.Errorf("webhook %d: %w", i+1, err)
		}
	}
	return &Engine{cfg: cfg, st: cfg.Store, as: as, log: cfg.Logger, wake: make(chan struct{}, 1), troubleSent: map[string]time.Time{}}, nil
}

// Run detects and delivers until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() { e.deliverLoop(ctx); close(done) }()
	t := time.NewTicker(e.cfg.Poll)
	defer t.Stop()
	for {
		if err := e.Detect(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("alertes : détection", "err", err)
			e.Trouble(ctx, "storage", "Le hub n'arrive pas à écrire les alertes dans sa base : "+err.Error())
		}
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
		}
	}
}

// Wake makes the deliverer look at the outbox now.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func newMsgID() string {
	var b [16]byte
	rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

// load reads the detector's state; the first time ever it sets the
// baselines silently from what is stored (Init).
func (e *Engine) load(ctx context.Context) error {
	cursor, ok, err := e.as.AlertCursor(ctx)
	if err != nil {
		return err
	}
	if !ok {
		if err := e.initialise(ctx); err != nil {
			return err
		}
		if cursor, _, err = e.as.AlertCursor(ctx); err != nil {
			return err
		}
	}
	hosts, err := e.as.AlertHosts(ctx)
	if err != nil {
		return err
	}
	open, err := e.as.OpenAlerts(ctx)
	if err != nil {
		return err
	}
	e.cursor = cursor
	e.hosts = make(map[string]*store.AlertHost, len(hosts))
	for i := range hosts {
		e.hosts[hosts[i].AgentID] = &hosts[i]
	}
	e.open = make(map[openKey]store.OpenAlert, len(open))
	e.critical = map[string]map[openKey]struct{}{}
	for _, o := range open {
		k := openKey{o.Kind, o.Subject}
		e.open[k] = o
		e.indexOpen(k, o)
	}
	if e.checks == nil {
		e.checks = map[string]checkInfo{}
	}
	e.agents = nil
	e.ready = true
	return nil
}

// initialise sets every host's baseline from its latest scorecard, marks
// entities already silent and the cursor at the newest scorecard, with no
// event: a hub upgraded to alerts, or a new one, starts quiet.
func (e *Engine) initialise(ctx context.Context) error {
	head, err := e.as.IngestHead(ctx)
	if err != nil {
		return err
	}
	latest, err := e.as.LatestRows(ctx)
	if err != nil {
		return err
	}
	agents, err := e.as.AgentStates(ctx)
	if err != nil {
		return err
	}
	byAgent := map[string]store.IngestRow{}
	for _, r := range latest {
		byAgent[r.AgentID] = r
	}
	b := store.AlertBatch{Init: true, Cursor: head}
	for _, a := range agents {
		h := store.AlertHost{AgentID: a.ID, EntityID: a.EntityID, Level: -1, Revoked: a.Revoked}
		if r, ok := byAgent[a.ID]; ok {
			h.Sequence, h.ScorecardID, h.Level, h.Failed, h.AgentVersion = r.Sequence, r.ID, r.Level, r.Failed, r.AgentVersion
		}
		b.Hosts = append(b.Hosts, h)
	}
	now := e.cfg.Now()
	for ent := range e.silentEntities(agents, now) {
		b.Open = append(b.Open, store.OpenAlert{Kind: string(Silent), Subject: strconv.FormatInt(ent, 10), EntityID: ent, EventIndex: -1, OpenedAt: now})
	}
	_, err = e.as.CommitAlerts(ctx, b)
	if err != nil && strings.Contains(err.Error(), "already initialised") {
		return nil
	}
	e.log.Info("alertes : références posées sans alerte", "postes", len(b.Hosts))
	return err
}

// silentEntities returns the entities with at least one agent not
// revoked and none heard from for more than SilentDays (an agent that
// never reported counts from its enrolment).
func (e *Engine) silentEntities(agents []store.AgentState, now time.Time) map[int64]time.Time {
	last := map[int64]time.Time{}
	for _, a := range agents {
		if a.Revoked {
			continue
		}
		t := a.LastSeen
		if t.IsZero() {
			t = a.EnrolledAt
		}
		if cur, ok := last[a.EntityID]; !ok || t.After(cur) {
			last[a.EntityID] = t
		}
	}
	limit := now.Add(-time.Duration(e.cfg.SilentDays) * 24 * time.Hour)
	out := map[int64]time.Time{}
	for ent, t := range last {
		if t.Before(limit) {
			out[ent] = t
		}
	}
	return out
}

// link is the public address of a hub page.
func (e *Engine) link(path string) string {
	if e.cfg.PublicURL == "" {
		return path
	}
	return e.cfg.PublicURL + path
}

// sortedKeys returns a set's members in order (stable messages).
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
