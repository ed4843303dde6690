package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Ingestion: POST /api/v1/scorecards, in the protocol's order of checks.

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
	claimed, ok := claimedAgent(w, r)
	if !ok {
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
	agent, ok := s.knownAgent(w, ctx, claimed, "ingest")
	if !ok {
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
	env, payload, ok := s.signedPayload(w, body, agent, protocol.PayloadType, "le bilan", "the scorecard")
	if !ok {
		return
	}
	keyID := agent.ID
	// The summary is all the hub files; the page showing this scorecard
	// decodes the rest (protocol.Summary says what that leaves unchecked).
	doc, err := decodeUpload(payload)
	var sc *protocol.Summary
	if err == nil {
		sc = &doc.Summary
	}
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
	if err := s.attachInventory(ctx, rec, doc, payload); err != nil {
		s.log.Error("ingest: storage", "err", err)
		storageUnavailable(w)
		return
	}
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
		if s.cfg.Stored != nil {
			s.cfg.Stored(keyID)
		}
		writeJSON(w, http.StatusCreated, protocol.IngestResponse{Status: protocol.IngestStored, ScorecardID: sc.ID, Sequence: sc.Sequence,
			SendInventory: rec.InventoryMissing})
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
