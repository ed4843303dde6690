package api

import (
	"context"
	"errors"
	"net/http"
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
	release, ok := s.uploadSlots(w, r, claimed)
	if !ok {
		return
	}
	defer release()
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
	ch, ref := s.core.Check(agent, body)
	if ref != nil {
		writeRefusal(w, ref)
		return
	}
	keyID, sc := agent.ID, ch.Summary()
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
		s.core.log.Warn("ingest: replayed sequence", "agent", keyID, "seq", sc.Sequence, "last", agent.LastSequence)
		writeRefusal(w, refuseReplayed(sc.Sequence))
		return
	}
	if ok, wait := s.uploads.Allow(keyID); !ok {
		retryLater(w, wait)
		return
	}
	saved, err := s.core.Save(ctx, ch, false)
	if err != nil || saved.Outcome != store.Stored {
		s.agents.Delete(keyID)
	} else {
		s.noteSequence(keyID, sc.Sequence)
	}
	if ref, ok := errors.AsType[*Refusal](err); ok {
		writeRefusal(w, ref)
		return
	}
	if err != nil {
		s.log.Error("ingest: write failed", "agent", keyID, "err", err)
		storageUnavailable(w)
		return
	}
	if saved.Outcome == store.Duplicate {
		writeJSON(w, http.StatusOK, protocol.IngestResponse{Status: protocol.IngestDuplicate, ScorecardID: sc.ID, Sequence: sc.Sequence})
		return
	}
	writeJSON(w, http.StatusCreated, protocol.IngestResponse{Status: protocol.IngestStored, ScorecardID: sc.ID, Sequence: sc.Sequence,
		SendInventory: saved.SendInventory})
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

// uploadSlots takes a slot of the uploads in flight from the client's
// address and one for the agent it names, or answers 429 too_many_uploads.
// release gives them back.
func (s *Server) uploadSlots(w http.ResponseWriter, r *http.Request, claimed string) (release func(), ok bool) {
	ip := clientIP(r)
	if !s.byAddr.take(ip, s.cfg.MaxUploadsPerAddress) {
		s.tooManyUploads(w, "address", ip)
		return nil, false
	}
	if !s.byAgent.take(claimed, s.cfg.MaxUploadsPerAgent) {
		s.byAddr.done(ip, s.cfg.MaxUploadsPerAddress)
		s.tooManyUploads(w, "agent", claimed)
		return nil, false
	}
	return func() {
		s.byAgent.done(claimed, s.cfg.MaxUploadsPerAgent)
		s.byAddr.done(ip, s.cfg.MaxUploadsPerAddress)
	}, true
}
