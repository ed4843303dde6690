package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "hub.db") })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) string { return pgtest.DSN(t) })
}

// TestOpenExistingSQLite: a mistyped path is refused without creating the
// file (nor its directory); an empty file (what earlier versions left after
// such a mistake) and a database behind this hub's schema are refused as
// not initialised, saying which version they hold.
func TestOpenExistingSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "sub", "hbu.db")
	if _, err := store.OpenExisting(ctx, missing); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("missing file: %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenExisting created %s: %v", filepath.Dir(missing), err)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	if _, err := store.OpenExisting(ctx, empty); !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("empty file: %v, want ErrNotMigrated", err)
	}
	if _, err := store.OpenExisting(ctx, dir); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("a directory: %v, want ErrNoDatabase", err)
	}
	// A database a previous hub version made: one migration behind.
	behind := filepath.Join(dir, "behind.db")
	s, err := store.Open(store.WithMigrationLimit(ctx, store.SchemaVersion()-1), behind)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var se *store.SchemaError
	if _, err := store.OpenExisting(ctx, behind); !errors.As(err, &se) || se.Have != store.SchemaVersion()-1 || !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("database one migration behind: %v", err)
	}
	if s, err := store.Open(ctx, behind); err != nil {
		t.Errorf("Open does not migrate it: %v", err)
	} else {
		s.Close()
	}
	if s, err := store.OpenExisting(ctx, behind); err != nil {
		t.Errorf("after Open: %v", err)
	} else {
		s.Close()
	}
}
