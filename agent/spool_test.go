package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

func signedCard(t testing.TB, key ed25519.PrivateKey, seq uint64) (*protocol.Scorecard, []byte) {
	t.Helper()
	sc, _ := fakeScan(context.Background(), ScanOptions{AgentID: protocol.KeyID(key.Public().(ed25519.PublicKey)), Sequence: seq})
	payload, err := sc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	env, _ := json.Marshal(protocol.Sign(protocol.PayloadType, payload, key))
	return sc, env
}

// TestSpoolTruncatedAtEveryOffset: a spool file cut at any byte offset (as
// a disk error or a copy gone wrong would leave it) is quarantined with a log
// line, never returned for upload, and never crashes the agent; a leftover
// temporary file from a crash mid-write is quarantined at open.
func TestSpoolTruncatedAtEveryOffset(t *testing.T) {
	t.Parallel()
	key, _ := protocol.GenerateKey()
	pub := key.Public().(ed25519.PublicKey)
	_, env := signedCard(t, key, 7)
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 10, 64<<20, pub, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	sp.log = slogDiscard()
	name := fileName(7, "abc")
	for cut := 0; cut < len(env); cut++ {
		if err := os.WriteFile(filepath.Join(dir, name), env[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		items, err := sp.List()
		if err != nil || len(items) != 1 {
			t.Fatalf("cut %d: list %v %v", cut, items, err)
		}
		data, _, err := sp.Read(items[0])
		if !errors.Is(err, ErrCorrupt) || data != nil {
			t.Fatalf("cut at %d of %d: read returned %d bytes, err %v", cut, len(env), len(data), err)
		}
		if items, _ := sp.List(); len(items) != 0 {
			t.Fatalf("cut %d: file still queued", cut)
		}
	}
	// A flipped byte anywhere in the payload: the signature catches it.
	bad := append([]byte(nil), env...)
	i := strings.Index(string(bad), `"payload":"`) + 40
	if bad[i] == 'A' {
		bad[i] = 'B'
	} else {
		bad[i] = 'A'
	}
	os.WriteFile(filepath.Join(dir, name), bad, 0o600)
	items, _ := sp.List()
	if _, _, err := sp.Read(items[0]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("altered payload read: %v", err)
	}
	// The whole file reads back.
	if err := sp.Put(7, "abc", env); err != nil {
		t.Fatal(err)
	}
	items, _ = sp.List()
	data, seq, err := sp.Read(items[0])
	if err != nil || string(data) != string(env) || seq != 7 {
		t.Fatalf("whole file: %v", err)
	}
	// A crash mid-write leaves a temporary file: quarantined at next open.
	os.WriteFile(filepath.Join(dir, tmpPrefix+fileName(8, "def")+"123"), env[:100], 0o600)
	sp2, err := OpenSpool(dir, 10, 64<<20, pub, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if files, _, q := sp2.Stats(); files != 1 || q != 2 {
		t.Errorf("after reopen: %d files, %d quarantined, want 1 and 2", files, q)
	}
}

// TestTruncatedFileNeverUploaded: end to end, a truncated spool file is
// quarantined and the good ones around it are delivered.
func TestTruncatedFileNeverUploaded(t *testing.T) {
	t.Parallel()
	hub := newTestHub(t, nil)
	a, _ := enrolledAgent(t, hub, Options{})
	a.Cycle(context.Background()) // seq 1 delivered
	hub.fault = func(int) fault { return err500 }
	a.Cycle(context.Background()) // seq 2 spooled
	a.Cycle(context.Background()) // seq 3 spooled
	items, _ := a.Spool().List()
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	p := filepath.Join(a.Spool().Dir(), items[0].Name)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, data[:len(data)/2], 0o600)
	hub.fault = nil
	drain(t, a)
	if got := hub.storedSeqs(); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("stored %v, want [1 3]", got)
	}
	if _, _, q := a.Spool().Stats(); q != 1 {
		t.Errorf("quarantined %d, want 1", q)
	}
}

// TestSpoolBounds: over max files or bytes, the oldest are dropped with a
// log line, never the newest.
func TestSpoolBounds(t *testing.T) {
	t.Parallel()
	key, _ := protocol.GenerateKey()
	var logs strings.Builder
	sp, err := OpenSpool(t.TempDir(), 3, 64<<20, nil, slogTo(&logs))
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 5; seq++ {
		sc, env := signedCard(t, key, seq)
		if err := sp.Put(seq, sc.ID, env); err != nil {
			t.Fatal(err)
		}
	}
	items, _ := sp.List()
	var got []string
	for _, it := range items {
		got = append(got, it.Name[:20])
	}
	if len(got) != 3 || got[0] != "00000000000000000003" || got[2] != "00000000000000000005" {
		t.Errorf("kept %v", got)
	}
	if n := strings.Count(logs.String(), "abandonné"); n != 2 {
		t.Errorf("%d drop log lines, want 2:\n%s", n, logs.String())
	}
	// Bytes bound.
	_, env := signedCard(t, key, 1)
	sp2, _ := OpenSpool(t.TempDir(), 100, int64(len(env))*2+10, nil, slogDiscard())
	for seq := uint64(1); seq <= 4; seq++ {
		sp2.Put(seq, "id"+string(rune('a'+seq)), env)
	}
	if files, bytes, _ := sp2.Stats(); files != 2 || bytes > int64(len(env))*2+10 {
		t.Errorf("bytes bound: %d files, %d bytes", files, bytes)
	}
	if err := sp2.Put(9, "../x", env); err == nil {
		t.Error("path in id accepted")
	}
}
