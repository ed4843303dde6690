package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestHubKeysEndToEnd: the hub makes its keys once (0600, stable across
// runs), `keys --format json` prints them, a real agent learns them at
// enrolment, an agent enrolled before (keys forgotten) fetches them over
// its pinned connection, and `backup` copies them.
func TestHubKeysEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	if code, _, stderr := cli(t, "", "init", "--db", db); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	code, out, stderr := cli(t, "", "keys", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("keys: %d %s", code, stderr)
	}
	var pub protocol.HubKeys
	if err := json.Unmarshal([]byte(out), &pub); err != nil {
		t.Fatalf("keys json %q: %v", out, err)
	}
	if _, _, err := pub.Parse(); err != nil {
		t.Fatalf("published keys unusable: %v", err)
	}
	if runtime.GOOS != "windows" {
		for _, f := range []string{hubkeys.SigningFile, hubkeys.AgeFile} {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v", f, fi, err)
			}
		}
	}
	_, text, _ := cli(t, "", "keys", "--db", db)
	if !strings.Contains(text, pub.SigningKey) || !strings.Contains(text, pub.AgeRecipient) || strings.Contains(text, "créées") {
		t.Errorf("second run must print the same keys, not make new ones:\n%s", text)
	}

	addr, spki := startServe(t, db)
	_, tokOut, _ := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Clés", "--sector", "commune")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(tokOut)
	if tok == nil {
		t.Fatalf("token: %q", tokOut)
	}
	state := t.TempDir()
	ctx := context.Background()
	if _, err := agent.Enroll(ctx, agent.EnrollOptions{HubURL: "https://" + addr, Token: tok[1], Fingerprint: spki, StateDir: state}); err != nil {
		t.Fatal(err)
	}
	st, _ := agent.LoadState(state)
	if st.HubKeys != pub {
		t.Fatalf("enrolment gave keys %+v, hub has %+v", st.HubKeys, pub)
	}
	// An agent enrolled before the hub published keys.
	agent.UpdateState(state, func(s *agent.State) error { s.HubKeys = protocol.HubKeys{}; return nil })
	got, err := agent.HubKeys(ctx, state, "")
	if err != nil || got != pub {
		t.Fatalf("fetched %+v, %v; want %+v", got, err, pub)
	}
	if st, _ := agent.LoadState(state); st.HubKeys != pub {
		t.Errorf("fetched keys not remembered: %+v", st.HubKeys)
	}

	copyPath := filepath.Join(t.TempDir(), "copie.db")
	if code, out, stderr := cli(t, "", "backup", "--db", db, "--out", copyPath); code != 0 || !strings.Contains(out, ".hub-keys") {
		t.Fatalf("backup: %d %q %q", code, out, stderr)
	}
	for _, f := range []string{hubkeys.SigningFile, hubkeys.AgeFile} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, err := os.ReadFile(filepath.Join(copyPath+".hub-keys", f))
		if err != nil || string(a) != string(b) {
			t.Errorf("backup of %s differs: %v", f, err)
		}
	}
}

// TestHubKeysHalfPairRefused: a lost key file is never silently replaced.
func TestHubKeysHalfPairRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := loadHubKeys(dir, true); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, hubkeys.AgeFile))
	_, _, err := loadHubKeys(dir, true)
	if err == nil || !strings.Contains(err.Error(), "restaurez") {
		t.Fatalf("half a pair: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, hubkeys.AgeFile)); err == nil {
		t.Fatal("a new age key was made")
	}
	os.WriteFile(filepath.Join(dir, hubkeys.AgeFile), []byte("garbage"), 0o600)
	if _, _, err := loadHubKeys(dir, true); err == nil || !strings.Contains(err.Error(), "illisibles") {
		t.Fatalf("garbage key: %v", err)
	}
	if _, _, err := loadHubKeys(t.TempDir(), false); err == nil {
		t.Fatal("missing keys without create must be an error")
	}
}
