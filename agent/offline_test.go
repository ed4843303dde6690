package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/protocol"
)

// offlineAgent is an agent enrolled (its state as an offline enrolment
// leaves it) in offline mode writing to dir, with a hub age identity to
// open what it writes. hubURL is what the state names as the hub.
func offlineAgent(t *testing.T, dir, hubURL string, log *slog.Logger) (*Agent, *age.X25519Identity) {
	t.Helper()
	state := t.TempDir()
	c, err := ParseConfig("test.toml", []byte(fmt.Sprintf("state_dir = %q\n[schedule]\ninterval = \"1h\"\nsplay = \"10m\"\n[hub]\nmode = \"offline\"\noffline_dir = %q\n", state, dir)))
	if err != nil {
		t.Fatal(err)
	}
	if log == nil {
		log = testLogger(t)
	}
	a, err := New(c, Options{Log: log, Scan: fakeScan, Clock: SystemClock{}})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	hubKey, _ := protocol.GenerateKey()
	if _, err := UpdateState(state, func(s *State) error {
		s.AgentID, s.Entity, s.Sector, s.HubURL = a.AgentID(), "CH de Test", "hospital", hubURL
		s.HubSPKI = strings.Repeat("ab", 32)
		s.HubKeys = protocol.HubKeys{SigningKey: protocol.EncodePublicKey(hubKey.Public().(ed25519.PublicKey)), AgeRecipient: id.Recipient().String()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return a, id
}

// openOffline decrypts an offline file with the hub's identity and checks
// the envelope inside is signed by the agent; it returns the scorecard.
func openOffline(t *testing.T, a *Agent, id *age.X25519Identity, path string) *protocol.Scorecard {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatalf("%s does not decrypt with the hub's identity: %v", path, err)
	}
	data, _ := io.ReadAll(r)
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protocol.Verify(env, protocol.PayloadType, a.key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("%s: envelope does not verify with the agent's key: %v", path, err)
	}
	sc, err := protocol.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func finalFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// faultFS is the real file system with one fault injected: write fails
// after n bytes of the file (the stick pulled out mid-write), or the
// rename or the folder sync fails.
type faultFS struct {
	osFS
	mu         sync.Mutex
	writeAfter int   // fail a write once this many bytes are written (< 0: never)
	renameErr  error // returned by Rename when set
	syncDirErr error
}

type faultFile struct {
	*os.File
	fs      *faultFS
	written int
}

func (f *faultFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	limit := f.fs.writeAfter
	f.fs.mu.Unlock()
	if limit >= 0 && f.written+len(p) > limit {
		n := max(limit-f.written, 0)
		f.File.Write(p[:n])
		f.written += n
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.EIO}
	}
	n, err := f.File.Write(p)
	f.written += n
	return n, err
}

func (f *faultFS) CreateTemp(dir, pattern string) (spoolFile, error) {
	file, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if f.renameErr != nil {
		return f.renameErr
	}
	return os.Rename(o, n)
}

func (f *faultFS) SyncDir(dir string) error {
	if f.syncDirErr != nil {
		return f.syncDirErr
	}
	return syncDir(dir)
}

// TestOfflineWriteFaults: whichever step fails (the write part-way, the
// rename, the folder sync, the folder gone), the scorecard stays in the
// spool, no file carries a final name unless it is whole, no temporary file
// outlives the next pass, and the next pass writes what waits in sequence
// order, each file decrypting to the agent's signed envelope.
func TestOfflineWriteFaults(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		fault  func(*faultFS, string)
		kind   OfflineErrorKind
		finals int // final-named files the fault may leave (a synced-dir failure: whole, rewritten)
	}{
		{"write fails after 100 bytes", func(f *faultFS, _ string) { f.writeAfter = 100 }, OfflineMissing, 0},
		{"write fails at once", func(f *faultFS, _ string) { f.writeAfter = 0 }, OfflineMissing, 0},
		{"rename fails", func(f *faultFS, _ string) { f.renameErr = &os.LinkError{Op: "rename", Err: syscall.EIO} }, OfflineMissing, 0},
		{"stick full", func(f *faultFS, _ string) { f.renameErr = &os.LinkError{Op: "rename", Err: syscall.ENOSPC} }, OfflineFull, 0},
		{"read-only", func(f *faultFS, _ string) { f.renameErr = &os.LinkError{Op: "rename", Err: syscall.EROFS} }, OfflineReadOnly, 0},
		{"folder sync fails", func(f *faultFS, _ string) { f.syncDirErr = syscall.EIO }, OfflineMissing, 1},
		{"folder removed", func(_ *faultFS, dir string) { os.RemoveAll(dir) }, OfflineMissing, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cle")
			os.Mkdir(dir, 0o700)
			a, id := offlineAgent(t, dir, "https://hub.example", nil)
			ffs := &faultFS{writeAfter: -1}
			a.ofs = ffs
			first, err := a.Cycle(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := finalFiles(t, dir); len(got) != 1 || got[0] != protocol.OfflineScorecardName(a.AgentID(), first.Sequence) {
				t.Fatalf("first scorecard: files %v", got)
			}

			tc.fault(ffs, dir)
			second, err := a.Cycle(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := ReadStatus(a.cfg.StateDir)
			if st.SpoolFiles != 1 {
				t.Fatalf("after the fault: %d spooled, want 1", st.SpoolFiles)
			}
			var oe *OfflineError
			res := a.Flush(ctx) // within the retry delay: nothing attempted
			if res.Delivered != 0 || res.Remaining != 1 {
				t.Errorf("flush in the retry delay: %+v", res)
			}
			a.notBefore = a.notBefore.Add(-a.opt.MaxWait) // the delay passed
			res = a.Flush(ctx)
			if !errors.As(res.Err, &oe) || oe.Kind != tc.kind || oe.Dir != dir {
				t.Fatalf("flush error %v (%T), want kind %d on %s", res.Err, res.Err, tc.kind, dir)
			}
			if !strings.Contains(st.State.LastUploadResult, "gardé dans la file") {
				t.Errorf("status does not say the scorecard is kept: %q", st.State.LastUploadResult)
			}
			want := protocol.OfflineScorecardName(a.AgentID(), second.Sequence)
			if _, err := os.Stat(dir); err == nil {
				for _, n := range finalFiles(t, dir) {
					if n == want && tc.finals == 0 {
						t.Errorf("final name %s present though its write failed", n)
					}
				}
			}

			// The stick is back: the next pass writes what waits, and the
			// temporary files of the failed write are gone.
			os.MkdirAll(dir, 0o700)
			*ffs = faultFS{writeAfter: -1}
			a.notBefore = a.notBefore.Add(-a.opt.MaxWait)
			third, err := a.Cycle(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st, _ = ReadStatus(a.cfg.StateDir)
			if st.SpoolFiles != 0 {
				t.Fatalf("stick back: %d still spooled (%s)", st.SpoolFiles, st.State.LastUploadResult)
			}
			got := finalFiles(t, dir)
			for _, n := range got {
				if strings.HasPrefix(n, ".") {
					t.Errorf("temporary file %s left on the stick", n)
				}
			}
			for _, sc := range []uint64{second.Sequence, third.Sequence} {
				p := filepath.Join(dir, protocol.OfflineScorecardName(a.AgentID(), sc))
				if got := openOffline(t, a, id, p); got.Sequence != sc || got.AgentID != a.AgentID() {
					t.Errorf("%s holds sequence %d of %s", p, got.Sequence, got.AgentID)
				}
			}
		})
	}
}

// TestOfflineSameSequenceSameName: writing a sequence again (the spool
// deletion lost in a crash) replaces the file, never adds a second.
func TestOfflineSameSequenceSameName(t *testing.T) {
	dir := t.TempDir()
	a, id := offlineAgent(t, dir, "https://hub.example", nil)
	key := a.key
	_, env := signedCard(t, key, 7)
	r := id.Recipient()
	for range 2 {
		if _, err := writeOffline(osFS{}, dir, a.AgentID(), 7, env, r); err != nil {
			t.Fatal(err)
		}
	}
	if got := finalFiles(t, dir); len(got) != 1 || got[0] != protocol.OfflineScorecardName(a.AgentID(), 7) {
		t.Fatalf("files %v", got)
	}
	f, _ := os.Open(filepath.Join(dir, protocol.OfflineScorecardName(a.AgentID(), 7)))
	defer f.Close()
	rd, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rd)
	if !bytes.Equal(got, env) {
		t.Error("the file is not the exact envelope")
	}
}

// TestOfflineNeverConnects: in offline mode, the hub the state names is
// never contacted, by a scan or a flush.
func TestOfflineNeverConnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	dir := t.TempDir()
	a, _ := offlineAgent(t, dir, "https://"+ln.Addr().String(), nil)
	for range 3 {
		if _, err := a.Cycle(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.Flush(context.Background())
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("offline agent opened %d connection(s) to the hub", n)
	}
	if a.uploader != nil {
		t.Error("offline agent built an uploader")
	}
	if got := finalFiles(t, dir); len(got) != 3 {
		t.Errorf("files %v, want 3", got)
	}
}

// TestOfflineCorruptSpoolFile: a corrupt spooled file is quarantined as
// online, never written to the stick, and does not hold back the others.
func TestOfflineCorruptSpoolFile(t *testing.T) {
	dir := t.TempDir()
	os.Remove(dir)
	a, id := offlineAgent(t, dir, "https://hub.example", nil)
	ctx := context.Background()
	first, _ := a.Cycle(ctx) // stick absent: spooled
	second, _ := a.Cycle(ctx)
	items, _ := a.spool.List()
	if len(items) != 2 {
		t.Fatalf("%d spooled", len(items))
	}
	p := filepath.Join(a.spool.Dir(), items[0].Name)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, data[:len(data)/2], 0o600)
	os.Mkdir(dir, 0o700)
	a.notBefore = a.notBefore.Add(-a.opt.MaxWait)
	res := a.Flush(ctx)
	if res.Unreadable != 1 || res.Delivered != 1 || res.Remaining != 0 {
		t.Fatalf("flush %+v", res)
	}
	got := finalFiles(t, dir)
	if len(got) != 1 || got[0] != protocol.OfflineScorecardName(a.AgentID(), second.Sequence) {
		t.Fatalf("files %v (the corrupt sequence %d must not be written)", got, first.Sequence)
	}
	openOffline(t, a, id, filepath.Join(dir, got[0]))
	if _, unreadable := a.spool.QuarantineCounts(); unreadable != 1 {
		t.Errorf("%d quarantined as unreadable", unreadable)
	}
}

// TestOfflineWithoutHubKeys: an agent without the hub's keys keeps its
// scorecards and says how to get the keys.
func TestOfflineWithoutHubKeys(t *testing.T) {
	dir := t.TempDir()
	a, _ := offlineAgent(t, dir, "https://hub.example", nil)
	UpdateState(a.cfg.StateDir, func(s *State) error { s.HubKeys = protocol.HubKeys{}; return nil })
	if _, err := a.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := ReadStatus(a.cfg.StateDir)
	if st.SpoolFiles != 1 || !strings.Contains(st.State.LastUploadResult, "vigie enroll --request-out") {
		t.Fatalf("spooled %d, result %q", st.SpoolFiles, st.State.LastUploadResult)
	}
	if got := finalFiles(t, dir); len(got) != 0 {
		t.Errorf("files written without keys: %v", got)
	}
}

func TestOfflineConfig(t *testing.T) {
	state := t.TempDir()
	for _, tc := range []struct{ hub, err string }{
		{"mode = \"offline\"\noffline_dir = 'E:\\vigie'\n", ""},
		{"mode = \"offline\"\noffline_dir = \"/media/cle/vigie\"\n", ""},
		{"mode = \"online\"\n", ""},
		{"mode = \"hors-ligne\"\n", "hub.mode"},
		{"mode = \"offline\"\n", "offline_dir : obligatoire"},
		{"mode = \"offline\"\noffline_dir = \"vigie\"\n", "chemin absolu"},
		{"offline_dir = \"/media/cle\"\n", "ne sert qu'avec mode = \"offline\""},
	} {
		c, err := ParseConfig("vigie.toml", []byte(fmt.Sprintf("state_dir = %q\n[hub]\n%s", state, tc.hub)))
		if tc.err == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.hub, err)
			} else if strings.Contains(tc.hub, "offline\"") != c.Offline() {
				t.Errorf("%q: Offline() = %v", tc.hub, c.Offline())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.hub, err, tc.err)
		}
	}
}
