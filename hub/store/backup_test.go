package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

// TestBackup: a backup taken while uploads are being committed is one
// consistent instant of the database (every agent's last sequence is the
// one of its latest stored scorecard, and its history has no gap), opens as
// a hub database, is 0600, and never overwrites; a failed backup leaves
// nothing behind.
func TestBackup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := storetest.Open(t, filepath.Join(dir, "hub.db"))
	agents := []string{"a1", "a2", "a3", "a4"}
	for _, a := range agents {
		storetest.Enrolled(t, s, "Mairie", a)
		if _, err := s.SaveScorecard(ctx, storetest.Card(a, 1)); err != nil {
			t.Fatal(err)
		}
	}
	// Uploads go on during the backups.
	var stop atomic.Bool
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(2); !stop.Load(); seq++ {
				if _, err := s.SaveScorecard(ctx, storetest.Card(a, seq)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	b := s.(store.Backuper)
	var copies []string
	for i := range 3 {
		p := filepath.Join(dir, "copie-"+string(rune('a'+i))+".db")
		if err := b.Backup(ctx, p); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		copies = append(copies, p)
	}
	stop.Store(true)
	wg.Wait()

	for _, p := range copies {
		if fi, err := os.Stat(p); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Errorf("%s: %v, mode %v, want 0600", p, err, fi.Mode().Perm())
		}
		c := storetest.Open(t, p)
		rows, err := c.Hosts(ctx, store.HostFilter{})
		if err != nil || len(rows) != len(agents) {
			t.Fatalf("%s: %d hosts, %v", p, len(rows), err)
		}
		for _, r := range rows {
			last := r.Agent.LastSequence
			if r.Latest == nil || r.Latest.Sequence != last {
				t.Errorf("%s: agent %s last sequence %d, latest scorecard %+v: not one instant", p, r.Agent.ID, last, r.Latest)
			}
			hist, err := c.History(ctx, r.Agent.ID, 1<<20)
			if err != nil || uint64(len(hist)) != last {
				t.Errorf("%s: agent %s: %d scorecards for sequence %d, %v", p, r.Agent.ID, len(hist), last, err)
			}
		}
	}

	if err := b.Backup(ctx, copies[0]); !errors.Is(err, store.ErrBackupExists) {
		t.Errorf("backup onto an existing file: %v, want ErrBackupExists", err)
	}
	if err := b.Backup(ctx, filepath.Join(dir, "absent", "copie.db")); err == nil {
		t.Error("backup into a missing directory succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestBackupPostgres: PostgreSQL is saved with its own tools; the store
// says so instead of writing something else.
func TestBackupPostgres(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, pgtest.DSN(t))
	p := filepath.Join(t.TempDir(), "copie.db")
	if b, ok := s.(store.Backuper); ok {
		if err := b.Backup(context.Background(), p); err == nil {
			t.Error("PostgreSQL store wrote a SQLite backup")
		}
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("something written at %s: %v", p, err)
	}
}

// TestDatabaseFileMode: a new SQLite database and its WAL are 0600: they
// hold password, token and session hashes.
func TestDatabaseFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permissions are ACLs on Windows")
	}
	t.Parallel()
	p := filepath.Join(t.TempDir(), "hub.db")
	s := storetest.Open(t, p)
	storetest.Enrolled(t, s, "Mairie", "a1")
	for _, f := range []string{p, p + "-wal"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", f, err, fi.Mode().Perm())
		}
	}
}
