package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/protocol"
)

func vigie(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// TestScanSignVerify runs the real scan on this machine, then verifies the
// signed scorecard and checks that tampering and wrong keys are refused.
func TestScanSignVerify(t *testing.T) {
	dir := t.TempDir()
	out, js, html := filepath.Join(dir, "sc.dsse.json"), filepath.Join(dir, "out.json"), filepath.Join(dir, "rapport.html")
	code, stdout, stderr := vigie(t, "scan", "--state-dir", filepath.Join(dir, "state"), "--out", out, "--json", js, "--html", html)
	if code != exitOK {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Niveau de maturité", "Scores par domaine"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("scan output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "Clé de signature créée") {
		t.Errorf("first scan should say it created the key: %q", stderr)
	}
	keyPath := filepath.Join(dir, "state", "agent.key")
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key %v mode %v", err, fi)
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatalf("--json output invalid: %v", err)
	}
	if h, _ := os.ReadFile(html); !bytes.Contains(h, []byte("<!DOCTYPE html>")) || !bytes.Contains(h, []byte(sc.Host.Hostname)) {
		t.Error("--html output is not the report")
	}

	pub := keystore.PublicKeyPath(keyPath)
	code, stdout, stderr = vigie(t, "verify", out, "--key", pub)
	if code != exitOK || !strings.Contains(stdout, "Signature valide") {
		t.Fatalf("verify untouched: exit %d %s %s", code, stdout, stderr)
	}

	// One flipped byte in the payload: refused with exit 3 and a clear message.
	raw, _ := os.ReadFile(out)
	var env protocol.Envelope
	json.Unmarshal(raw, &env)
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	payload[len(payload)/2] ^= 1
	env.Payload = base64.StdEncoding.EncodeToString(payload)
	tampered := filepath.Join(dir, "tampered.json")
	b, _ := json.Marshal(env)
	os.WriteFile(tampered, b, 0o644)
	code, _, stderr = vigie(t, "verify", tampered, "--key", pub)
	if code != exitVerify || !strings.Contains(stderr, "SIGNATURE INVALIDE") {
		t.Errorf("tampered: exit %d, %q", code, stderr)
	}

	// Another key.
	code, _, _ = vigie(t, "scan", "--quiet", "--state-dir", filepath.Join(dir, "other"), "--out", filepath.Join(dir, "x.json"))
	if code != exitOK {
		t.Fatal("second scan failed")
	}
	code, _, stderr = vigie(t, "verify", out, "--key", keystore.PublicKeyPath(filepath.Join(dir, "other", "agent.key")))
	if code != exitVerify || !strings.Contains(stderr, "CLÉ DIFFÉRENTE") {
		t.Errorf("wrong key: exit %d, %q", code, stderr)
	}

	// Garbage file.
	os.WriteFile(tampered, []byte("not json"), 0o644)
	if code, _, _ = vigie(t, "verify", tampered, "--key", pub); code != exitVerify {
		t.Errorf("garbage: exit %d, want %d", code, exitVerify)
	}
}

func TestScanEnglishAndExplicitKey(t *testing.T) {
	dir := t.TempDir()
	k, _ := protocol.GenerateKey()
	if err := keystore.SaveKey(filepath.Join(dir, "k.pem"), k); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := vigie(t, "scan", "--lang", "en", "--key", filepath.Join(dir, "k.pem"), "--out", filepath.Join(dir, "s.json"))
	if code != exitOK || !strings.Contains(stdout, "Maturity level") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	code, _, stderr = vigie(t, "scan", "--key", filepath.Join(dir, "missing.pem"), "--out", filepath.Join(dir, "s.json"))
	if code != exitFailure || !strings.Contains(stderr, "missing.pem") {
		t.Errorf("missing key: exit %d %q", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"scan", "--lang", "de"},
		{"scan", "--no-such-flag"},
		{"scan", "--sector", "bakery"},
		{"scan", "--tls-ca", "/nonexistent/ca.pem"},
		{"verify"},
		{"verify", "file.json"},
	} {
		if code, _, _ := vigie(t, args...); code != exitUsage {
			t.Errorf("vigie %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, out, _ := vigie(t, "help"); code != exitOK || !strings.Contains(out, "scan") {
		t.Errorf("help: exit %d", code)
	}
	// A command's own help is in French too, defaults included.
	for _, cmd := range []string{"scan", "enroll", "install", "status"} {
		_, out, errOut := vigie(t, cmd, "-h")
		help := out + errOut
		if !strings.Contains(help, "Utilisation : vigie "+cmd) || !strings.Contains(help, "(défaut : ") ||
			strings.Contains(help, "Usage of") || strings.Contains(help, "(default") {
			t.Errorf("vigie %s -h is not in French:\n%s", cmd, help)
		}
	}
}

func TestAdminNotice(t *testing.T) {
	sc := &protocol.Scorecard{Header: protocol.Header{Host: protocol.HostInfo{OS: "windows"}}, Results: []protocol.Result{
		{ID: "hygiene.disk-encryption", Status: protocol.Error, Evidence: protocol.Text{FR: "état BitLocker illisible (droits administrateur nécessaires) : Accès refusé"}},
		{ID: "hygiene.firewall", Status: protocol.Pass, Evidence: protocol.Text{FR: "pare-feu actif"}},
		{ID: "hygiene.antivirus", Status: protocol.Error, Evidence: protocol.Text{FR: "PowerShell n'a rien affiché"}},
	}}
	n := adminNotice(sc, false)
	if !strings.Contains(n, "sans droits administrateur : 1 vérification(s)") || !strings.Contains(n, "hygiene.disk-encryption") || strings.Contains(n, "hygiene.antivirus") {
		t.Errorf("notice %q", n)
	}
	if adminNotice(sc, true) != "" {
		t.Error("notice while elevated")
	}
	sc.Host.OS = "linux"
	if adminNotice(sc, false) != "" {
		t.Error("notice on Linux")
	}
}
