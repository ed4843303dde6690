package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// MaxAnswersAhead is how far in the future (by the hub's clock) an answers
// document may be dated. Its date is its replay protection: a document
// dated next year, accepted, would refuse every real one until then.
const MaxAnswersAhead = 24 * time.Hour

// Answers handles POST /api/v1/answers: an agent's questionnaire answers
// for its entity, signed like a scorecard (docs/protocol.md, "Answers").
// The same checks as Ingest, in the same order: a known unrevoked agent
// from the header before the body is read, a size limit, the signature of
// that agent's key over the answers payload type, the document naming the
// signing agent, then replay by date, decided by the store with the
// write. Each answer is filed for the agent's entity, marked with the
// agent, replacing that question's previous answer.
func (s *Server) Answers(w http.ResponseWriter, r *http.Request) {
	if !jsonContent(w, r) {
		return
	}
	claimed, ok := claimedAgent(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	agent, ok := s.knownAgent(w, ctx, claimed, "answers")
	if !ok {
		return
	}
	body, ok := readBody(w, r, protocol.MaxAnswersSize)
	if !ok {
		return
	}
	_, payload, ok := s.signedPayload(w, body, agent, protocol.AnswersPayloadType, "les réponses", "the answers")
	if !ok {
		return
	}
	doc, err := protocol.DecodeAnswers(payload)
	if err == nil && doc.AnsweredAt.After(s.cfg.Now().Add(MaxAnswersAhead)) {
		err = errors.New("answered_at is in the future: check the host's clock")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedAnswers, "Réponses illisibles ou invalides : "+err.Error()+".", "Unreadable or invalid answers: "+err.Error()+".")
		return
	}
	if doc.AgentID != claimed {
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeAgentMismatch, "Les réponses portent l'identifiant d'un autre agent que celui qui les a signées.", "The answers name another agent than the one that signed them.")
		return
	}
	if ok, wait := s.uploads.Allow("answers:" + claimed); !ok {
		retryLater(w, wait)
		return
	}
	now := s.cfg.Now()
	by := "agent:" + claimed
	answers := make([]store.Answer, 0, len(doc.Answers))
	for q, v := range doc.Answers {
		answers = append(answers, store.Answer{Question: q, Value: v, By: by, At: now})
	}
	_, out, err := s.cfg.Store.SaveAgentAnswers(ctx, claimed, doc.AnsweredAt, answers)
	switch {
	case errors.Is(err, store.ErrRevoked):
		s.agents.Delete(claimed)
		writeRefusal(w, refuseRevoked())
	case errors.Is(err, store.ErrNotFound):
		s.agents.Delete(claimed)
		writeRefusal(w, refuseUnknownAgent())
	case err != nil:
		s.log.Error("answers: write failed", "agent", claimed, "err", err)
		storageUnavailable(w)
	case out == store.Replayed:
		s.log.Warn("answers: replayed", "agent", claimed, "answered_at", doc.AnsweredAt)
		writeError(w, http.StatusConflict, protocol.CodeReplayedSequence,
			"Réponses du "+doc.AnsweredAt.UTC().Format(time.RFC3339)+" pas plus récentes que les dernières reçues de cet agent : rejouées, refusées.",
			"Answers of "+doc.AnsweredAt.UTC().Format(time.RFC3339)+" not newer than the last received from this agent: replayed, refused.")
	default:
		s.cfg.Store.Audit(ctx, store.AuditEntry{At: now, Actor: by, Action: "answers_agent", Target: agent.Entity, Detail: strconv.Itoa(len(answers)) + " réponses"})
		writeJSON(w, http.StatusCreated, protocol.AnswersResponse{Status: protocol.IngestStored, Entity: agent.Entity, Count: len(answers)})
	}
}
