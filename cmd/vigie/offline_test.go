package main

import (
	"crypto/ed25519"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/protocol"
)

// offlineHub stands for the hub's side of an offline enrolment: its keys,
// and a response to a request file, made as vigie-hub enroll-offline does
// (cmd/vigie-hub's TestOfflineEnrolmentRoundTrip runs the real one).
type offlineHub struct {
	signing ed25519.PrivateKey
	id      *age.X25519Identity
	spki    string
}

func newOfflineHub(t *testing.T) *offlineHub {
	k, _ := protocol.GenerateKey()
	id, _ := age.GenerateX25519Identity()
	return &offlineHub{signing: k, id: id, spki: strings.Repeat("5a", 32)}
}

func (h *offlineHub) keys() protocol.HubKeys {
	return protocol.HubKeys{SigningKey: protocol.EncodePublicKey(h.signing.Public().(ed25519.PublicKey)), AgeRecipient: h.id.Recipient().String()}
}

func (h *offlineHub) answer(t *testing.T, request, response string) {
	t.Helper()
	data, err := os.ReadFile(request)
	if err != nil {
		t.Fatal(err)
	}
	req, pub, err := protocol.VerifyEnroll(data)
	if err != nil || req.Token != "JETON-HORS-RESEAU" {
		t.Fatalf("request: %+v %v", req, err)
	}
	out, err := protocol.SignOfflineEnrollResponse(protocol.OfflineEnrollResponse{
		EnrollResponse: protocol.EnrollResponse{AgentID: protocol.KeyID(pub), Entity: "CH de Test", Sector: "hospital", HubSPKISHA256: h.spki, HubKeys: h.keys()},
		HubURL:         "https://hub.region.example", IssuedAt: time.Now(),
	}, h.signing)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(response, out, 0o644)
}

