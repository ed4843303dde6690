package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

func testConfig(t testing.TB) *Config {
	t.Helper()
	c, err := ParseConfig("test.toml", []byte(fmt.Sprintf("state_dir = %q\n[schedule]\ninterval = \"1h\"\nsplay = \"10m\"\n", t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeScan builds a real scorecard from a few results, instantly.
func fakeScan(_ context.Context, o ScanOptions) (*protocol.Scorecard, error) {
	list := []checks.Check{
		checks.Func{M: checks.Meta{ID: "test.a", Version: 1, Domain: protocol.DomainPatch, Severity: protocol.High}},
		checks.Func{M: checks.Meta{ID: "test.b", Version: 1, Domain: protocol.DomainHygiene, Severity: protocol.Medium}},
	}
	res := []protocol.Result{checks.Passed(protocol.Text{FR: "ok", EN: "ok"}, nil), checks.Failed(protocol.Text{FR: "non", EN: "no"}, map[string]any{"n": 3})}
	for i := range res {
		res[i].ID = list[i].Meta().ID
	}
	now := time.Now()
	return report.Build(report.Scan{Checks: list, Results: res, StartedAt: now, FinishedAt: now,
		AgentID: o.AgentID, Entity: o.Entity, Sector: o.Targets.Sector, AgentVersion: Version, Sequence: o.Sequence}), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// enrolledAgent returns an agent enrolled with hub.
func enrolledAgent(t testing.TB, hub *testHub, opt Options) (*Agent, *Config) {
	t.Helper()
	cfg := testConfig(t)
	if _, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "GOOD-TOKEN", Fingerprint: hub.SPKI(), StateDir: cfg.StateDir}); err != nil {
		t.Fatal(err)
	}
	hub.mu.Lock()
	hub.tokens["GOOD-TOKEN"] = "valid" // reusable in tests that enrol several agents
	hub.mu.Unlock()
	if opt.Scan == nil {
		opt.Scan = fakeScan
	}
	if opt.Log == nil {
		opt.Log = testLogger(t)
	}
	if opt.Backoff == nil {
		opt.Backoff = &Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}
	}
	if opt.UploadTimeout == 0 {
		opt.UploadTimeout = 300 * time.Millisecond
	}
	a, err := New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	return a, cfg
}

// drain flushes until the spool is empty or a deadline passes.
func drain(t *testing.T, a *Agent) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r := a.Flush(context.Background())
		if r.Remaining == 0 {
			return
		}
		if r.Blocked != "" {
			t.Fatalf("blocked: %s", r.Blocked)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("spool not drained")
}

func seqs(n int) []uint64 {
	var s []uint64
	for i := 1; i <= n; i++ {
		s = append(s, uint64(i))
	}
	return s
}

// TestDeliveryExactlyOnceInOrder runs scans while the hub fails in every way
// the protocol allows (500, 503 and 429 with Retry-After, hangs past the
// client timeout, reset connections, slow answers, and an ack lost after the
// hub stored): every scorecard ends up stored exactly once, in sequence order,
// and the spool ends empty.
func TestDeliveryExactlyOnceInOrder(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	faults := []fault{none, err500, err503retry, slow, hang, reset, storeThenCut, err429}
	rng := rand.New(rand.NewPCG(1, 2))
	hub.fault = func(n int) fault { return faults[rng.IntN(len(faults))] }
	a, cfg := enrolledAgent(t, hub, Options{})
	const scans = 12
	for i := 0; i < scans; i++ {
		if _, err := a.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	hub.fault = nil
	drain(t, a)
	if diff := cmp.Diff(seqs(scans), hub.storedSeqs()); diff != "" {
		t.Errorf("stored sequences (-want +got):\n%s", diff)
	}
	if files, _, q := a.Spool().Stats(); files != 0 || q != 0 {
		t.Errorf("spool %d files, %d quarantined", files, q)
	}
	st, _ := LoadState(cfg.StateDir)
	if st.Sequence != scans || st.LastDelivered.IsZero() {
		t.Errorf("state %+v", st)
	}
	hub.mu.Lock()
	t.Logf("%d upload requests for %d scorecards", hub.requests, scans)
	hub.mu.Unlock()
}

// TestRejectedQuarantinedBlockedKept: a 4xx the hub will never accept moves
// the file to quarantine and the queue goes on; 401/403 keep every file and
// stop uploading until the agent is enrolled again.
func TestRejectedQuarantinedBlockedKept(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	var logs strings.Builder
	a, cfg := enrolledAgent(t, hub, Options{Log: slogTo(&logs)})
	// Sequence 1 delivered; then the counter is rolled back so the next
	// scorecard replays sequence 1: 409 replayed_sequence -> quarantine.
	a.Cycle(context.Background())
	UpdateState(cfg.StateDir, func(s *State) error { s.Sequence = 0; return nil })
	a.Cycle(context.Background())
	if files, _, q := a.Spool().Stats(); files != 0 || q != 1 {
		t.Fatalf("replayed: %d files, %d quarantined", files, q)
	}
	if refused, unreadable := a.Spool().QuarantineCounts(); refused != 1 || unreadable != 0 {
		t.Errorf("replayed: quarantine counts refused=%d unreadable=%d, want 1, 0", refused, unreadable)
	}
	if st, _ := LoadState(cfg.StateDir); !strings.Contains(st.LastUploadResult, "refusé(s) par le hub") {
		t.Errorf("last upload result %q does not say the hub refused", st.LastUploadResult)
	}
	// An unattended service says both in its log.
	if l := logs.String(); !strings.Contains(l, `msg="bilan livré au hub" sequence=1`) ||
		!regexp.MustCompile(`level=ERROR msg="bilan refusé par le hub[^"]*" sequence=1 err=.*replayed_sequence`).MatchString(l) {
		t.Errorf("delivery and refusal not logged:\n%s", l)
	}
	hub.mu.Lock()
	hub.revoked[a.AgentID()] = true
	hub.mu.Unlock()
	old := a.AgentID()
	a.Cycle(context.Background())
	r := a.Flush(context.Background())
	// Protocol v2: what the revoked key signed is quarantined, not kept.
	if files, _, q := a.Spool().Stats(); files != 0 || q != 2 || r.Blocked == "" {
		t.Fatalf("revoked: %d files, %d quarantined, result %+v", files, q, r)
	}
	st, _ := LoadState(cfg.StateDir)
	if !strings.Contains(st.Blocked, "agent_revoked") || !st.KeyRevoked {
		t.Errorf("state.Blocked = %q, KeyRevoked %v", st.Blocked, st.KeyRevoked)
	}
	// The next enrolment makes a new key (the same token would do: the
	// hub refuses the revoked key without consuming it); the running
	// agent signs with it from its next scan; the old key is kept aside.
	hub.mu.Lock()
	hub.tokens["NEW-TOKEN"] = "valid"
	hub.mu.Unlock()
	e, err := Enroll(context.Background(), EnrollOptions{HubURL: hub.URL(), Token: "NEW-TOKEN", Fingerprint: hub.SPKI(), StateDir: cfg.StateDir})
	if err != nil {
		t.Fatal(err)
	}
	if e.AgentID == old || !e.KeyCreated {
		t.Errorf("enrolment after revocation kept the key: %+v", e)
	}
	if m, _ := filepath.Glob(filepath.Join(cfg.StateDir, KeyFile+".revoked-*")); len(m) != 1 {
		t.Errorf("revoked key not kept aside: %v", m)
	}
	if st, _ := LoadState(cfg.StateDir); st.KeyRevoked || st.Blocked != "" || st.AgentID != e.AgentID {
		t.Errorf("state after the new enrolment: %+v", st)
	}
	a.Cycle(context.Background())
	drain(t, a)
	hub.mu.Lock()
	last := hub.stored[len(hub.stored)-1]
	n := len(hub.stored)
	hub.mu.Unlock()
	if n != 2 || last.AgentID != e.AgentID || a.AgentID() != e.AgentID {
		t.Errorf("%d stored, last by %s, agent now %s; want 2, the last by the new key %s", n, last.AgentID, a.AgentID(), e.AgentID)
	}
}

// TestCorruptSpoolFileIsNotAHubRefusal: a file found corrupt in the local
// spool is set aside and reported as local damage, never as a refusal by the
// hub, which never saw it (vigie status used to say "refusé").
func TestCorruptSpoolFileIsNotAHubRefusal(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	a, cfg := enrolledAgent(t, hub, Options{})
	if err := os.WriteFile(filepath.Join(a.Spool().Dir(), fileName(7, "abc")), []byte(`{"payloadType":`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := a.Flush(context.Background())
	if r.Unreadable != 1 || r.Quarantined != 0 {
		t.Fatalf("flush %+v, want 1 unreadable, 0 refused", r)
	}
	st, err := ReadStatus(cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Unreadable != 1 || st.Refused != 0 {
		t.Errorf("status unreadable=%d refused=%d, want 1, 0", st.Unreadable, st.Refused)
	}
	if res := st.State.LastUploadResult; strings.Contains(res, "refusé") || !strings.Contains(res, "illisible") {
		t.Errorf("last upload result %q: want local damage, not a refusal", res)
	}
}

// enospcFile fails like a full disk after writing half its input.
type enospcFile struct{ *os.File }

func (f enospcFile) Write(p []byte) (int, error) {
	n, _ := f.File.Write(p[:len(p)/2])
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// TestFullDiskLosesNothing: while the disk is full, scorecards stay in
// memory, no partial file is left, and once the disk has room (or the hub
// answers) every scorecard is delivered, in order.
func TestFullDiskLosesNothing(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	down := true
	var mu sync.Mutex
	hub.fault = func(int) fault {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return err500
		}
		return none
	}
	a, _ := enrolledAgent(t, hub, Options{})
	a.Cycle(context.Background()) // seq 1 on disk
	full := func(dir, pattern string) (spoolFile, error) {
		f, err := os.CreateTemp(dir, pattern)
		return enospcFile{f}, err
	}
	a.spool.mu.Lock()
	a.spool.createTemp = full
	a.spool.mu.Unlock()
	for i := 0; i < 3; i++ { // seqs 2..4 in memory
		if _, err := a.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(a.Spool().Dir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("partial file left: %s", e.Name())
		}
	}
	if files, _, _ := a.Spool().Stats(); files != 1 || len(a.pending) != 3 {
		t.Fatalf("disk full: %d files, %d pending", files, len(a.pending))
	}
	// Hub back while the disk is still full: delivered from memory after disk.
	mu.Lock()
	down = false
	mu.Unlock()
	a.Cycle(context.Background()) // seq 5, also in memory
	drain(t, a)
	if diff := cmp.Diff(seqs(5), hub.storedSeqs()); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	// Disk frees: pending cards go to disk first.
	mu.Lock()
	down = true
	mu.Unlock()
	a.Cycle(context.Background()) // seq 6 in memory (disk still full)
	a.spool.mu.Lock()
	a.spool.createTemp = func(dir, pattern string) (spoolFile, error) { return os.CreateTemp(dir, pattern) }
	a.spool.mu.Unlock()
	a.Flush(context.Background())
	if files, _, _ := a.Spool().Stats(); files != 1 || len(a.pending) != 0 {
		t.Fatalf("disk freed: %d files, %d pending", files, len(a.pending))
	}
	mu.Lock()
	down = false
	mu.Unlock()
	drain(t, a)
	if diff := cmp.Diff(seqs(6), hub.storedSeqs()); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

// TestPinnedIdentityMismatchRefused: after enrolment with hub A, a server
// with another key at the hub's address gets nothing, and the files stay.
func TestPinnedIdentityMismatchRefused(t *testing.T) {
	t.Parallel()
	hubA := newTestHub(t, nil)
	cert := newCert(t)
	hubB := newTestHub(t, &cert)
	a, cfg := enrolledAgent(t, hubA, Options{})
	// Hub B knows the agent (a stolen database) and would accept it.
	hubB.agents[a.AgentID()] = a.key.Public().(ed25519.PublicKey)
	UpdateState(cfg.StateDir, func(s *State) error { s.HubURL = hubB.URL(); return nil })
	a.Cycle(context.Background())
	// The cycle's attempt set a backoff with jitter; this flush must try
	// again now, whatever the draw (it made the test flaky).
	a.notBefore = time.Time{}
	r := a.Flush(context.Background())
	if !errors.Is(r.Err, ErrPinMismatch) || !strings.Contains(r.Err.Error(), "réinscrivez") {
		t.Errorf("err = %v, want pin mismatch with advice", r.Err)
	}
	if got := hubB.storedSeqs(); len(got) != 0 {
		t.Errorf("impostor received %v", got)
	}
	if files, _, _ := a.Spool().Stats(); files != 1 {
		t.Errorf("files kept = %d, want 1", files)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func slogTo(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, nil))
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
