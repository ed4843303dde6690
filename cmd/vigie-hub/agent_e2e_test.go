package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestRealAgentAgainstRealHub is the joint test of the agent and hub issues:
// the real `vigie-hub serve` over HTTPS, and the real agent code enrolling
// with a token from `vigie-hub token create`, pinning the printed
// fingerprint, scanning this host, signing, spooling and delivering. The hub
// stores exactly what was signed; a revoked agent keeps its scorecards in its
// spool; a server with another identity at the hub's address is refused.
func TestRealAgentAgainstRealHub(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--expires", "1h")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
	if code != 0 || tok == nil {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	addr, spki := startServe(t, db)
	hub := "https://" + addr
	ctx := context.Background()

	state := filepath.Join(dir, "agent")
	cfgPath := filepath.Join(dir, "vigie.toml")
	os.WriteFile(cfgPath, []byte("state_dir = \""+filepath.ToSlash(state)+"\"\n[hub]\nurl = \""+hub+"\"\nfingerprint = \""+spki+"\"\n"), 0o600)
	cfg, err := agent.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}

	// A wrong token is refused clearly, and the right one works once.
	_, err = agent.Enroll(ctx, agent.EnrollOptions{HubURL: hub, Token: "AAAA-BBBB-CCCC-DDDD-EEEE", Fingerprint: spki, StateDir: state})
	if !errors.Is(err, protocol.ErrInvalidToken) {
		t.Fatalf("wrong token: %v, want ErrInvalidToken", err)
	}
	e, err := agent.Enroll(ctx, agent.EnrollOptions{HubURL: hub, Token: tok[1], Fingerprint: spki, StateDir: state,
		Host: protocol.HostInfo{Hostname: "mairie-srv01", OS: "linux"}})
	if err != nil {
		t.Fatalf("enrol: %v", err)
	}
	if e.Entity != "Mairie de Plouguerneau" {
		t.Errorf("entity %q", e.Entity)
	}
	if _, err := agent.Enroll(ctx, agent.EnrollOptions{HubURL: hub, Token: tok[1], Fingerprint: spki, StateDir: filepath.Join(dir, "other")}); !errors.Is(err, protocol.ErrTokenUsed) {
		t.Errorf("reused token: %v, want ErrTokenUsed", err)
	}

	a, err := agent.New(cfg, agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sent []*protocol.Scorecard
	for i := 0; i < 2; i++ {
		sc, err := a.Cycle(ctx) // the real scan of this host
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		sent = append(sent, sc)
	}
	if files, _, _ := a.Spool().Stats(); files != 0 {
		t.Fatalf("%d scorecards left in the spool after delivery", files)
	}

	// The hub has both, with the agent's own ID, sequence and score, and the
	// exact signed envelope.
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keyData, _ := os.ReadFile(filepath.Join(state, agent.KeyFile))
	pub, err := protocol.ParsePublicKey(keyData)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range sent {
		got, err := st.Scorecard(ctx, e.AgentID, sc.ID)
		if err != nil {
			t.Fatalf("scorecard %s (sequence %d) not stored by the hub: %v", sc.ID, sc.Sequence, err)
		}
		if got.Sequence != sc.Sequence || got.Score != sc.Score || got.Level != int(sc.Level) || got.Hostname != sc.Host.Hostname {
			t.Errorf("stored %+v, sent sequence %d score %d level %d", got, sc.Sequence, sc.Score, sc.Level)
		}
		env, err := protocol.ParseEnvelope(got.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := protocol.Verify(env, protocol.PayloadType, pub); err != nil {
			t.Errorf("stored envelope does not verify with the agent's key: %v", err)
		}
		if sc.AgentID != e.AgentID {
			t.Errorf("scorecard agent %s, enrolled as %s", sc.AgentID, e.AgentID)
		}
	}
	if sent[1].Sequence <= sent[0].Sequence {
		t.Errorf("sequences %d then %d: must increase", sent[0].Sequence, sent[1].Sequence)
	}

	// Revoked (protocol v2): uploads stop, the scorecard signed by the
	// revoked key is quarantined, and the next enrolment makes a new key.
	if code, _, stderr = cli(t, "", "agent", "revoke", "--db", db, e.AgentID); code != 0 {
		t.Fatalf("revoke: %d %s", code, stderr)
	}
	if _, err := a.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	as, _ := agent.ReadStatus(state)
	if as.SpoolFiles != 0 || as.Quarantined != 1 || as.State.Blocked == "" || !as.State.KeyRevoked {
		t.Errorf("after revocation: %d spooled, %d quarantined, blocked=%q, key revoked %v; want the scorecard quarantined and uploads stopped",
			as.SpoolFiles, as.Quarantined, as.State.Blocked, as.State.KeyRevoked)
	}

	// Another server (another key) at a pinned address is refused.
	addr2, spki2 := startServe(t, filepath.Join(t.TempDir(), "hub2.db"))
	if spki2 == spki {
		t.Fatal("second hub has the same key")
	}
	if _, err := agent.UpdateState(state, func(s *agent.State) error { s.HubURL = "https://" + addr2; return nil }); err != nil {
		t.Fatal(err)
	}
	as, _ = agent.ReadStatus(state)
	as.CheckHub(ctx, "")
	if !errors.Is(as.HubErr, agent.ErrPinMismatch) {
		t.Errorf("impostor hub: %v, want ErrPinMismatch", as.HubErr)
	}
}