// open decrypts a stick file and returns the scorecard inside, after
// checking the agent's signature.
func (h *offlineHub) open(t *testing.T, path string, pub ed25519.PublicKey) *protocol.Scorecard {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, h.id)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	data, _ := io.ReadAll(r)
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, pub)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sc, err := protocol.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func agentPub(t *testing.T, state string) ed25519.PublicKey {
	data, _ := os.ReadFile(filepath.Join(state, agent.KeyFile))
	pub, err := protocol.ParsePublicKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// enrolOffline runs vigie enroll --request-out then --response.
func enrolOffline(t *testing.T, h *offlineHub, cfg, dir string) {
	t.Helper()
	req, resp := filepath.Join(dir, "demande.json"), filepath.Join(dir, "reponse.json")
	code, out, stderr := vigie(t, "enroll", "--config", cfg, "--request-out", req, "--token", "JETON-HORS-RESEAU", "--fingerprint", h.spki)
	if code != exitOK || !strings.Contains(out, "vigie-hub enroll-offline") {
		t.Fatalf("enroll --request-out: %d %q %q", code, out, stderr)
	}
	h.answer(t, req, resp)
	code, out, stderr = vigie(t, "enroll", "--config", cfg, "--response", resp)
	if code != exitOK || !strings.Contains(out, "CH de Test") {
		t.Fatalf("enroll --response: %d %q %q", code, out, stderr)
	}
}

// TestOfflineAgentCommands: vigie enroll --request-out / --response, then
// vigie scan --now in offline mode writes the signed scorecard, encrypted
// to the hub, to the stick; with the stick removed it stays spooled, scan
// and status say so, and the next scan writes both in order.
func TestOfflineAgentCommands(t *testing.T) {
	useFakeScan(t)
	dir := t.TempDir()
	stick := filepath.Join(dir, "cle")
	cfg, state := agentConfig(t, dir, "[hub]\nmode = \"offline\"\noffline_dir = \""+filepath.ToSlash(stick)+"\"\n")
	h := newOfflineHub(t)

	// A response for another hub (fingerprint given with the request) is refused.
	code, _, _ := vigie(t, "enroll", "--config", cfg, "--request-out", filepath.Join(dir, "d.json"), "--token", "JETON-HORS-RESEAU", "--fingerprint", strings.Repeat("11", 32))
	if code != exitOK {
		t.Fatal("request")
	}
	h.answer(t, filepath.Join(dir, "d.json"), filepath.Join(dir, "r.json"))
	code, _, stderr := vigie(t, "enroll", "--config", cfg, "--response", filepath.Join(dir, "r.json"))
	if code != exitFailure || !strings.Contains(stderr, "ne vient pas du hub attendu") {
		t.Fatalf("other hub's response: %d %q", code, stderr)
	}
	code, out, _ := vigie(t, "status", "--config", cfg)
	if !strings.Contains(out, "demande hors réseau écrite") {
		t.Errorf("status while the response is awaited:\n%s", out)
	}
	// Usage mistakes.
	for _, args := range [][]string{
		{"enroll", "--config", cfg, "--request-out", "x"},
		{"enroll", "--config", cfg, "--request-out", "x", "--response", "y", "--token", "T"},
		{"enroll", "--config", cfg, "--response", "y", "--token", "T"},
	} {
		if code, _, _ := vigie(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}

	enrolOffline(t, h, cfg, dir)
	pub := agentPub(t, state)
	id := protocol.KeyID(pub)

	// The stick is not plugged in.
	code, _, stderr = vigie(t, "scan", "--config", cfg, "--now", "--quiet")
	if code != exitOK || !strings.Contains(stderr, "gardé dans la file") || !strings.Contains(stderr, "introuvable") {
		t.Fatalf("scan, stick absent: %d %q", code, stderr)
	}
	code, out, _ = vigie(t, "status", "--config", cfg)
	if !strings.Contains(out, "Mode : hors réseau") || !strings.Contains(out, "introuvable") || !strings.Contains(out, "En attente d'envoi : 1 bilan") || strings.Contains(out, "Hub :") {
		t.Errorf("status, stick absent:\n%s", out)
	}
	os.Mkdir(stick, 0o700)
	code, _, stderr = vigie(t, "scan", "--config", cfg, "--now", "--quiet")
	if code != exitOK || !strings.Contains(stderr, "écrit dans "+stick) {
		t.Fatalf("scan, stick back: %d %q", code, stderr)
	}
	for _, seq := range []uint64{1, 2} {
		sc := h.open(t, filepath.Join(stick, protocol.OfflineScorecardName(id, seq)), pub)
		if sc.Sequence != seq || sc.Entity != "CH de Test" {
			t.Errorf("stick file %d: %+v", seq, sc)
		}
	}

	// A one-off --offline-out to another folder, from an online config.
	cfg2, _ := agentConfig(t, dir, "")
	other := filepath.Join(dir, "autre-cle")
	os.Mkdir(other, 0o700)
	code, _, stderr = vigie(t, "scan", "--config", cfg2, "--offline-out", other, "--quiet")
	if code != exitOK {
		t.Fatalf("scan --offline-out: %d %q", code, stderr)
	}
	if sc := h.open(t, filepath.Join(other, protocol.OfflineScorecardName(id, 3)), pub); sc.Sequence != 3 {
		t.Errorf("--offline-out wrote sequence %d", sc.Sequence)
	}
	if code, _, stderr := vigie(t, "scan", "--config", cfg2, "--offline-out", other, "--only", "patch"); code != exitUsage {
		t.Errorf("--offline-out --only: %d %q", code, stderr)
	}
}

// TestOfflineStickFullOrReadOnly mounts a 64 KiB tmpfs as the stick (root
// only): full, the scorecard stays spooled with a message saying so; made
// room, the next scan writes it; read-only, the same.
func TestOfflineStickFullOrReadOnly(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" && runtime.GOOS == "linux" {
			t.Fatal("CI runs as root: a tmpfs must be mountable")
		}
		t.Skip("needs root to mount a small tmpfs")
	}
	useFakeScan(t)
	dir := t.TempDir()
	stick := filepath.Join(dir, "cle")
	os.Mkdir(stick, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", stick).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", stick).Run() })
	cfg, state := agentConfig(t, dir, "[hub]\nmode = \"offline\"\noffline_dir = \""+filepath.ToSlash(stick)+"\"\n")
	h := newOfflineHub(t)
	enrolOffline(t, h, cfg, dir)
	pub := agentPub(t, state)

	// Fill the stick.
	filler := filepath.Join(stick, "photos.bin")
	f, _ := os.Create(filler)
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	code, _, stderr := vigie(t, "scan", "--config", cfg, "--now", "--quiet")
	if code != exitOK || !strings.Contains(stderr, "clé USB pleine") || !strings.Contains(stderr, "gardé dans la file") {
		t.Fatalf("full stick: %d %q", code, stderr)
	}
	entries, _ := os.ReadDir(stick)
	if len(entries) != 1 {
		t.Errorf("full stick holds %d entries (a partial scorecard left?)", len(entries))
	}
	_, out, _ := vigie(t, "status", "--config", cfg)
	if !strings.Contains(out, "clé USB pleine") || !strings.Contains(out, "1 bilan") {
		t.Errorf("status, full stick:\n%s", out)
	}
	t.Logf("vigie status, stick full:\n%s", out)
	os.Remove(filler)
	code, _, stderr = vigie(t, "scan", "--config", cfg, "--now", "--quiet")
	if code != exitOK || !strings.Contains(stderr, "écrit dans") {
		t.Fatalf("room made: %d %q", code, stderr)
	}
	id := protocol.KeyID(pub)
	for _, seq := range []uint64{1, 2} {
		h.open(t, filepath.Join(stick, protocol.OfflineScorecardName(id, seq)), pub)
	}

	// Write-protected.
	if out, err := exec.Command("mount", "-o", "remount,ro", stick).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	code, _, stderr = vigie(t, "scan", "--config", cfg, "--now", "--quiet")
	if code != exitOK || !strings.Contains(stderr, "non inscriptible") {
		t.Fatalf("read-only stick: %d %q", code, stderr)
	}
	if st, _ := agent.ReadStatus(state); st.SpoolFiles != 1 {
		t.Errorf("read-only stick: %d spooled", st.SpoolFiles)
	}
}
