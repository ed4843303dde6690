// Package api implements the agent-facing HTTP API of the hub (the protocol
// in docs/protocol.md): enrolment, signed scorecard ingestion and health.
package api

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
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
}

// Server serves the API.
type Server struct {
	cfg     Config
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
	s := &Server{cfg: cfg, log: cfg.Logger}
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

// writeJSON writes a reply of the protocol (an error is protocol.ErrorBody).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, fr, en string) {
	writeJSON(w, status, protocol.ErrorBody{Error: protocol.ErrorDetail{Code: code, Message: fr, MessageEN: en}})
}

func retryLater(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfter(wait)))
	writeError(w, http.StatusTooManyRequests, protocol.CodeRateLimited,
		"Trop de requêtes : réessayez plus tard (voir l'en-tête Retry-After).",
		"Too many requests: retry later (see the Retry-After header).")
}

func storageUnavailable(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, protocol.CodeStorageUnavailable,
		"Le stockage du hub est indisponible : réessayez plus tard.",
		"The hub's storage is unavailable: retry later.")
}

func tooLarge(w http.ResponseWriter, limit int) {
	writeError(w, http.StatusRequestEntityTooLarge, protocol.CodeRequestTooLarge,
		"Requête trop volumineuse (limite "+strconv.Itoa(limit)+" octets).",
		"Request too large (limit "+strconv.Itoa(limit)+" bytes).")
}

// minRateBody makes reading a body fail once it arrives slower than rate
// bytes a second after grace: before each read, the connection's read
// deadline is set to the moment the bytes received so far stop being
// enough. Where deadlines are not supported (a test's recorder), it
// only reads.
type minRateBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	start    time.Time
	grace    time.Duration
	rate     int
	received int64
	late     bool // a read hit the deadline
	off      bool
}

func (b *minRateBody) Read(p []byte) (int, error) {
	if !b.off {
		due := b.start.Add(b.grace + time.Duration(b.received)*time.Second/time.Duration(b.rate))
		if err := b.rc.SetReadDeadline(due); err != nil {
			b.off = true
		}
	}
	n, err := b.ReadCloser.Read(p)
	b.received += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.late = true
	}
	return n, err
}

func (b *minRateBody) finish() {
	if !b.off {
		b.rc.SetReadDeadline(time.Time{})
	}
}

// readBody reads at most limit bytes; ok is false when it already answered.
func readBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, bool) {
	if r.ContentLength > int64(limit) {
		tooLarge(w, limit)
		return nil, false
	}
	var body []byte
	var err error
	if r.ContentLength >= 0 {
		// The usual case: the length is announced (and enforced by
		// net/http), so read into a buffer of exactly that size rather
		// than growing one by doubling.
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w, limit)
		} else if b, ok := r.Body.(*minRateBody); ok && b.late {
			writeError(w, http.StatusRequestTimeout, protocol.CodeUploadTooSlow,
				"Envoi trop lent : le bilan doit arriver à 1 Kio/s au moins passées les 10 premières secondes.",
				"Upload too slow: the scorecard must arrive at 1 KiB/s at least after the first 10 seconds.")
		} else {
			writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "Requête illisible.", "Unreadable request.")
		}
		return nil, false
	}
	return body, true
}

func jsonContent(w http.ResponseWriter, r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMedia,
			"Le corps doit être du JSON (Content-Type: application/json).",
			"The body must be JSON (Content-Type: application/json).")
		return false
	}
	return true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Health answers monitoring and `vigie status`.
func (s *Server) Health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.Health{Status: "ok", Version: s.cfg.Version})
}

