package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
)

// TestQuestionnaireSendsToHub: on an agent enrolled with a real hub, the
// questionnaire's answers are signed and sent to the hub, which files them
// for the entity marked with the agent; --send sends the saved answers
// again without asking, --no-send keeps them on the host.
func TestQuestionnaireSendsToHub(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	srv.Config.Handler = api.New(api.Config{Store: st, Version: "test", SPKI: agent.SPKIFingerprint(srv.Certificate())}).Handler()
	e, err := st.EnsureEntity(ctx, "Mairie de Roscoff", "commune")
	if err != nil {
		t.Fatal(err)
	}
	tok := app.NewToken()
	st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})

	dir := t.TempDir()
	cfg, state := agentConfig(t, dir, "")
	stdin = strings.NewReader("o\n")
	defer func() { stdin = os.Stdin }()
	if code, _, stderr := vigie(t, "questionnaire", "--send", "--state-dir", state, "--config", cfg); code == exitOK || !strings.Contains(stderr, "inscrit") {
		t.Errorf("--send before enrolment: exit %d %q", code, stderr)
	}
	if code, out, stderr := vigie(t, "enroll", "--config", cfg, "--hub", srv.URL, "--token", tok, "--fingerprint", agent.SPKIFingerprint(srv.Certificate())); code != exitOK {
		t.Fatalf("enroll: exit %d %s %s", code, out, stderr)
	}
	ag, _ := agent.LoadState(state)

	// Question 1 yes, question 2 « ne sait pas », then stop.
	stdin = strings.NewReader("o\n?\nq\n")
	code, out, stderr := vigie(t, "questionnaire", "--state-dir", state, "--config", cfg)
	if code != exitOK || !strings.Contains(out, "2 réponses envoyées au hub") || !strings.Contains(out, "Mairie de Roscoff") {
		t.Fatalf("questionnaire: exit %d\n%s\n%s", code, out, stderr)
	}
	qs := organisation.Questions()
	got, err := st.Answers(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{qs[0].ID: "yes", qs[1].ID: "unknown"}
	if len(got) != 2 {
		t.Fatalf("hub answers %+v, want %v", got, want)
	}
	for _, a := range got {
		if want[a.Question] != a.Value || a.By != "agent:"+ag.AgentID {
			t.Errorf("hub answer %+v, want %v from agent:%s", a, want, ag.AgentID)
		}
	}

	// An adviser changes one on the hub; --send puts the host's back.
	if err := st.SetAnswers(ctx, e.ID, []store.Answer{{Question: qs[0].ID, Value: "no", By: "conseiller@x", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := vigie(t, "questionnaire", "--send", "--state-dir", state, "--config", cfg); code != exitOK || !strings.Contains(out, "2 réponses envoyées") {
		t.Fatalf("--send: exit %d %s %s", code, out, stderr)
	}
	got, _ = st.Answers(ctx, e.ID)
	for _, a := range got {
		if a.Question == qs[0].ID && (a.Value != "yes" || a.By != "agent:"+ag.AgentID) {
			t.Errorf("after --send: %+v", a)
		}
	}

	stdin = strings.NewReader("n\nq\n")
	if code, out, _ := vigie(t, "questionnaire", "--no-send", "--state-dir", state, "--config", cfg); code != exitOK || strings.Contains(out, "envoyées") {
		t.Errorf("--no-send: exit %d %s", code, out)
	}
	got, _ = st.Answers(ctx, e.ID)
	for _, a := range got {
		if a.Question == qs[0].ID && a.Value != "yes" {
			t.Errorf("--no-send reached the hub: %+v", a)
		}
	}
	if code, _, stderr := vigie(t, "questionnaire", "--send", "--no-send", "--state-dir", state); code == exitOK || !strings.Contains(stderr, "s'excluent") {
		t.Errorf("--send --no-send: exit %d %q", code, stderr)
	}
}
