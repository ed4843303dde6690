// Package api implements the agent-facing HTTP API of the hub (the protocol
// in docs/protocol.md): enrolment, signed scorecard ingestion and health,
// and the offline import of scorecards carried from isolated sites
// (offline.go), which shares ingestion's verification-and-store path (Core).
package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/ratelimit"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// MaxEnrollSize bounds an enrolment request (64 KiB).
const MaxEnrollSize = 64 << 10

// Config holds the API's dependencies.
type Config struct {
	Store   store.Store
	SPKI    string // hex SHA-256 of the hub leaf certificate's SubjectPublicKeyInfo
	Version string
	// UploadsPerHour is the per-agent limit on new scorecards (default 60,
	// negative: unlimited).
	UploadsPerHour int
	// EnrollsPerMinute is the per-IP limit on enrolment attempts (default
	// 60, as bursts; negative: unlimited). It slows token guessing (100
	// bits) while a fleet behind one NAT enrols at once.
	EnrollsPerMinute int
	// MaxConcurrentUploads bounds the uploads read and verified at once
	// (default 128; negative: unbounded), and with them the memory they
	// hold: at most protocol.MaxEnvelopeSize (4 MiB) of body each. An upload waits up to UploadWait
	// (default 10 s) for its turn, then gets 503 hub_busy with Retry-After,
	// which agents honour.
	MaxConcurrentUploads int
	UploadWait           time.Duration
	// MaxUploadsPerAgent and MaxUploadsPerAddress bound the uploads in
	// flight naming one agent ID (default 2) and from one source address
	// (default 32); beyond, 429 too_many_uploads with Retry-After. Agent
	// IDs are not secret: without them, slow uploads naming a real agent
	// would hold its slots (negative: unbounded).
	MaxUploadsPerAgent   int
	MaxUploadsPerAddress int
	// A body must arrive at MinUploadRate bytes a second (default 1 KiB/s)
	// once UploadGrace (default 10 s) has passed, or the upload ends with
	// 408 upload_too_slow and frees its slot.
	UploadGrace   time.Duration
	MinUploadRate int
	Now           func() time.Time
	Logger        *slog.Logger
	// Stored, when set, is told of each scorecard stored, after its
	// commit, by the agent's ID: the advisories matcher queues the host
	// (app.Advisories.HostChanged). It must not block.
	Stored func(agentID string)
	// HubKeys are the hub's public keys, returned at enrolment and by GET
	// /api/v1/hub-keys (hub/hubkeys).
	HubKeys protocol.HubKeys
	// Incidents files declared incidents (POST /api/v1/incidents); nil:
	// the route answers 404 like an unknown path.
	Incidents *app.Incidents
}

// Server serves the API.
type Server struct {
	cfg     Config
	core    *Core
	uploads *ratelimit.Limiter
	enrolls *ratelimit.Limiter
	log     *slog.Logger
	agents  sync.Map      // agent ID -> cachedAgent
	slots   chan struct{} // uploads in progress (MaxConcurrentUploads); nil: unbounded
	byAgent inflight      // uploads in flight per claimed agent ID
	byAddr  inflight      // uploads in flight per source address
}

// inflight counts requests in progress per key; a key leaves the map when
// its count drops to zero, so the map is bounded by the requests open.
type inflight struct {
	mu sync.Mutex
	n  map[string]int
}

// take counts one more request for key unless max are already in
// progress (max < 0: unbounded).
func (f *inflight) take(key string, max int) bool {
	if max < 0 {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	if f.n[key] >= max {
		return false
	}
	f.n[key]++
	return true
}

func (f *inflight) done(key string, max int) {
	if max < 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[key]--; f.n[key] <= 0 {
		delete(f.n, key)
	}
}

// agentTTL bounds how long a cached agent row is trusted for the early
// checks (revoked, last sequence). The store re-decides both inside the
// write transaction, so a stale entry can only delay a refusal to the
// write, never let a revoked or replayed scorecard in.
const agentTTL = 5 * time.Second

type cachedAgent struct {
	agent store.Agent
	at    time.Time
}

func (s *Server) agent(ctx context.Context, id string) (store.Agent, error) {
	if v, ok := s.agents.Load(id); ok {
		c := v.(cachedAgent)
		if time.Since(c.at) < agentTTL {
			return c.agent, nil
		}
	}
	a, err := s.cfg.Store.Agent(ctx, id)
	if err == nil && !a.Revoked() {
		s.agents.Store(id, cachedAgent{a, time.Now()})
	}
	return a, err
}

func (s *Server) noteSequence(id string, seq uint64) {
	if v, ok := s.agents.Load(id); ok {
		c := v.(cachedAgent)
		if seq > c.agent.LastSequence {
			c.agent.LastSequence = seq
			s.agents.Store(id, c)
		}
	}
}

// New returns the API server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.UploadsPerHour == 0 {
		cfg.UploadsPerHour = 60
	}
	if cfg.EnrollsPerMinute == 0 {
		cfg.EnrollsPerMinute = 60
	}
	if cfg.MaxConcurrentUploads == 0 {
		cfg.MaxConcurrentUploads = 128
	}
	if cfg.UploadWait <= 0 {
		cfg.UploadWait = 10 * time.Second
	}
	if cfg.MaxUploadsPerAgent == 0 {
		cfg.MaxUploadsPerAgent = 2
	}
	if cfg.MaxUploadsPerAddress == 0 {
		cfg.MaxUploadsPerAddress = 32
	}
	if cfg.UploadGrace <= 0 {
		cfg.UploadGrace = 10 * time.Second
	}
	if cfg.MinUploadRate <= 0 {
		cfg.MinUploadRate = 1 << 10
	}
	s := &Server{cfg: cfg, log: cfg.Logger,
		core: NewCore(CoreConfig{Store: cfg.Store, Now: cfg.Now, Logger: cfg.Logger, Stored: cfg.Stored})}
	if cfg.MaxConcurrentUploads > 0 {
		s.slots = make(chan struct{}, cfg.MaxConcurrentUploads)
	}
	if cfg.UploadsPerHour > 0 {
		s.uploads = ratelimit.New(cfg.UploadsPerHour, time.Hour, cfg.UploadsPerHour, cfg.Now)
	}
	if cfg.EnrollsPerMinute > 0 {
		s.enrolls = ratelimit.New(cfg.EnrollsPerMinute, time.Minute, cfg.EnrollsPerMinute, cfg.Now)
	}
	return s
}

// Register adds the API routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+protocol.PathEnroll, s.Enroll)
	mux.HandleFunc("POST "+protocol.PathScorecards, s.Ingest)
	mux.HandleFunc("POST "+protocol.PathAnswers, s.Answers)
	mux.HandleFunc("GET "+protocol.PathHealth, s.Health)
	mux.HandleFunc("GET "+protocol.PathHubKeys, s.HubKeys)
	if s.cfg.Incidents != nil {
		mux.HandleFunc("POST "+protocol.PathIncidents, s.Incident)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, protocol.CodeNotFound, "Adresse inconnue de l'API.", "Unknown API path.")
	})
}

// Handler returns a mux serving only the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}
