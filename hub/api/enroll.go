package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Enrolment: POST /api/v1/enroll, and health.

// Health answers monitoring and `vigie status`.
func (s *Server) Health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, protocol.Health{Status: "ok", Version: s.cfg.Version})
}

// HubKeys answers GET /api/v1/hub-keys: the hub's public keys, for agents
// enrolled before they were published. 404 when the hub has none (tests
// and embedders that set no keys).
func (s *Server) HubKeys(w http.ResponseWriter, r *http.Request) {
	if s.cfg.HubKeys == (protocol.HubKeys{}) {
		writeError(w, http.StatusNotFound, protocol.CodeNotFound, "Ce hub ne publie pas de clés.", "This hub publishes no keys.")
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.HubKeys)
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
		writeJSON(w, http.StatusCreated, protocol.EnrollResponse{AgentID: a.ID, Entity: a.Entity, Sector: a.Sector, HubSPKISHA256: s.cfg.SPKI, HubKeys: s.cfg.HubKeys})
	}
}
