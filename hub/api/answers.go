package api

import (
	"context"
	"crypto/ed25519"
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
	claimed := r.Header.Get(protocol.HeaderAgent)
	if !protocol.ValidAgentID(claimed) {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedRequest, "En-tête X-Vigie-Agent manquant ou invalide.", "X-Vigie-Agent header missing or invalid.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	agent, err := s.agent(ctx, claimed)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusUnauthorized, protocol.CodeUnknownAgent, "Agent inconnu de ce hub : enrôlez-le avec un jeton.", "Agent unknown to this hub: enrol it with a token.")
		return
	}
	if err != nil {
		s.log.Error("answers: storage", "err", err)
		storageUnavailable(w)
		return
	}
	if agent.Revoked() {
		writeError(w, http.StatusForbidden, protocol.CodeAgentRevoked, "Cet agent a été révoqué : il doit être enrôlé à nouveau.", "This agent was revoked: it must be enrolled again.")
		return
	}
	body, ok := readBody(w, r, protocol.MaxAnswersSize)
	if !ok {
		return
	}
	env, err := protocol.ParseEnvelope(body)
	if err == nil && len(env.Signatures) != 1 {
		err = errors.New("one signature expected")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedEnvelope, "Enveloppe signée illisible (DSSE attendu).", "Unreadable signed envelope (DSSE expected).")
		return
	}
	if env.Signatures[0].KeyID != claimed {
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeAgentMismatch, "L'en-tête X-Vigie-Agent ne correspond pas à la clé qui a signé.", "The X-Vigie-Agent header does not match the signing key.")
		return
	}
	payload, err := protocol.Verify(env, protocol.AnswersPayloadType, ed25519.PublicKey(agent.PublicKey))
	if errors.Is(err, protocol.ErrMalformed) {
		writeError(w, http.StatusBadRequest, protocol.CodeMalformedEnvelope, "Enveloppe signée illisible (base64 invalide).", "Unreadable signed envelope (invalid base64).")
		return
	}
	if err != nil {
		s.log.Warn("answers: bad signature", "agent", claimed, "err", err)
		writeError(w, http.StatusUnprocessableEntity, protocol.CodeBadSignature, "Signature invalide : les réponses ont été modifiées ou n'ont pas été signées par cet agent.", "Invalid signature: the answers were altered or not signed by this agent.")
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
		writeError(w, http.StatusForbidden, protocol.CodeAgentRevoked, "Cet agent a été révoqué : il doit être enrôlé à nouveau.", "This agent was revoked: it must be enrolled again.")
	case errors.Is(err, store.ErrNotFound):
		s.agents.Delete(claimed)
		writeError(w, http.StatusUnauthorized, protocol.CodeUnknownAgent, "Agent inconnu de ce hub : enrôlez-le avec un jeton.", "Agent unknown to this hub: enrol it with a token.")
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
