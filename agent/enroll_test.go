package agent

import (
	"context"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

func TestEnroll(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	dir := t.TempDir()
	e, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: " GOOD-TOKEN\n", Fingerprint: strings.ToUpper(hub.SPKI()), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !e.KeyCreated || e.Entity != "Mairie de Test" || e.HubSPKI != hub.SPKI() {
		t.Errorf("enrolment %+v", e)
	}
	st, err := LoadState(dir)
	if err != nil || !st.Enrolled() || st.HubSPKI != hub.SPKI() || st.AgentID != e.AgentID || st.Sector != "commune" {
		t.Errorf("state %+v, %v", st, err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(dir, KeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("key mode %v %v", fi.Mode(), err)
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("state dir mode %v", fi.Mode())
		}
	}
	// The token is one-time: a second agent using it is refused.
	_, err = Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", Fingerprint: hub.SPKI(), StateDir: t.TempDir()})
	if !errors.Is(err, protocol.ErrTokenUsed) {
		t.Errorf("reused token: %v", err)
	}
}

// TestEnrollFailsClearly: each refusal is distinguishable (errors.Is) and
// says in French what to do.
func TestEnrollFailsClearly(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	liar := newTestHub(t, nil)
	liar.lieSPKI = true
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hub.srv.Certificate().Raw}), 0o644)
	for _, tc := range []struct {
		name   string
		opt    EnrollOptions
		want   error
		advice string
	}{
		{"wrong token", EnrollOptions{HubURL: hub.URL(), Token: "NOPE", Fingerprint: hub.SPKI()}, protocol.ErrInvalidToken, "jeton inconnu"},
		{"expired token", EnrollOptions{HubURL: hub.URL(), Token: "OLD-TOKEN", Fingerprint: hub.SPKI()}, protocol.ErrTokenExpired, "expiré"},
		{"used token", EnrollOptions{HubURL: hub.URL(), Token: "USED-TOKEN", Fingerprint: hub.SPKI()}, protocol.ErrTokenUsed, "déjà utilisé"},
		{"wrong fingerprint", EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", Fingerprint: strings.Repeat("ab", 32)}, ErrFingerprintMismatch, "recopiée sans erreur"},
		{"untrusted self-signed hub", EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN"}, ErrUntrustedHub, "--fingerprint"},
		{"hub lies about its fingerprint", EnrollOptions{HubURL: liar.URL(), Token: "GOOD-TOKEN", CAFile: caFile}, ErrHubIntercepted, "intermédiaire"},
		{"missing CA file", EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", CAFile: "/nonexistent/ca.pem"}, os.ErrNotExist, "illisible"},
		{"plain http", EnrollOptions{HubURL: "http://127.0.0.1:1", Token: "GOOD-TOKEN"}, nil, "https://"},
		{"bad fingerprint", EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", Fingerprint: "zz"}, nil, "64 chiffres"},
		{"no token", EnrollOptions{HubURL: hub.URL(), Fingerprint: hub.SPKI()}, nil, "jeton"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.StateDir = t.TempDir()
			_, err := Enroll(context.Background(), tc.opt)
			if err == nil {
				t.Fatal("enrolment succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			// Nothing is memorised before the first enrolment: no message
			// may speak of an identity memorised at enrolment.
			if strings.Contains(err.Error(), "à l'inscription") || strings.Contains(err.Error(), "mémorisé") {
				t.Errorf("err = %q speaks of a memorised identity", err)
			}
			if !strings.Contains(err.Error(), tc.advice) {
				t.Errorf("err = %q, want it to say %q", err, tc.advice)
			}
			if st, _ := LoadState(tc.opt.StateDir); st.Enrolled() {
				t.Error("state says enrolled after a failure")
			}
		})
	}
	// With the CA file the honest hub is accepted and its key pinned.
	if _, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", CAFile: caFile, StateDir: t.TempDir()}); err != nil {
		t.Errorf("CA file: %v", err)
	}
}

// TestReenrollKeepsKeyAndSequence: a second enrolment (new token) keeps the
// agent's identity and its sequence counter, which the hub still expects.
func TestReenrollKeepsKeyAndSequence(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	dir := t.TempDir()
	e1, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", Fingerprint: hub.SPKI(), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	NextSequence(dir)
	NextSequence(dir)
	hub.tokens["SECOND"] = "valid"
	e2, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "SECOND", Fingerprint: hub.SPKI(), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := LoadState(dir)
	if e2.AgentID != e1.AgentID || e2.KeyCreated || st.Sequence != 2 {
		t.Errorf("re-enrol: %+v %+v seq %d", e1, e2, st.Sequence)
	}
}

func TestCorruptStateIsAClearError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"sequence": 4`), 0o600)
	if _, err := NextSequence(dir); !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), "vigie enroll") {
		t.Errorf("err = %v", err)
	}
}

// TestEnrollRevokedKeyMakesANewOne (protocol v2): the hub refuses a
// revoked key's enrolment with agent_revoked, whatever the token; the
// agent says so and makes a new key at its next enrolment, with the same
// token (not consumed by the refusal).
func TestEnrollRevokedKeyMakesANewOne(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	dir := t.TempDir()
	e1, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", Fingerprint: hub.SPKI(), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	hub.mu.Lock()
	hub.revoked[e1.AgentID] = true
	hub.tokens["SECOND"] = "valid"
	hub.mu.Unlock()
	_, err = Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "SECOND", Fingerprint: hub.SPKI(), StateDir: dir})
	if !errors.Is(err, protocol.ErrAgentRevoked) || !strings.Contains(err.Error(), "nouvelle clé") {
		t.Fatalf("enrolment of a revoked key: %v", err)
	}
	if st, _ := LoadState(dir); !st.KeyRevoked {
		t.Error("state does not remember the revoked key")
	}
	e2, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "SECOND", Fingerprint: hub.SPKI(), StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if e2.AgentID == e1.AgentID || !e2.KeyCreated {
		t.Errorf("second enrolment: %+v, first %+v", e2, e1)
	}
}
