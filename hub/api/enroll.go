package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
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
	// The core is shared with `vigie-hub enroll-offline` (app.EnrollAgent):
	// the same token rules, revocation and audit.
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	resp, err := app.EnrollAgent(ctx, s.cfg.Store, s.cfg.Now(), body, app.EnrollHub{SPKI: s.cfg.SPKI, Keys: s.cfg.HubKeys}, "")
	var refusal *app.EnrollRefusal
	switch {
	case errors.As(err, &refusal):
		writeError(w, refusal.Status, refusal.Code, refusal.Message, refusal.MessageEN)
	case err != nil:
		s.log.Error("enrolment: storage", "err", err)
		storageUnavailable(w)
	default:
		s.log.Info("agent enrolled", "agent", resp.AgentID, "entity", resp.Entity)
		writeJSON(w, http.StatusCreated, resp)
	}
}
