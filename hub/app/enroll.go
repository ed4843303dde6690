package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Enrolment's one core, shared by POST /api/v1/enroll (hub/api) and
// `vigie-hub enroll-offline`, so that an agent enrolled from a file meets
// the same token rules, revocation and audit as one enrolled online.

// EnrollHub is what the hub says of itself in an enrolment reply.
type EnrollHub struct {
	SPKI string // hex SHA-256 of the hub certificate's SubjectPublicKeyInfo
	Keys protocol.HubKeys
}

// EnrollRefusal is an enrolment the hub refuses: the HTTP status and error
// code of the protocol, and the message in French and English.
type EnrollRefusal struct {
	Status    int
	Code      string
	Message   string
	MessageEN string
}

func (r *EnrollRefusal) Error() string { return r.Message }

// Is maps the refusal onto the protocol's sentinel (protocol.ErrInvalidToken…).
func (r *EnrollRefusal) Is(target error) bool {
	s := protocol.ErrorForCode(r.Code)
	return s != nil && s == target
}

// EnrollAgent verifies a signed enrolment request (protocol.SignEnroll) and
// enrols the key it presents with its token, then audits the use of the
// token. via, when not empty, is added to the audit detail ("hors ligne").
// A refusal is an *EnrollRefusal; any other error is the store's (the
// caller's 503).
func EnrollAgent(ctx context.Context, st store.Store, now time.Time, body []byte, hub EnrollHub, via string) (protocol.EnrollResponse, error) {
	// Protocol v2: the request is a DSSE envelope signed by the key it
	// enrols (proof of possession).
	req, pub, err := protocol.VerifyEnroll(body)
	switch {
	case errors.Is(err, protocol.ErrPayloadType), errors.Is(err, protocol.ErrUnknownKey), errors.Is(err, protocol.ErrBadSignature):
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusUnprocessableEntity, protocol.CodeBadSignature,
			"Demande d'enrôlement non signée par la clé qu'elle présente : l'agent doit prouver qu'il détient sa clé privée.",
			"Enrolment request not signed by the key it presents: the agent must prove it holds its private key."}
	case err != nil:
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusBadRequest, protocol.CodeMalformedRequest,
			"Demande d'enrôlement illisible : enveloppe DSSE signée attendue (protocole v2), avec une clé publique Ed25519 de 32 octets en base64.",
			"Unreadable enrolment request: a signed DSSE envelope expected (protocol v2), with a 32-byte Ed25519 public key in base64."}
	}
	if strings.TrimSpace(req.Token) == "" {
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusBadRequest, protocol.CodeMalformedRequest, "Jeton d'enrôlement manquant.", "Enrolment token missing."}
	}
	id := protocol.KeyID(pub)
	h := req.Host
	agent := store.Agent{ID: id, PublicKey: pub, Hostname: protocol.Clip(h.Hostname, protocol.MaxLabel), OS: protocol.Clip(h.OS, protocol.MaxLabel), Platform: protocol.Clip(h.Platform, protocol.MaxLabel),
		PlatformVersion: protocol.Clip(h.PlatformVersion, protocol.MaxLabel), AgentVersion: protocol.Clip(req.AgentVersion, protocol.MaxLabel)}
	tokenHash := HashToken(req.Token)
	a, err := st.Enroll(ctx, tokenHash, agent, now)
	switch {
	case errors.Is(err, store.ErrTokenUnknown):
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusUnauthorized, protocol.CodeInvalidToken, "Jeton d'enrôlement inconnu : vérifiez sa saisie ou demandez-en un nouveau.", "Unknown enrolment token: check it or ask for a new one."}
	case errors.Is(err, store.ErrTokenExpired):
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusGone, protocol.CodeTokenExpired, "Ce jeton d'enrôlement a expiré : demandez-en un nouveau à votre hub.", "This enrolment token has expired: ask your hub for a new one."}
	case errors.Is(err, store.ErrTokenUsed):
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusConflict, protocol.CodeTokenUsed, "Ce jeton d'enrôlement a déjà servi : il n'est valable qu'une fois.", "This enrolment token was already used: it is valid once."}
	case errors.Is(err, store.ErrRevoked):
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusForbidden, protocol.CodeAgentRevoked,
			"Cette clé d'agent a été révoquée et le reste : relancez vigie enroll, qui créera une nouvelle clé.",
			"This agent key was revoked and stays revoked: run vigie enroll again, which makes a new key."}
	case errors.Is(err, store.ErrKeyEnrolled):
		return protocol.EnrollResponse{}, &EnrollRefusal{http.StatusConflict, protocol.CodeKeyEnrolled, "Cet agent est déjà enrôlé pour une autre entité : il ne peut pas en changer.", "This agent is already enrolled for another entity: it cannot move."}
	case err != nil:
		return protocol.EnrollResponse{}, fmt.Errorf("enrolment: storage: %w", err)
	}
	// Each use of a token is audited, with its rank: a fleet token's 30
	// enrolments are 30 rows.
	detail := a.Hostname
	if n, of, err := st.TokenUse(ctx, tokenHash, a.ID); err == nil {
		detail += fmt.Sprintf(" ; jeton %s, utilisation %d/%d", TokenRef(tokenHash), n, of)
	}
	if via != "" {
		detail += " ; " + via
	}
	st.Audit(ctx, store.AuditEntry{At: now, Actor: "agent:" + a.ID, Action: "agent_enroll", Target: a.Entity, Detail: detail})
	return protocol.EnrollResponse{AgentID: a.ID, Entity: a.Entity, Sector: a.Sector, HubSPKISHA256: hub.SPKI, HubKeys: hub.Keys}, nil
}
