package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestRevocationSticks (issue 13, item 5; protocol v2): a revoked key is
// refused at enrolment too, whatever the token of its entity (the token
// stays usable); the agent's new key enrols with it, is linked to the old
// agent's history by an admin, and a revocation made by mistake is undone.
func TestRevocationSticks(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn, nil)
		ctx := context.Background()
		a := hubtest.NewAgent(60, 0.5)
		r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie de Landéda", time.Hour))
		expect(t, "enrol", r, err, 201, "")
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Next(t0)))
		expect(t, "upload", r, err, 201, "")
		svc := app.New(app.Config{Store: h.st, Now: func() time.Time { return t0 }})
		if err := svc.RevokeAgent(ctx, a.ID, "admin@csirt.example"); err != nil {
			t.Fatal(err)
		}
		tok := h.token(t, "Mairie de Landéda", time.Hour)
		r, err = a.Enroll(ctx, h.client, h.url, tok)
		expect(t, "revoked key, new token", r, err, 403, "agent_revoked")
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Next(t0)))
		expect(t, "upload after the refused enrolment", r, err, 403, "agent_revoked")

		// The agent makes a new key; the token refused to the old one
		// enrols it.
		b := hubtest.NewAgent(61, 0.5)
		r, err = b.Enroll(ctx, h.client, h.url, tok)
		expect(t, "new key, same token", r, err, 201, "")
		b.Seq = a.Seq
		r, err = b.Upload(ctx, h.client, h.url, b.Sign(b.Next(t0.Add(time.Hour))))
		expect(t, "upload by the new key", r, err, 201, "")
		if err := svc.LinkAgent(ctx, a.ID, b.ID, "admin@csirt.example"); err != nil {
			t.Fatal(err)
		}
		hist, err := h.st.History(ctx, b.ID, 10)
		if err != nil || len(hist) != 2 || hist[0].AgentID != a.ID || hist[1].AgentID != b.ID {
			t.Errorf("linked history: %+v %v", hist, err)
		}

		if err := svc.ReinstateAgent(ctx, a.ID, "admin@csirt.example"); err != nil {
			t.Fatal(err)
		}
		r, err = a.Upload(ctx, h.client, h.url, a.Sign(a.Next(t0.Add(2*time.Hour))))
		expect(t, "upload once reinstated", r, err, 201, "")
		log, _ := h.st.AuditLog(ctx, 20)
		seen := map[string]bool{}
		for _, e := range log {
			seen[e.Action+" "+e.Target] = true
		}
		for _, want := range []string{"agent_revoke " + a.ID, "agent_link " + b.ID, "agent_reinstate " + a.ID} {
			if !seen[want] {
				t.Errorf("audit log lacks %q", want)
			}
		}
	})
}

// TestEnrollProvesPossession (issue 13, item 6; protocol v2): someone
// holding a token cannot enrol another host's public key (world-readable)
// to lock that host out: the request must be signed by the key it enrols.
// An unsigned (version 1) request is refused as malformed.
func TestEnrollProvesPossession(t *testing.T) {
	t.Parallel()
	h := newHub(t, filepath.Join(t.TempDir(), "hub.db"), nil)
	ctx := context.Background()
	attacker, victim := hubtest.NewAgent(70, 0.5), hubtest.NewAgent(71, 0.5)
	tok := h.token(t, "Mairie de Brélès", time.Hour)
	req := protocol.EnrollRequest{Token: tok, PublicKey: victim.Public(), Host: victim.Host, AgentVersion: "1.0.0"}
	payload, _ := json.Marshal(req)
	forged, _ := json.Marshal(protocol.Sign(protocol.EnrollPayloadType, payload, attacker.Key))
	r, err := hubtest.Post(ctx, h.client, h.url+protocol.PathEnroll, "", forged)
	expect(t, "victim's key signed by the attacker", r, err, 422, "bad_signature")
	var env protocol.Envelope
	json.Unmarshal(forged, &env)
	env.Signatures[0].KeyID = victim.ID
	forged, _ = json.Marshal(env)
	r, err = hubtest.Post(ctx, h.client, h.url+protocol.PathEnroll, "", forged)
	expect(t, "victim's key and key ID, attacker's signature", r, err, 422, "bad_signature")
	r, err = hubtest.Post(ctx, h.client, h.url+protocol.PathEnroll, "", payload)
	expect(t, "unsigned version 1 request", r, err, 400, "malformed_request")
	if _, err := h.st.Agent(ctx, victim.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("victim's key enrolled: %v", err)
	}
	r, err = victim.Enroll(ctx, h.client, h.url, tok)
	expect(t, "the victim itself, with the token the forgeries did not consume", r, err, 201, "")
}
