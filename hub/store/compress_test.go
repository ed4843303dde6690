package store_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestStoredEnvelopes, on both backends: envelopes are stored compressed
// and read back byte for byte; rows written raw (before compression) still
// read; a corrupted row gives an error naming the scorecard, not a panic or
// wrong bytes (the format's own cases: compress_internal_test.go).
func TestStoredEnvelopes(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name   string
		driver string
		dsn    func(t *testing.T) (open, raw string)
		bind   func(string) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) (string, string) {
			p := filepath.Join(t.TempDir(), "hub.db")
			return p, "file:" + p + "?_pragma=busy_timeout(10000)"
		}, func(q string) string { return q }},
		{"postgres", "pgx", func(t *testing.T) (string, string) {
			d := pgtest.DSN(t)
			return d, d
		}, func(q string) string {
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
			}
			return q
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn, rawDSN := b.dsn(t)
			s := storetest.Open(t, dsn)
			storetest.Enrolled(t, s, "Mairie", "a1")
			// A Debian server's envelope as the hub's ingestion saves it:
			// with the payload it verified.
			a := hubtest.NewAgent(5, 0.6)
			a.Packages = 800
			env := a.Sign(a.Next(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)))
			e, err := protocol.ParseEnvelope(env)
			if err != nil {
				t.Fatal(err)
			}
			sc := storetest.Card("a1", 1)
			sc.Envelope = bytes.Clone(env)
			if sc.Payload, err = protocol.Verify(e, protocol.PayloadType, a.Key.Public().(ed25519.PublicKey)); err != nil {
				t.Fatal(err)
			}
			sc.PayloadBase64 = e.Payload
			if out, err := s.SaveScorecard(ctx, sc); err != nil || out != store.Stored {
				t.Fatalf("save: %v %v", out, err)
			}
			got, err := s.Scorecard(ctx, "a1", sc.ID)
			if err != nil || !bytes.Equal(got.Envelope, env) {
				t.Fatalf("read back %d bytes (want %d identical), %v", len(got.Envelope), len(env), err)
			}
			if got.Payload != nil || got.PayloadBase64 != "" {
				t.Error("Payload read back: it is only an input")
			}

			db, err := sql.Open(b.driver, rawDSN)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var stored []byte
			if err := db.QueryRowContext(ctx, b.bind(`SELECT envelope FROM scorecards WHERE id = ?`), sc.ID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if len(stored)*5 > len(env) {
				t.Errorf("stored %d bytes for a %d-byte envelope: not compressed fivefold", len(stored), len(env))
			}

			// A row from before compression, then a corrupted one.
			legacy := storetest.Card("a1", 2)
			if _, err := s.SaveScorecard(ctx, legacy); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, b.bind(`UPDATE scorecards SET envelope = ? WHERE id = ?`), []byte(`{"payloadType":"x"}`), legacy.ID); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Scorecard(ctx, "a1", legacy.ID); err != nil || string(got.Envelope) != `{"payloadType":"x"}` {
				t.Errorf("raw row read as %q, %v", got.Envelope, err)
			}
			broken := append(bytes.Clone(stored[:len(stored)/2]), 0xde, 0xad)
			if _, err := db.ExecContext(ctx, b.bind(`UPDATE scorecards SET envelope = ? WHERE id = ?`), broken, sc.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Scorecard(ctx, "a1", sc.ID); err == nil || !strings.Contains(err.Error(), sc.ID) {
				t.Errorf("corrupted row: err = %v, want an error naming %s", err, sc.ID)
			}
		})
	}
}
