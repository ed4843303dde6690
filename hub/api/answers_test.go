package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestAnswersEndToEnd: a real agent key signs its questionnaire's answers,
// the hub files them for the agent's entity marked with the agent; a
// tampered document, another key, a replay, a scorecard passed off as
// answers, an unknown or revoked agent are refused and change nothing.
func TestAnswersEndToEnd(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn, nil)
		ctx := context.Background()
		a := hubtest.NewAgent(20, 0.6)
		r, err := a.Enroll(ctx, h.client, h.url, h.token(t, "Mairie de Lannion", time.Hour))
		expect(t, "enrol", r, err, 201, "")
		ag, err := h.st.Agent(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		answers := map[string]string{"org.offline-backup": "no", "org.awareness": "unknown", "org.mfa-remote": "yes"}
		env := a.SignAnswers(answers, t0.Add(-time.Hour))
		r, err = a.SendAnswers(ctx, h.client, h.url, env)
		expect(t, "answers", r, err, 201, "")
		if r.Body["status"] != "stored" || r.Body["entity"] != "Mairie de Lannion" || r.Body["count"] != float64(3) {
			t.Errorf("answers reply %v", r.Body)
		}
		want := []store.Answer{
			{Question: "org.awareness", Value: "unknown", By: "agent:" + a.ID, At: t0},
			{Question: "org.mfa-remote", Value: "yes", By: "agent:" + a.ID, At: t0},
			{Question: "org.offline-backup", Value: "no", By: "agent:" + a.ID, At: t0},
		}
		check := func(what string) {
			t.Helper()
			got, err := h.st.Answers(ctx, ag.EntityID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: answers (-want +got):\n%s", what, diff)
			}
		}
		check("stored")

		r, err = a.SendAnswers(ctx, h.client, h.url, env)
		expect(t, "same answers again", r, err, 409, "replayed_sequence")
		r, err = a.SendAnswers(ctx, h.client, h.url, a.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0.Add(-2*time.Hour)))
		expect(t, "older answers", r, err, 409, "replayed_sequence")

		var e protocol.Envelope
		json.Unmarshal(a.SignAnswers(map[string]string{"org.offline-backup": "no"}, t0), &e)
		payload, _ := base64.StdEncoding.DecodeString(e.Payload)
		e.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"no"`), []byte(`"yes"`), 1))
		tampered, _ := json.Marshal(e)
		r, err = a.SendAnswers(ctx, h.client, h.url, tampered)
		expect(t, "tampered", r, err, 422, "bad_signature")

		stranger := hubtest.NewAgent(98, 0.5)
		forged := stranger.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0)
		json.Unmarshal(forged, &e)
		e.Signatures[0].KeyID = a.ID
		forged, _ = json.Marshal(e)
		r, err = a.SendAnswers(ctx, h.client, h.url, forged)
		expect(t, "signed by another key under this agent's key ID", r, err, 422, "bad_signature")
		r, err = hubtest.Post(ctx, h.client, h.url+protocol.PathAnswers, a.ID, stranger.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0))
		expect(t, "signed by another key", r, err, 422, "agent_mismatch")
		r, err = stranger.SendAnswers(ctx, h.client, h.url, stranger.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0))
		expect(t, "unknown agent", r, err, 401, "unknown_agent")
		r, err = a.SendAnswers(ctx, h.client, h.url, a.Sign(a.Next(t0)))
		expect(t, "a scorecard sent as answers", r, err, 422, "bad_signature")
		r, err = a.Upload(ctx, h.client, h.url, a.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0))
		expect(t, "answers sent as a scorecard", r, err, 422, "bad_signature")
		named := protocol.Answers{Schema: protocol.AnswersSchema, AgentID: stranger.ID, AnsweredAt: t0, Answers: map[string]string{"org.offline-backup": "yes"}}
		raw, _ := protocol.SignAnswers(&named, a.Key)
		r, err = a.SendAnswers(ctx, h.client, h.url, raw)
		expect(t, "answers naming another agent", r, err, 422, "agent_mismatch")
		r, err = a.SendAnswers(ctx, h.client, h.url, a.SignAnswers(map[string]string{"org.offline-backup": "oui"}, t0))
		expect(t, "answer not in the vocabulary", r, err, 400, "malformed_answers")
		r, err = a.SendAnswers(ctx, h.client, h.url, a.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0.Add(api.MaxAnswersAhead+time.Minute)))
		expect(t, "answers dated in the future", r, err, 400, "malformed_answers")
		r, err = a.SendAnswers(ctx, h.client, h.url, bytes.Repeat([]byte("x"), protocol.MaxAnswersSize+1))
		expect(t, "oversized", r, err, 413, "request_too_large")
		r, err = hubtest.PostChunked(ctx, h.client, h.url+protocol.PathAnswers, a.ID, bytes.Repeat([]byte("x"), protocol.MaxAnswersSize+1))
		expect(t, "oversized, without Content-Length", r, err, 413, "request_too_large")
		r, err = a.SendAnswers(ctx, h.client, h.url, []byte(`{"payloadType":`))
		expect(t, "malformed envelope", r, err, 400, "malformed_envelope")
		check("after refusals")

		// Newer answers replace those questions' answers only.
		r, err = a.SendAnswers(ctx, h.client, h.url, a.SignAnswers(map[string]string{"org.offline-backup": "yes"}, t0))
		expect(t, "newer answers", r, err, 201, "")
		want[2].Value = "yes"
		check("newer")

		if err := h.st.RevokeAgent(ctx, a.ID, "admin@csirt.example", t0); err != nil {
			t.Fatal(err)
		}
		r, err = a.SendAnswers(ctx, h.client, h.url, a.SignAnswers(map[string]string{"org.offline-backup": "no"}, t0.Add(time.Minute)))
		expect(t, "revoked", r, err, 403, "agent_revoked")
		check("revoked")
		log, _ := h.st.AuditLog(ctx, 10)
		if len(log) == 0 || log[0].Action != "answers_agent" || log[0].Actor != "agent:"+a.ID || log[0].Target != "Mairie de Lannion" {
			t.Errorf("audit log %+v", log)
		}
	})
}
