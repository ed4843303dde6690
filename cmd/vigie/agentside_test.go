package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// fakeScan replaces the host scan in tests of the command line itself: a
// real scorecard from two results, carrying what the command asked for.
func fakeScan(_ context.Context, o agent.ScanOptions) (*protocol.Scorecard, error) {
	list := []checks.Check{
		checks.Func{M: checks.Meta{ID: "test.a", Version: 1, Domain: protocol.DomainPatch, Severity: protocol.High}},
		checks.Func{M: checks.Meta{ID: "test.b", Version: 1, Domain: protocol.DomainHygiene, Severity: protocol.Medium}},
	}
	res := []protocol.Result{checks.Passed(protocol.Text{FR: "ok", EN: "ok"}, nil), checks.Failed(protocol.Text{FR: "non", EN: "no"}, nil)}
	for i := range res {
		res[i].ID = list[i].Meta().ID
	}
	now := time.Now()
	return report.Build(report.Scan{Checks: list, Results: res, StartedAt: now, FinishedAt: now,
		AgentID: o.AgentID, Entity: o.Entity, Sector: o.Targets.Sector, AgentVersion: agent.Version, Sequence: o.Sequence}), nil
}

// useFakeScan makes this (sequential) test's scans instant.
func useFakeScan(t *testing.T) {
	scanFunc = fakeScan
	t.Cleanup(func() { scanFunc = nil })
}

// miniHub is the hub side of docs/protocol.md reduced to what these tests
// need, on loopback over TLS: enrolment, uploads (stored, or refused as
// revoked) and health.
type miniHub struct {
	srv     *httptest.Server
	mu      sync.Mutex
	revoked bool
	stored  []*protocol.Scorecard
}

func newMiniHub(t *testing.T) *miniHub {
	h := &miniHub{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+protocol.PathEnroll, func(w http.ResponseWriter, r *http.Request) {
		// Protocol v2: the request is signed by the key it enrols.
		data, _ := io.ReadAll(io.LimitReader(r.Body, protocol.MaxEnrollSize))
		req, pub, err := protocol.VerifyEnroll(data)
		if err != nil || req.Token != "JETON" {
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(protocol.ErrorBody{Error: protocol.ErrorDetail{Code: protocol.CodeInvalidToken, Message: "Jeton inconnu."}})
			return
		}
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(protocol.EnrollResponse{AgentID: protocol.KeyID(pub), Entity: "Mairie de Test", Sector: "hospital",
			HubSPKISHA256: agent.SPKIFingerprint(h.srv.Certificate())})
	})
	mux.HandleFunc("POST "+protocol.PathScorecards, func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.revoked {
			w.WriteHeader(403)
			json.NewEncoder(w).Encode(protocol.ErrorBody{Error: protocol.ErrorDetail{Code: protocol.CodeAgentRevoked, Message: "Cet agent a été révoqué par le centre régional."}})
			return
		}
		var env protocol.Envelope
		json.NewDecoder(r.Body).Decode(&env)
		payload, _ := protocol.OpenUnverified(env, protocol.PayloadType)
		sc, _ := protocol.Decode(payload)
		h.stored = append(h.stored, sc)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(protocol.IngestResponse{Status: protocol.IngestStored, ScorecardID: sc.ID, Sequence: sc.Sequence})
	})
	h.srv = httptest.NewUnstartedServer(mux)
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the mistyped fingerprint's handshake error is expected
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *miniHub) fingerprint() string { return agent.SPKIFingerprint(h.srv.Certificate()) }

