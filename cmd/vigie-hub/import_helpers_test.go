package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// offlineHub is an initialised hub database with its keys, and its store
// open for the test's own enrolments and reads.
type offlineHub struct {
	db, dir string
	rcpt    *age.X25519Recipient
	st      store.Store
}

func newOfflineHub(t testing.TB) *offlineHub {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, _, err := loadHubKeys(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	return &offlineHub{db: db, dir: dir, rcpt: keys.Age.Recipient(), st: st}
}

// enrol records agent a for entity as the enrolment API does (the
// offline enrolment is the agent side's, another issue).
func (h *offlineHub) enrol(t testing.TB, entity string, a *hubtest.Agent) {
	t.Helper()
	ctx := context.Background()
	e, err := h.st.EnsureEntity(ctx, entity, "sante")
	if err != nil {
		t.Fatal(err)
	}
	tok := "tok-" + a.ID
	now := time.Now()
	if err := h.st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey),
		Hostname: a.Host.Hostname, OS: a.Host.OS, Platform: a.Host.Platform}, now); err != nil {
		t.Fatal(err)
	}
}

// encrypt is what the agent's offline mode writes: the upload body,
// encrypted with age to rcpt.
func encrypt(t testing.TB, rcpt age.Recipient, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := age.Encrypt(&b, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeOffline writes a's scorecard seq, signed and encrypted to rcpt, in
// dir under its protocol name (or name when set); it returns the path and
// the scorecard.
func writeOffline(t testing.TB, dir string, rcpt age.Recipient, a *hubtest.Agent, seq uint64, name string) (string, *protocol.Scorecard) {
	t.Helper()
	sc := a.Build(seq, time.Now().Add(time.Duration(seq)*time.Minute-24*time.Hour))
	if name == "" {
		name = protocol.OfflineScorecardName(a.ID, seq)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, encrypt(t, rcpt, a.Sign(sc)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, sc
}
