package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestOfflineEnrolmentRoundTrip (issue 21): a host off the network writes
// its signed enrolment request (the agent's code behind vigie enroll
// --request-out); the real `vigie-hub enroll-offline` enrols it as the API
// would (wrong token, reused token and revoked key refused, audited) and
// writes a signed response; the agent checks it (tampered, other hub,
// other signing key refused) and completes its state. In offline mode its
// scorecards land on the "stick" encrypted to the hub: they decrypt with
// the hub's age identity to envelopes the hub's record of the agent's key
// verifies. The same state then delivers online to the real serve.
func TestOfflineEnrolmentRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	addr, spki := startServe(t, db) // makes hub.crt and the hub's keys in dir
	newToken := func() string {
		_, out, _ := cli(t, "", "token", "create", "--db", db, "--entity", "CH de Landerneau", "--sector", "hospital", "--expires", "1h")
		tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
		if tok == nil {
			t.Fatalf("token create: %q", out)
		}
		return tok[1]
	}
	tok := newToken()
	ctx := context.Background()
	state := filepath.Join(dir, "agent")
	reqPath := filepath.Join(dir, "poste"+protocol.OfflineEnrollRequestSuffix)
	r, err := agent.WriteEnrollRequest(agent.OfflineRequestOptions{Token: tok, Fingerprint: spki, StateDir: state,
		Host: protocol.HostInfo{Hostname: "pacs-01", OS: "windows"}}, reqPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(reqPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("request file (it holds the token) is %v", fi.Mode().Perm())
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	respPath := filepath.Join(dir, "poste"+protocol.OfflineEnrollResponseSuffix)
	// Another token than the request's: refused, nothing enrolled.
	code, _, stderr := cli(t, "", "enroll-offline", reqPath, "--db", db, "--token", "AAAA-BBBB-CCCC-DDDD-EEEE", "--out", respPath)
	if code != exitFail || !strings.Contains(stderr, "n'est pas celui indiqué") {
		t.Fatalf("wrong token: %d %q", code, stderr)
	}
	if _, err := st.Agent(ctx, r.AgentID); err == nil {
		t.Fatal("agent enrolled with a mismatched token")
	}
	if _, err := os.Stat(respPath); err == nil {
		t.Fatal("response written for a refused request")
	}
	// Lower case and without dashes: the same token.
	code, out, stderr := cli(t, "", "enroll-offline", reqPath, "--db", db, "--token", strings.ToLower(strings.ReplaceAll(tok, "-", "")), "--out", respPath, "--public-url", "https://hub.bretagne.example")
	if code != 0 || !strings.Contains(out, r.AgentID) {
		t.Fatalf("enroll-offline: %d %q %q", code, out, stderr)
	}
	a, err := st.Agent(ctx, r.AgentID)
	if err != nil || a.Entity != "CH de Landerneau" || a.Hostname != "pacs-01" {
		t.Fatalf("hub's record: %+v %v", a, err)
	}
	log, _ := st.AuditLog(ctx, 20)
	audited := false
	for _, e := range log {
		audited = audited || (e.Action == "agent_enroll" && e.Actor == "agent:"+r.AgentID && strings.Contains(e.Detail, "hors ligne") && strings.Contains(e.Detail, "utilisation 1/1"))
	}
	if !audited {
		t.Errorf("offline enrolment not audited as online ones are: %+v", log)
	}
	// The same request again (a response lost on the way) is a retried
	// enrolment, as online: answered again. Another host's request with
	// the same token is refused: the token has served.
	if code, _, stderr := cli(t, "", "enroll-offline", reqPath, "--db", db, "--token", tok, "--out", filepath.Join(dir, "encore.json")); code != 0 {
		t.Errorf("retried request: %d %q", code, stderr)
	}
	otherReq := filepath.Join(dir, "autre"+protocol.OfflineEnrollRequestSuffix)
	if _, err := agent.WriteEnrollRequest(agent.OfflineRequestOptions{Token: tok, StateDir: filepath.Join(dir, "autre")}, otherReq); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "", "enroll-offline", otherReq, "--db", db, "--token", tok, "--out", filepath.Join(dir, "autre.json"))
	if code != exitFail || !strings.Contains(stderr, "déjà servi") {
		t.Errorf("reused token: %d %q", code, stderr)
	}

	// What the agent refuses.
	data, _ := os.ReadFile(respPath)
	var env protocol.Envelope
	json.Unmarshal(data, &env)
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte("Landerneau"), []byte("Landernaux"), 1))
	tampered, _ := json.Marshal(env)
	bad := filepath.Join(dir, "modifiee.json")
	os.WriteFile(bad, tampered, 0o644)
	if _, err := agent.CompleteOfflineEnroll(agent.OfflineResponseOptions{StateDir: state}, bad); !errors.Is(err, protocol.ErrBadSignature) {
		t.Errorf("tampered response: %v", err)
	}
	if _, err := agent.CompleteOfflineEnroll(agent.OfflineResponseOptions{StateDir: state, Fingerprint: strings.Repeat("0", 64)}, respPath); !errors.Is(err, agent.ErrFingerprintMismatch) {
		t.Errorf("another hub's fingerprint: %v", err)
	}
	other, _ := protocol.GenerateKey()
	if _, err := agent.CompleteOfflineEnroll(agent.OfflineResponseOptions{StateDir: state, HubKey: protocol.EncodePublicKey(other.Public().(ed25519.PublicKey))}, respPath); !errors.Is(err, agent.ErrFingerprintMismatch) {
		t.Errorf("another hub signing key: %v", err)
	}
	if s, _ := agent.LoadState(state); s.Enrolled() {
		t.Fatal("a refused response enrolled the agent")
	}

	// Accepted: the hub's identity and keys, checked against its short
	// signing-key form printed by vigie-hub keys.
	_, keysJSON, _ := cli(t, "", "keys", "--db", db, "--format", "json")
	var pub protocol.HubKeys
	json.Unmarshal([]byte(keysJSON), &pub)
	short, _ := hubkeys.Fingerprint(pub.SigningKey)
	e, err := agent.CompleteOfflineEnroll(agent.OfflineResponseOptions{StateDir: state, HubKey: short}, respPath)
	if err != nil {
		t.Fatal(err)
	}
	// The same response applied again once the hub revoked the key does
	// not bring the key back.
	agent.UpdateState(state, func(s *agent.State) error { s.KeyRevoked = true; return nil })
	if _, err := agent.CompleteOfflineEnroll(agent.OfflineResponseOptions{StateDir: state, HubKey: short}, respPath); !errors.Is(err, protocol.ErrAgentRevoked) {
		t.Fatalf("old response over a revoked key: %v", err)
	}
	agent.UpdateState(state, func(s *agent.State) error { s.KeyRevoked = false; return nil })
	s, _ := agent.LoadState(state)
	if e.AgentID != r.AgentID || s.HubSPKI != spki || s.HubKeys != pub || s.HubURL != "https://hub.bretagne.example" || s.Entity != "CH de Landerneau" || s.OfflineEnroll != nil {
		t.Fatalf("state after the response: %+v", s)
	}

	// Offline mode: the scorecard on the stick opens with the hub's age
	// identity to an envelope the hub's record of the key verifies.
	stick := filepath.Join(dir, "cle")
	os.Mkdir(stick, 0o700)
	scan := func(ctx context.Context, so agent.ScanOptions) (*protocol.Scorecard, error) {
		so.Only = []protocol.Domain{protocol.DomainOrganisation}
		return agent.Scan(ctx, livehost.New(), so), nil
	}
	cfg, err := agent.ParseConfig("vigie.toml", []byte("state_dir = \""+filepath.ToSlash(state)+"\"\n[hub]\nmode = \"offline\"\noffline_dir = \""+filepath.ToSlash(stick)+"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(cfg, agent.Options{Scan: scan})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ag.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(stick, protocol.OfflineScorecardName(r.AgentID, sc.Sequence)))
	if err != nil {
		t.Fatalf("no file on the stick: %v", err)
	}
	defer f.Close()
	sf, _ := os.ReadFile(filepath.Join(dir, hubkeys.SigningFile))
	af, _ := os.ReadFile(filepath.Join(dir, hubkeys.AgeFile))
	hk, err := hubkeys.Parse(sf, af)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := age.Decrypt(f, hk.Age)
	if err != nil {
		t.Fatalf("stick file does not open with the hub's identity: %v", err)
	}
	body, _ := io.ReadAll(plain)
	senv, err := protocol.ParseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := protocol.Verify(senv, protocol.PayloadType, a.PublicKey)
	if err != nil {
		t.Fatalf("stick envelope does not verify with the key the hub enrolled: %v", err)
	}
	if got, _ := protocol.Decode(sp); got.Sequence != sc.Sequence || got.AgentID != r.AgentID || got.Entity != "CH de Landerneau" {
		t.Errorf("stick scorecard %+v", got)
	}

	// The network appears: the same state delivers online to the real hub.
	if _, err := agent.UpdateState(state, func(s *agent.State) error { s.HubURL = "https://" + addr; return nil }); err != nil {
		t.Fatal(err)
	}
	online, _ := agent.ParseConfig("vigie.toml", []byte("state_dir = \""+filepath.ToSlash(state)+"\"\n"))
	ag, err = agent.New(online, agent.Options{Scan: scan})
	if err != nil {
		t.Fatal(err)
	}
	sc2, err := ag.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if files, _, _ := ag.Spool().Stats(); files != 0 {
		t.Fatalf("online delivery failed: %+v", func() *agent.Status { s, _ := agent.ReadStatus(state); return s }())
	}
	if _, err := st.Scorecard(ctx, r.AgentID, sc2.ID); err != nil {
		t.Errorf("scorecard delivered online not stored: %v", err)
	}

	// A revoked key stays revoked, offline too.
	if code, _, stderr := cli(t, "", "agent", "revoke", "--db", db, r.AgentID); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	tok2 := newToken()
	req2 := filepath.Join(dir, "encore"+protocol.OfflineEnrollRequestSuffix)
	if _, err := agent.WriteEnrollRequest(agent.OfflineRequestOptions{Token: tok2, StateDir: state}, req2); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "", "enroll-offline", req2, "--db", db, "--token", tok2, "--out", filepath.Join(dir, "r2.json"))
	if code != exitFail || !strings.Contains(stderr, "révoquée") {
		t.Errorf("revoked key enrolled offline: %d %q", code, stderr)
	}
	// Usage mistakes.
	for _, args := range [][]string{
		{"enroll-offline", "--db", db, "--token", tok2, "--out", "x"},
		{"enroll-offline", req2, "--db", db, "--out", "x"},
		{"enroll-offline", req2, "--db", db, "--token", tok2},
	} {
		if code, _, _ := cli(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	os.WriteFile(filepath.Join(dir, "pas-une-demande.json"), []byte(`{"token":"x"}`), 0o600)
	if code, _, stderr := cli(t, "", "enroll-offline", filepath.Join(dir, "pas-une-demande.json"), "--db", db, "--token", tok2, "--out", "x"); code != exitFail || !strings.Contains(stderr, "refusée") {
		t.Errorf("not a request: %d %q", code, stderr)
	}
}