// agentConfig writes a configuration whose state folder is dir/state.
func agentConfig(t *testing.T, dir, extra string) (cfg, state string) {
	state = filepath.Join(dir, "state")
	cfg = filepath.Join(dir, "vigie.toml")
	if err := os.WriteFile(cfg, []byte("entity = \"Nom local\"\nstate_dir = \""+filepath.ToSlash(state)+"\"\n"+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, state
}

// TestHelpPerCommand (issue 14 item 10): every command has its own help,
// in French, listing only its own options; unknown options and values are
// refused in French.
func TestHelpPerCommand(t *testing.T) {
	t.Parallel()
	absent := map[string][]string{
		"status":    {"--token", "--hub", "--fingerprint", "--ca"},
		"uninstall": {"--token", "--hub", "--fingerprint", "--ca", "--proxy", "--offline"},
		"enroll":    {"--root", "--purge", "--offline"},
		"install":   {"--purge", "--offline"},
		"run":       {"--token", "--hub", "--state-dir"},
		"version":   {"--"},
		"verify":    {"--token", "--state-dir"},
		"scan":      {"--token", "--hub"},
	}
	present := map[string][]string{
		"status": {"--offline", "--config", "--state-dir"}, "uninstall": {"--purge"}, "enroll": {"--token", "--fingerprint", "--state-dir"},
		"scan": {"--only", "--now", "--out"},
	}
	for name := range commands {
		code, out, errOut := vigie(t, name, "-h")
		if code != exitOK || !strings.HasPrefix(out, "Utilisation : vigie "+name+" [options]\n") || errOut != "" {
			t.Errorf("vigie %s -h: exit %d\n%s%s", name, code, out, errOut)
		}
		for _, english := range []string{"Usage", "default", "flag"} {
			if strings.Contains(out, english) {
				t.Errorf("vigie %s -h says %q:\n%s", name, english, out)
			}
		}
		for _, f := range absent[name] {
			if strings.Contains(out, f) {
				t.Errorf("vigie %s -h lists %s, which it does not take:\n%s", name, f, out)
			}
		}
		for _, f := range present[name] {
			if !strings.Contains(out, f+" ") && !strings.Contains(out, f+"\n") {
				t.Errorf("vigie %s -h does not list %s:\n%s", name, f, out)
			}
		}
		if _, viaHelp, _ := vigie(t, "help", name); viaHelp != out {
			t.Errorf("vigie help %s differs from vigie %s -h", name, name)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--token", "X"}, "option inconnue : --token"},
		{[]string{"scan", "--timeout", "soon"}, `valeur "soon" refusée pour --timeout`},
		{[]string{"scan", "--json"}, "l'option --json demande une valeur"},
		{[]string{"scan", "--only", "tls,web"}, `famille "web" inconnue`},
		{[]string{"version", "--x"}, "option inconnue : --x"},
	} {
		code, _, errOut := vigie(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "flag") {
			t.Errorf("vigie %v: exit %d %q, want usage error saying %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestScanOutSignsAsTheAgent (issue 14 item 6): `scan --out` with an
// enrolled agent's configuration signs as the agent: its ID, the entity and
// sector from the enrolment, and the next sequence number, reserved in the
// state. A key that is not the enrolled agent's is refused clearly.
func TestScanOutSignsAsTheAgent(t *testing.T) {
	useFakeScan(t)
	dir := t.TempDir()
	cfg, state := agentConfig(t, dir, "")
	key, _, err := keystore.LoadOrCreateKey(filepath.Join(state, agent.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	id := protocol.KeyID(key.Public().(ed25519.PublicKey))
	if err := agent.SaveState(state, &agent.State{AgentID: id, Entity: "Mairie de Test", Sector: "hospital",
		HubURL: "https://hub.example", HubSPKI: strings.Repeat("ab", 32), Sequence: 41}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bilan.dsse.json")
	code, _, stderr := vigie(t, "scan", "--config", cfg, "--out", out, "--quiet")
	if code != exitOK {
		t.Fatalf("scan --out: exit %d %s", code, stderr)
	}
	data, _ := os.ReadFile(out)
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := protocol.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	if sc.AgentID != id || sc.Sequence != 42 || sc.Entity != "Mairie de Test" || sc.Sector != "hospital" {
		t.Errorf("signed scorecard agent %s seq %d entity %q sector %q; want %s 42 \"Mairie de Test\" hospital", sc.AgentID, sc.Sequence, sc.Entity, sc.Sector, id)
	}
	if st, _ := agent.LoadState(state); st.Sequence != 42 {
		t.Errorf("sequence 42 not reserved in the state: %d", st.Sequence)
	}
	// The agent's key given with --key is the agent too.
	code, _, stderr = vigie(t, "scan", "--config", cfg, "--key", filepath.Join(state, agent.KeyFile), "--out", out, "--quiet")
	data, _ = os.ReadFile(out)
	env, _ = protocol.ParseEnvelope(data)
	payload, _ = protocol.OpenUnverified(env, protocol.PayloadType)
	if sc, err := protocol.Decode(payload); code != exitOK || err != nil || sc.Sequence != 43 {
		t.Errorf("--key with the agent's key: exit %d %s, scorecard %+v %v", code, stderr, sc, err)
	}
	// The state names another agent: refused, nothing written.
	agent.UpdateState(state, func(s *agent.State) error { s.AgentID = strings.Repeat("0", 32); return nil })
	os.Remove(out)
	code, _, stderr = vigie(t, "scan", "--config", cfg, "--out", out, "--quiet")
	if code != exitFailure || !strings.Contains(stderr, "n'est pas celle de l'agent inscrit") {
		t.Errorf("key of another agent: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a scorecard was written with the wrong key")
	}
}

// TestScanOutProtectsTheStateFolder (issue 12): `scan --out` bootstraps the
// key as the service does: an existing state folder with loose rights is
// restricted, not only a new one.
func TestScanOutProtectsTheStateFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	useFakeScan(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	os.Mkdir(state, 0o755)
	os.Chmod(state, 0o755)
	code, _, stderr := vigie(t, "scan", "--state-dir", state, "--out", filepath.Join(dir, "b.json"), "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if fi, _ := os.Stat(state); fi.Mode().Perm() != 0o700 {
		t.Errorf("state folder %v after scan --out, want 0700", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(state, agent.KeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("key %v, want 0600", fi.Mode().Perm())
	}
}

// TestStateDirFlag (issue 14 item 3): --state-dir wins over the
// configuration's state_dir in enroll, scan --now and status.
func TestStateDirFlag(t *testing.T) {
	useFakeScan(t)
	hub := newMiniHub(t)
	dir := t.TempDir()
	cfg, cfgState := agentConfig(t, dir, "")
	other := filepath.Join(dir, "ailleurs")
	code, out, stderr := vigie(t, "enroll", "--config", cfg, "--state-dir", other, "--hub", hub.srv.URL, "--token", "JETON", "--fingerprint", hub.fingerprint())
	if code != exitOK {
		t.Fatalf("enroll: exit %d %s %s", code, out, stderr)
	}
	if st, _ := agent.LoadState(other); !st.Enrolled() {
		t.Errorf("--state-dir %s not enrolled", other)
	}
	if st, _ := agent.LoadState(cfgState); st.Enrolled() {
		t.Errorf("the configuration's state_dir was enrolled instead of --state-dir")
	}
	if !strings.Contains(stderr, cfgState) {
		t.Errorf("enroll does not warn that the service reads %s: %q", cfgState, stderr)
	}
	code, _, stderr = vigie(t, "scan", "--now", "--quiet", "--config", cfg, "--state-dir", other)
	if code != exitOK || !strings.Contains(stderr, "remis au hub") {
		t.Fatalf("scan --now --state-dir: exit %d %s", code, stderr)
	}
	if len(hub.stored) != 1 || hub.stored[0].Entity != "Mairie de Test" {
		t.Errorf("hub stored %d scorecards", len(hub.stored))
	}
	code, out, _ = vigie(t, "status", "--config", cfg, "--state-dir", other, "--offline")
	if code != exitOK || !strings.Contains(out, "Inscrit : oui") {
		t.Errorf("status --state-dir:\n%s", out)
	}
}

// TestMessagesFoundInUse (issue 14 item 5): after revocation, scan --now
// says uploads are suspended (not "sent automatically", no double full
// stop); a mistyped --fingerprint at first enrolment says to check it, not
// that a memorised identity changed; a file corrupt in the local spool is
// not shown by status as refused by the hub.
func TestMessagesFoundInUse(t *testing.T) {
	useFakeScan(t)
	hub := newMiniHub(t)
	dir := t.TempDir()
	cfg, state := agentConfig(t, dir, "")

	wrong := strings.Repeat("ab", 32)
	code, _, stderr := vigie(t, "enroll", "--config", cfg, "--hub", hub.srv.URL, "--token", "JETON", "--fingerprint", wrong)
	if code == exitOK || strings.Contains(stderr, "mémorisée") || strings.Contains(stderr, "à l'inscription") || !strings.Contains(stderr, "--fingerprint") {
		t.Errorf("mistyped fingerprint: exit %d %q", code, stderr)
	}

	if code, _, stderr = vigie(t, "enroll", "--config", cfg, "--hub", hub.srv.URL, "--token", "JETON", "--fingerprint", hub.fingerprint()); code != exitOK {
		t.Fatalf("enroll: %s", stderr)
	}
	// A file damaged on the local disk is set aside, not "refused".
	spool := filepath.Join(state, agent.SpoolDir)
	os.MkdirAll(spool, 0o700)
	os.WriteFile(filepath.Join(spool, "00000000000000000001-abc.dsse.json"), []byte(`{"payloadType":`), 0o600)
	if code, _, stderr = vigie(t, "scan", "--now", "--quiet", "--config", cfg); code != exitOK {
		t.Fatalf("scan --now: %s", stderr)
	}
	_, out, _ := vigie(t, "status", "--config", cfg, "--offline")
	if strings.Contains(out, "refusé") || !strings.Contains(out, "illisible") {
		t.Errorf("status after local corruption:\n%s", out)
	}

	hub.mu.Lock()
	hub.revoked = true
	hub.mu.Unlock()
	code, _, stderr = vigie(t, "scan", "--now", "--quiet", "--config", cfg)
	if code != exitOK || !strings.Contains(stderr, "envois sont suspendus") || strings.Contains(stderr, "automatiquement") ||
		doubleStop.MatchString(stderr) || !strings.Contains(stderr, "vigie enroll") {
		t.Errorf("scan --now after revocation: exit %d %q", code, stderr)
	}
}

// doubleStop is two full stops that are not an ellipsis.
var doubleStop = regexp.MustCompile(`(^|[^.])\.\s*\.($|[^.])`)

// TestScanOnly (issue 14 item 12): --only runs the named families and
// nothing else, for the terminal, --json and --html; it is refused with
// --now and --out, before anything is signed.
func TestScanOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	js := filepath.Join(dir, "partiel.json")
	code, out, stderr := vigie(t, "scan", "--only", "organisation", "--state-dir", filepath.Join(dir, "state"), "--json", js)
	if code != exitOK || !strings.Contains(stderr, "Bilan partiel") || !strings.Contains(out, "Niveau de maturité") {
		t.Fatalf("--only organisation: exit %d\n%s%s", code, out, stderr)
	}
	data, _ := os.ReadFile(js)
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Results) == 0 {
		t.Fatal("no result")
	}
	for _, r := range sc.Results {
		if r.Domain != protocol.DomainOrganisation {
			t.Errorf("--only organisation ran %s (%s)", r.ID, r.Domain)
		}
	}
	if len(sc.Software) != 0 {
		t.Error("a partial scan collected the software inventory (it is for the hub)")
	}
	signed := filepath.Join(dir, "s.json")
	for _, args := range [][]string{
		{"scan", "--only", "tls,dns", "--now"},
		{"scan", "--only", "tls", "--out", signed, "--state-dir", filepath.Join(dir, "state")},
	} {
		code, _, stderr := vigie(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "jamais signé") {
			t.Errorf("vigie %v: exit %d %q", args, code, stderr)
		}
	}
	if _, err := os.Stat(signed); !os.IsNotExist(err) {
		t.Error("a partial scan was signed")
	}
	if _, err := os.Stat(filepath.Join(dir, "state", agent.KeyFile)); !os.IsNotExist(err) {
		t.Error("a refused partial scan created a key")
	}
}
