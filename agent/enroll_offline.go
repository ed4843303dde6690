package agent

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/protocol"
)

// Offline enrolment (docs/protocol.md): the agent writes its signed
// enrolment request to a file, carried to the hub; `vigie-hub
// enroll-offline` enrols it and writes a response signed with the hub's
// signing key, carried back; the agent checks it and completes its state.
// The state is then the one an online enrolment makes: the agent works
// offline, and online with the same state if the network comes.

// PendingOfflineEnroll is what the agent remembers between the request and
// the response: the hub fingerprint given with the request, checked
// against the response.
type PendingOfflineEnroll struct {
	Fingerprint string    `json:"fingerprint,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
}

// OfflineRequestOptions is what an offline enrolment request needs.
type OfflineRequestOptions struct {
	Token string
	// Fingerprint is the hub's SPKI fingerprint given by its admin:
	// remembered, and compared with the response's.
	Fingerprint string
	StateDir    string
	Host        protocol.HostInfo
	Now         func() time.Time
}

// OfflineRequest is the outcome of WriteEnrollRequest.
type OfflineRequest struct {
	AgentID    string
	KeyPath    string
	KeyCreated bool
}

// WriteEnrollRequest creates the agent key if needed and writes to out the
// signed enrolment request, the body an online enrolment would POST. The
// file carries the token: 0600, and worthless once the hub has used it.
func WriteEnrollRequest(o OfflineRequestOptions, out string) (*OfflineRequest, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	ek, err := prepareEnrol(o.Token, o.Fingerprint, o.StateDir, now)
	if err != nil {
		return nil, err
	}
	token, fp, key, keyPath, created := ek.token, ek.fingerprint, ek.key, ek.keyPath, ek.created
	body, err := protocol.SignEnroll(protocol.EnrollRequest{Token: token, Host: o.Host, AgentVersion: Version}, key)
	if err != nil {
		return nil, err
	}
	if err := keystore.WriteFileAtomic(out, append(body, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("écriture de la demande %s impossible : %w", out, err)
	}
	if _, err := UpdateState(o.StateDir, func(s *State) error {
		s.OfflineEnroll = &PendingOfflineEnroll{Fingerprint: fp, RequestedAt: now().UTC()}
		return nil
	}); err != nil {
		return nil, err
	}
	return &OfflineRequest{AgentID: protocol.KeyID(key.Public().(ed25519.PublicKey)), KeyPath: keyPath, KeyCreated: created}, nil
}

// OfflineResponseOptions is what completing an offline enrolment needs.
type OfflineResponseOptions struct {
	StateDir string
	// Fingerprint, when given (else the one given with the request), must
	// be the hub SPKI the response names.
	Fingerprint string
	// HubKey, when given, must be the response's hub_signing_key: the key
	// itself or its short form (vigie-hub keys prints both).
	HubKey string
	// HubURL is the hub's address from the configuration; the response's
	// when empty.
	HubURL string
	Now    func() time.Time
}

// CompleteOfflineEnroll reads a response file written by `vigie-hub
// enroll-offline` and records the enrolment in the state. The response must
// be signed by the hub_signing_key it carries, name this agent's key, and
// name the hub fingerprint (and signing key) given by the hub's admin when
// they were given: that signature alone proves the file is whole and
// unchanged since signed, not who signed it.
func CompleteOfflineEnroll(o OfflineResponseOptions, path string) (*Enrolment, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	data, err := readBounded(path, protocol.MaxEnrollSize)
	if err != nil {
		return nil, fmt.Errorf("réponse d'inscription : %w", err)
	}
	resp, err := protocol.ParseOfflineEnrollResponse(data)
	if err != nil {
		return nil, fmt.Errorf("réponse d'inscription %s refusée (fichier abîmé, modifié, ou qui n'est pas une réponse de vigie-hub enroll-offline) : %w", path, err)
	}
	keyPath := filepath.Join(o.StateDir, KeyFile)
	key, err := keystore.LoadKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("clé de l'agent %s illisible (la demande a-t-elle été écrite sur ce poste, avec ce dossier d'état ?) : %w", keyPath, err)
	}
	if id := protocol.KeyID(key.Public().(ed25519.PublicKey)); resp.AgentID != id {
		return nil, fmt.Errorf("cette réponse inscrit l'agent %s, or ce poste est l'agent %s : elle est destinée à un autre poste (ou à une ancienne clé)", resp.AgentID, id)
	}
	st, err := LoadState(o.StateDir)
	if err != nil {
		return nil, err
	}
	if st.KeyRevoked {
		// An old response must not bring a revoked key back to life: the
		// hub refuses it for good (protocol v2).
		return nil, fmt.Errorf("%w: la clé de ce poste a été révoquée par le hub ; écrivez une nouvelle demande (vigie enroll --request-out), "+
			"qui crée une nouvelle clé, et faites-la signer par le hub", protocol.ErrAgentRevoked)
	}
	fp := NormalizeFingerprint(o.Fingerprint)
	if fp == "" && st.OfflineEnroll != nil {
		fp = st.OfflineEnroll.Fingerprint
	}
	if fp != "" && subtle.ConstantTimeCompare([]byte(fp), []byte(resp.HubSPKISHA256)) != 1 {
		return nil, fmt.Errorf("%w: la réponse annonce le hub %s, l'empreinte indiquée est %s : réponse refusée, elle ne vient pas du hub attendu",
			ErrFingerprintMismatch, resp.HubSPKISHA256, fp)
	}
	if k := strings.TrimSpace(o.HubKey); k != "" && k != resp.SigningKey {
		pub, _ := protocol.DecodePublicKey(resp.SigningKey)
		if k != protocol.KeyID(pub) {
			return nil, fmt.Errorf("%w: la réponse est signée par la clé %s (%s), pas par celle indiquée (%s) : réponse refusée",
				ErrFingerprintMismatch, resp.SigningKey, protocol.KeyID(pub), k)
		}
	}
	hubURL := strings.TrimSuffix(firstNonEmpty(o.HubURL, resp.HubURL), "/")
	if u, err := url.Parse(hubURL); hubURL == "" || err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("adresse du hub inconnue : la réponse n'en porte pas ; indiquez --hub https://… (elle ne sert que si le poste rejoint un jour le réseau)")
	}
	if _, err := UpdateState(o.StateDir, func(s *State) error {
		s.HubKeys = resp.HubKeys
		s.AgentID, s.Entity, s.Sector = resp.AgentID, protocol.Clip(resp.Entity, protocol.MaxLabel), protocol.Clip(resp.Sector, 32)
		s.HubURL, s.HubSPKI, s.EnrolledAt = hubURL, resp.HubSPKISHA256, now().UTC()
		s.Blocked, s.KeyRevoked, s.OfflineEnroll = "", false, nil
		return nil
	}); err != nil {
		return nil, err
	}
	return &Enrolment{AgentID: resp.AgentID, Entity: resp.Entity, Sector: resp.Sector, HubSPKI: resp.HubSPKISHA256, KeyPath: keyPath}, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