// Enroll handles POST /api/v1/enroll.
func (s *Server) Enroll(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.enrolls.Allow(clientIP(r)); !ok {
		retryLater(w, wait)
		return
	}
	if !jsonContent(w, r) {
		return
	}
	body, ok := readBody(w, r, MaxEnrollSize)
	if !ok {
		return
	}
	// Protocol v2: the request is a DSSE envelope signed by the key it
	// enrols (proof of possession).
	req, pub, err := protocol.VerifyEnroll(body)
	switch {
	case errors.Is(err, protocol.ErrPayloadType), errors.Is(err, protocol.ErrUnknownKey), errors.Is(err, protocol.ErrBadSignature):
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeBadSignature,
			"Demande d'enrôlement non signée par la clé qu'elle présente : l'agent doit prouver qu'il détient sa clé privée.",
			"Enrolment request not signed by the key it presents: the agent must prove it holds its private key.")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest,
			"Demande d'enrôlement illisible : enveloppe DSSE signée attendue (protocole v2), avec une clé publique Ed25519 de 32 octets en base64.",
			"Unreadable enrolment request: a signed DSSE envelope expected (protocol v2), with a 32-byte Ed25519 public key in base64.")
		return
	}
	if strings.TrimSpace(req.Token) == "" {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "Jeton d'enrôlement manquant.", "Enrolment token missing.")
		return
	}
	id := protocol.KeyID(pub)
	h := req.Host
	agent := store.Agent{ID: id, PublicKey: pub, Hostname: protocol.Clip(h.Hostname, protocol.MaxLabel), OS: protocol.Clip(h.OS, protocol.MaxLabel), Platform: protocol.Clip(h.Platform, protocol.MaxLabel),
		PlatformVersion: protocol.Clip(h.PlatformVersion, protocol.MaxLabel), AgentVersion: protocol.Clip(req.AgentVersion, protocol.MaxLabel)}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	tokenHash := app.HashToken(req.Token)
	a, err := s.cfg.Store.Enroll(ctx, tokenHash, agent, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrTokenUnknown):
		writeError(w, http.StatusUnauthorized, protocol.CodeInvalidToken, "Jeton d'enrôlement inconnu : vérifiez sa saisie ou demandez-en un nouveau.", "Unknown enrolment token: check it or ask for a new one.")
	case errors.Is(err, store.ErrTokenExpired):
		writeError(w, http.StatusGone, protocol.CodeTokenExpired, "Ce jeton d'enrôlement a expiré : demandez-en un nouveau à votre hub.", "This enrolment token has expired: ask your hub for a new one.")
	case errors.Is(err, store.ErrTokenUsed):
		writeError(w, http.StatusConflict, protocol.CodeTokenUsed, "Ce jeton d'enrôlement a déjà servi : il n'est valable qu'une fois.", "This enrolment token was already used: it is valid once.")
	case errors.Is(err, store.ErrRevoked):
		writeError(w, http.StatusForbidden, protocol.CodeAgentRevoked,
			"Cette clé d'agent a été révoquée et le reste : relancez vigie enroll, qui créera une nouvelle clé.",
			"This agent key was revoked and stays revoked: run vigie enroll again, which makes a new key.")
	case errors.Is(err, store.ErrKeyEnrolled):
		writeError(w, http.StatusConflict, protocol.CodeKeyEnrolled, "Cet agent est déjà enrôlé pour une autre entité : il ne peut pas en changer.", "This agent is already enrolled for another entity: it cannot move.")
	case err != nil:
		s.log.Error("enrolment: storage", "err", err)
		storageUnavailable(w)
	default:
		s.log.Info("agent enrolled", "agent", a.ID, "entity", a.Entity, "host", a.Hostname)
		// Each use of a token is audited, with its rank: a fleet token's
		// 30 enrolments are 30 rows.
		use := ""
		if n, of, err := s.cfg.Store.TokenUse(ctx, tokenHash, a.ID); err == nil {
			use = fmt.Sprintf(" ; jeton %s, utilisation %d/%d", app.TokenRef(tokenHash), n, of)
		}
		s.cfg.Store.Audit(ctx, store.AuditEntry{At: s.cfg.Now(), Actor: "agent:" + a.ID, Action: "agent_enroll", Target: a.Entity, Detail: a.Hostname + use})
		writeJSON(w, http.StatusCreated, protocol.EnrollResponse{AgentID: a.ID, Entity: a.Entity, Sector: a.Sector, HubSPKISHA256: s.cfg.SPKI})
	}
}

// agentIDPattern is protocol.KeyID's form: 32 lowercase hex digits.
var agentIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// takeSlot waits for one of the MaxConcurrentUploads slots; false when it
// answered 503 hub_busy instead.
func (s *Server) takeSlot(w http.ResponseWriter, ctx context.Context) bool {
	if s.slots == nil {
		return true
	}
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.cfg.UploadWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	s.log.Warn("ingest: hub saturated, upload deferred", "in_progress", cap(s.slots))
	w.Header().Set("Retry-After", "60")
	writeError(w, http.StatusServiceUnavailable, protocol.CodeHubBusy,
		"Le hub reçoit trop de bilans en même temps : réessayez dans une minute (l'agent le fait seul).",
		"The hub is receiving too many scorecards at once: retry in a minute (the agent does so by itself).")
	return false
}

