package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupExists is returned when the backup file already exists: a
// backup never overwrites anything.
var ErrBackupExists = errors.New("backup file already exists")

// Backup copies the SQLite database into path with VACUUM INTO: one read
// transaction, so the copy is the database as it was at one instant while
// uploads go on being committed (WAL readers do not block the writer), and
// compacted. The copy is written beside path under a temporary name, made
// 0600 before any byte is written (it holds password and token hashes),
// checked with PRAGMA quick_check, synced, then renamed into place: an
// interrupted or failed backup leaves nothing at path.
func (s *sqlStore) Backup(ctx context.Context, path string) error {
	if s.pg {
		return errors.New("PostgreSQL: use pg_dump")
	}
	path = filepath.Clean(path)
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrBackupExists, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	done := false
	defer func() {
		if !done {
			os.Remove(name)
		}
	}()
	// CreateTemp already makes the file 0600 on Unix; on Windows the
	// directory's ACL applies, as for the database itself.
	if err := tmp.Close(); err != nil {
		return err
	}
	// VACUUM INTO accepts an existing file only if it is empty, which the
	// temporary file is.
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if err := checkCopy(ctx, name); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// A hard link, not a rename: it fails if path appeared meanwhile, where
	// a rename would replace it.
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrBackupExists, path)
		}
		return err
	}
	done = true
	os.Remove(name)
	syncDir(filepath.Dir(path))
	return nil
}

// checkCopy opens the copy read-only, on its own, and runs quick_check.
func checkCopy(ctx context.Context, path string) error {
	c, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	defer c.Close()
	var res string
	if err := c.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("check the copy: %s", res)
	}
	return nil
}

// syncDir makes a new directory entry durable where the system allows it
// (not on Windows, where directories cannot be opened for syncing).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
