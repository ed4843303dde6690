package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/agent/incident"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

func fakeIncidentHost(t *testing.T) {
	old, oldNow := incidentHost, incidentNow
	incidentHost = func() *checks.Host { return checkstest.Host() }
	incidentNow = func() time.Time { return checkstest.Clock }
	t.Cleanup(func() { incidentHost, incidentNow = old, oldNow })
}

func outputs(t *testing.T, dir string) (archive, manifest string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		switch {
		case strings.HasSuffix(e.Name(), ".tar"), strings.HasSuffix(e.Name(), ".tar.age"):
			archive = filepath.Join(dir, e.Name())
		case strings.Contains(e.Name(), ".manifest."):
			manifest = filepath.Join(dir, e.Name())
		}
	}
	if archive == "" || manifest == "" {
		t.Fatalf("outputs in %s: %v", dir, ents)
	}
	return archive, manifest
}

func TestIncidentNonInteractiveEncryptedAndSigned(t *testing.T) {
	fakeIncidentHost(t)
	state, out := t.TempDir(), t.TempDir()
	key, _ := protocol.GenerateKey()
	if err := keystore.SaveKey(filepath.Join(state, agent.KeyFile), key); err != nil {
		t.Fatal(err)
	}
	if err := agent.SaveState(state, &agent.State{AgentID: "agent-7", HubURL: "https://hub.example", HubSPKI: "x"}); err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	var stdout, stderr bytes.Buffer
	code := run([]string{"incident", "--non-interactive", "--kind", "ransomware", "--aware-at", "2026-11-30T08:15:00+01:00",
		"--contact", "Mme X, 06 00 00 00 00", "--summary", "fichiers chiffrés", "--recipient", id.Recipient().String(),
		"--offline-out", out, "--state-dir", state}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "sans l'éteindre") || !strings.Contains(stdout.String(), "CERTFR-2024-RFX-001") {
		t.Errorf("advice missing:\n%s", stdout.String())
	}
	ap, mp := outputs(t, out)
	if !strings.HasSuffix(ap, ".tar.age") || !strings.HasSuffix(mp, ".dsse.json") {
		t.Fatalf("%s %s", ap, mp)
	}
	mdata, _ := os.ReadFile(mp)
	m, err := incident.OpenManifest(mdata, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if m.AgentID != "agent-7" || m.Answers.Contact != "Mme X, 06 00 00 00 00" || !m.Answers.AwareAt.Equal(time.Date(2026, 11, 30, 7, 15, 0, 0, time.UTC)) {
		t.Errorf("manifest %+v", m)
	}
	f, _ := os.Open(ap)
	defer f.Close()
	files, err := incident.Extract(f, m, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(incident.Collectors) {
		t.Errorf("%d files", len(files))
	}
	// The scorecard collector read the agent's state.
	if !bytes.Contains(files["scorecard.json"], []byte("agent-7")) {
		t.Errorf("scorecard: %s", files["scorecard.json"])
	}
}

func TestIncidentRefusesPlaintextUnlessAsked(t *testing.T) {
	fakeIncidentHost(t)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	base := []string{"incident", "--non-interactive", "--kind", "fraud", "--offline-out", out, "--state-dir", filepath.Join(t.TempDir(), "none")}
	if code := run(base, &stdout, &stderr); code != exitUsage {
		t.Fatalf("no recipient: exit %d", code)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("something written without encryption: %v", ents)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(append(base, "--no-encrypt"), &stdout, &stderr); code != exitOK {
		t.Fatalf("--no-encrypt: exit %d %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "SANS chiffrement") {
		t.Errorf("no warning: %q", stderr.String())
	}
	ap, mp := outputs(t, out)
	mdata, _ := os.ReadFile(mp)
	m, err := incident.OpenManifest(mdata, nil)
	if err != nil || m.Encrypted || m.AgentID != "" {
		t.Fatalf("%+v %v", m, err)
	}
	f, _ := os.Open(ap)
	defer f.Close()
	if _, err := incident.Extract(f, m, nil); err != nil {
		t.Fatal(err)
	}
}

func TestIncidentUsageErrors(t *testing.T) {
	fakeIncidentHost(t)
	for _, args := range [][]string{
		{"incident", "--kind", "tsunami"},
		{"incident", "--non-interactive"},
		{"incident", "--non-interactive", "--kind", "other", "--recipient", "age1nope"},
		{"incident", "--non-interactive", "--kind", "other", "--aware-at", "hier"},
		{"incident", "--lang", "de"},
		{"incident", "--recipient", "age1x", "--no-encrypt"},
	} {
		var o, e bytes.Buffer
		if code := run(args, &o, &e); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestIncidentInteractiveEnglish(t *testing.T) {
	fakeIncidentHost(t)
	id, _ := age.GenerateX25519Identity()
	out := t.TempDir()
	old := stdin
	stdin = strings.NewReader("2\n2026-11-30 07:00\nthe accounting PC\nperhaps\nno\npop-ups\nBob 0600\n\nnot-a-key\n" + id.Recipient().String() + "\n")
	t.Cleanup(func() { stdin = old })
	var stdout, stderr bytes.Buffer
	if code := run([]string{"incident", "--lang", "en", "--offline-out", out, "--state-dir", t.TempDir()}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d %s", code, stderr.String())
	}
	s := stdout.String()
	if !strings.Contains(s, "WHAT TO DO NOW") || !strings.Contains(s, "CERTFR-2024-RFX-005") || !strings.Contains(s, "Bundle:") {
		t.Errorf("output:\n%s", s)
	}
	ap, mp := outputs(t, out)
	mdata, _ := os.ReadFile(mp)
	m, err := incident.OpenManifest(mdata, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "May personal data be affected") || !strings.Contains(s, "Answer yes, no or don't know") {
		t.Errorf("personal-data question not asked again in English:\n%s", s)
	}
	// "no" is an answer the manifest carries (false), not a skip.
	if m.Answers.PersonalData == nil || *m.Answers.PersonalData {
		t.Errorf("personal data %v", m.Answers.PersonalData)
	}
	if m.Answers.Kind != "compromise" || m.Answers.Affected != "the accounting PC" || m.Answers.Seen != "pop-ups" || m.Answers.Summary != "" || m.Recipient != id.Recipient().String() {
		t.Errorf("answers %+v", m)
	}
	f, _ := os.Open(ap)
	defer f.Close()
	if _, err := incident.Extract(f, m, id); err != nil {
		t.Fatal(err)
	}
}

// TestIncidentEncryptsToTheHubKey: an enrolled host that knows its hub's
// age recipient encrypts the bundle to it with no --recipient and no
// network (the isolated host of an incident).
func TestIncidentEncryptsToTheHubKey(t *testing.T) {
	fakeIncidentHost(t)
	state, out := t.TempDir(), t.TempDir()
	key, _ := protocol.GenerateKey()
	keystore.SaveKey(filepath.Join(state, agent.KeyFile), key)
	hubID, _ := age.GenerateX25519Identity()
	hubSign, _ := protocol.GenerateKey()
	// An unroutable hub address: the keys must come from the state alone.
	st := &agent.State{AgentID: "agent-8", HubURL: "https://127.0.0.1:1", HubSPKI: "x",
		HubKeys: protocol.HubKeys{SigningKey: protocol.EncodePublicKey(hubSign.Public().(ed25519.PublicKey)), AgeRecipient: hubID.Recipient().String()}}
	if err := agent.SaveState(state, st); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"incident", "--non-interactive", "--kind", "compromise", "--offline-out", out, "--state-dir", state}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "hub régional") {
		t.Errorf("the user is not told who can read the bundle:\n%s", stdout.String())
	}
	ap, mp := outputs(t, out)
	mdata, _ := os.ReadFile(mp)
	m, err := incident.OpenManifest(mdata, key.Public().(ed25519.PublicKey))
	if err != nil || !m.Encrypted || m.Recipient != hubID.Recipient().String() {
		t.Fatalf("manifest %+v %v", m, err)
	}
	f, _ := os.Open(ap)
	defer f.Close()
	if _, err := incident.Extract(f, m, hubID); err != nil {
		t.Fatalf("the hub's identity cannot open the bundle: %v", err)
	}
}