func (s *Server) tooManyUploads(w http.ResponseWriter, by, key string) {
	s.log.Warn("ingest: too many uploads in flight", "by", by, "key", key)
	w.Header().Set("Retry-After", "60")
	writeError(w, http.StatusTooManyRequests, protocol.CodeTooManyUploads,
		"Trop d'envois en cours pour cet agent ou depuis cette adresse : réessayez dans une minute (l'agent le fait seul).",
		"Too many uploads in flight for this agent or from this address: retry in a minute (the agent does so by itself).")
}

func revokedAgent(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, protocol.CodeAgentRevoked,
		"Cet agent a été révoqué : ses bilans sont refusés. Relancez vigie enroll, qui créera une nouvelle clé.",
		"This agent was revoked: its scorecards are refused. Run vigie enroll again, which makes a new key.")
}

func (s *Server) releaseSlot() {
	if s.slots != nil {
		<-s.slots
	}
}

// Ingest handles POST /api/v1/scorecards in the protocol's order. Whatever
// can be refused from the headers is refused before the body is read: an
// unknown or revoked agent, or an announced size above the limit, costs
// the hub no memory.
func (s *Server) Ingest(w http.ResponseWriter, r *http.Request) {
	if !jsonContent(w, r) {
		return
	}
	claimed := r.Header.Get(protocol.HeaderAgent)
	if !protocol.ValidAgentID(claimed) {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "En-tête X-Vigie-Agent manquant ou invalide.", "X-Vigie-Agent header missing or invalid.")
		return
	}
	ip := clientIP(r)
	if !s.byAddr.take(ip, s.cfg.MaxUploadsPerAddress) {
		s.tooManyUploads(w, "address", ip)
		return
	}
	defer s.byAddr.done(ip, s.cfg.MaxUploadsPerAddress)
	if !s.byAgent.take(claimed, s.cfg.MaxUploadsPerAgent) {
		s.tooManyUploads(w, "agent", claimed)
		return
	}
	defer s.byAgent.done(claimed, s.cfg.MaxUploadsPerAgent)
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	agent, err := s.agent(ctx, claimed)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusUnauthorized, protocol.CodeUnknownAgent, "Agent inconnu de ce hub : enrôlez-le avec un jeton.", "Agent unknown to this hub: enrol it with a token.")
		return
	}
	if err != nil {
		s.log.Error("ingest: storage", "err", err)
		storageUnavailable(w)
		return
	}
	if agent.Revoked() {
		revokedAgent(w)
		return
	}
	if r.ContentLength > protocol.MaxEnvelopeSize {
		tooLarge(w, protocol.MaxEnvelopeSize)
		return
	}
	if !s.takeSlot(w, r.Context()) {
		return
	}
	defer s.releaseSlot()
	slow := &minRateBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(), grace: s.cfg.UploadGrace, rate: s.cfg.MinUploadRate}
	r.Body = slow
	body, ok := readBody(w, r, protocol.MaxEnvelopeSize)
	if !ok {
		// The deadline stays: net/http would otherwise wait for the rest
		// of a stalled body before closing the connection.
		return
	}
	slow.finish()
	env, err := protocol.ParseEnvelope(body)
	if err == nil && len(env.Signatures) != 1 {
		err = errors.New("one signature expected")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedEnvelope, "Enveloppe signée illisible (DSSE attendu).", "Unreadable signed envelope (DSSE expected).")
		return
	}
	keyID := env.Signatures[0].KeyID
	if claimed != keyID {
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeAgentMismatch, "L'en-tête X-Vigie-Agent ne correspond pas à la clé qui a signé.", "The X-Vigie-Agent header does not match the signing key.")
		return
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, ed25519.PublicKey(agent.PublicKey))
	if errors.Is(err, protocol.ErrMalformed) {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedEnvelope, "Enveloppe signée illisible (base64 invalide).", "Unreadable signed envelope (invalid base64).")
		return
	}
	if err != nil {
		s.log.Warn("ingest: bad signature", "agent", keyID, "err", err)
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeBadSignature, "Signature invalide : le bilan a été modifié ou n'a pas été signé par cet agent.", "Invalid signature: the scorecard was altered or not signed by this agent.")
		return
	}
	// The summary is all the hub files; the page showing this scorecard
	// decodes the rest (protocol.Summary says what that leaves unchecked).
	sc, err := protocol.DecodeSummary(payload)
	if err == nil && sc.Sequence > math.MaxInt64 {
		err = errors.New("sequence out of range")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedScorecard, "Bilan illisible ou invalide : "+err.Error()+".", "Unreadable or invalid scorecard: "+err.Error()+".")
		return
	}
	if sc.AgentID != keyID {
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeAgentMismatch, "Le bilan porte l'identifiant d'un autre agent que celui qui l'a signé.", "The scorecard names another agent than the one that signed it.")
		return
	}
	if sc.Sequence <= agent.LastSequence {
		// Only now can it be a scorecard already stored: a sequence above
		// the last one was never seen (the store decides again, atomically).
		dup, err := s.cfg.Store.HasScorecard(ctx, keyID, sc.ID)
		if err != nil {
			storageUnavailable(w)
			return
		}
		if dup {
			writeJSON(w, http.StatusOK, protocol.IngestResponse{Status: protocol.IngestDuplicate, ScorecardID: sc.ID, Sequence: sc.Sequence})
			return
		}
		s.replayed(w, keyID, sc.Sequence, agent.LastSequence)
		return
	}
	if ok, wait := s.uploads.Allow(keyID); !ok {
		retryLater(w, wait)
		return
	}
	rec := Record(sc, body, s.cfg.Now())
	rec.Payload, rec.PayloadBase64 = payload, env.Payload
	out, err := s.cfg.Store.SaveScorecard(ctx, rec)
	if err != nil || out != store.Stored {
		s.agents.Delete(keyID)
	} else {
		s.noteSequence(keyID, sc.Sequence)
	}
	switch {
	case errors.Is(err, store.ErrRevoked):
		revokedAgent(w)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusUnauthorized, protocol.CodeUnknownAgent, "Agent inconnu de ce hub : enrôlez-le avec un jeton.", "Agent unknown to this hub: enrol it with a token.")
	case err != nil:
		s.log.Error("ingest: write failed", "agent", keyID, "err", err)
		storageUnavailable(w)
	case out == store.Duplicate:
		writeJSON(w, http.StatusOK, protocol.IngestResponse{Status: protocol.IngestDuplicate, ScorecardID: sc.ID, Sequence: sc.Sequence})
	case out == store.Replayed:
		s.replayed(w, keyID, sc.Sequence, 0)
	default:
		s.log.Debug("scorecard stored", "agent", keyID, "id", sc.ID, "seq", sc.Sequence)
		writeJSON(w, http.StatusCreated, protocol.IngestResponse{Status: protocol.IngestStored, ScorecardID: sc.ID, Sequence: sc.Sequence})
	}
}

func (s *Server) replayed(w http.ResponseWriter, agent string, seq, last uint64) {
	s.log.Warn("ingest: replayed sequence", "agent", agent, "seq", seq, "last", last)
	writeError(w, http.StatusConflict, protocol.CodeReplayedSequence,
		"Numéro de séquence "+strconv.FormatUint(seq, 10)+" déjà dépassé pour cet agent : bilan rejoué, refusé.",
		"Sequence number "+strconv.FormatUint(seq, 10)+" already passed for this agent: replayed scorecard refused.")
}

// Record turns a verified scorecard's summary and its envelope into a
// storage row.
func Record(sc *protocol.Summary, envelope []byte, received time.Time) *store.Scorecard {
	rec := &store.Scorecard{
		AgentID: sc.AgentID, ID: sc.ID, Sequence: sc.Sequence, ReceivedAt: received,
		StartedAt: sc.StartedAt, FinishedAt: sc.FinishedAt, Score: sc.Score, Level: int(sc.Level), Capped: sc.LevelCapped,
		Hostname: protocol.Clip(sc.Host.Hostname, protocol.MaxLabel), OS: protocol.Clip(sc.Host.OS, protocol.MaxLabel), Platform: protocol.Clip(sc.Host.Platform, protocol.MaxLabel), AgentVersion: protocol.Clip(sc.AgentVersion, protocol.MaxLabel),
		Envelope: envelope,
	}
	// Every domain, known or not: a newer agent's domain is kept and shown
	// under its ID (docs/protocol.md, "Compatibility").
	rec.DomainScores = store.ScoresOf(sc.Domains)
	seen := map[string]bool{}
	for _, res := range sc.Results {
		if res.Status == protocol.Fail && !seen[res.ID] && len(res.ID) <= 100 && !strings.ContainsAny(res.ID, " \t\n\x00") {
			seen[res.ID] = true
			rec.Failed = append(rec.Failed, res.ID)
		}
	}
	return rec
}
