package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

// sqlStore implements Store over database/sql for both dialects. Queries are
// written with "?" and rebound to "$n" for PostgreSQL.
type sqlStore struct {
	db *sql.DB
	pg bool

	rebound sync.Map // query -> rebound query

	saves      chan saveReq
	quit       chan struct{}
	writerDone chan struct{}
	wmu        sync.Mutex
	wconn      *sql.Conn // the group committer's connection, under wmu
	wstmts     [len(writeSQL)]*sql.Stmt
	pconn      *sql.Conn // PostgreSQL: the group committer's pipeline connection (pgwrite.go), under wmu
	ckptDone   chan struct{}
	closeOnce  sync.Once
}

// OpenSQLite opens (creating it and its directory) the SQLite database at path.
//
// Durability: journal_mode=WAL with synchronous=FULL. In WAL mode, NORMAL
// skips the fsync of the WAL at each commit, so a power cut can roll back
// transactions that were already committed; the hub acknowledges an upload
// only after its commit, and the agent then deletes its spool copy, so a
// committed scorecard must survive a power cut: FULL fsyncs the WAL on every
// commit. The cost is recovered by group commit (see writer): concurrent
// uploads share one transaction and one fsync, each acknowledged only after
// that commit. busy_timeout lets the CLI (token create, user add) write
// while serve runs; _txlock=immediate takes the write lock at BEGIN so two
// writers never deadlock upgrading a read lock.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	return openSQLite(ctx, path, true)
}

// openSQLite opens the database at path; when create is false it neither
// creates nor migrates it (OpenExisting).
func openSQLite(ctx context.Context, path string, create bool) (Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	mode := ""
	if !create {
		if fi, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoDatabase, path)
		} else if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		} else if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a file", ErrNoDatabase, path)
		}
		mode = "&mode=rw" // SQLite then never creates the file
		// Checked read-only first: the WAL pragma below would otherwise
		// write into an empty file or another application's database.
		if err := checkSQLiteSchema(ctx, path); err != nil {
			return nil, fmt.Errorf("sqlite %s: %w", path, err)
		}
	} else if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		// A new database is created 0600 before SQLite opens it: it holds
		// password, token and session hashes, and SQLite gives its -wal
		// and -shm files the database file's permissions.
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		f.Close()
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=wal_autocheckpoint(0)&_txlock=immediate" + mode
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	s, err := newSQLStore(ctx, db, false, create)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

// checkSQLiteSchema reads the schema version of the database at path
// without writing anything (read-only, no pragma).
func checkSQLiteSchema(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	return (&sqlStore{db: db}).checkSchema(ctx)
}

// OpenPostgres connects to the PostgreSQL database at dsn and migrates it.
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	return openPostgres(ctx, dsn, true)
}

func openPostgres(ctx context.Context, dsn string, migrate bool) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	s, err := newSQLStore(ctx, db, true, migrate)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

func newSQLStore(ctx context.Context, db *sql.DB, pg, migrate bool) (*sqlStore, error) {
	s := &sqlStore{db: db, pg: pg, saves: make(chan saveReq, 1024), quit: make(chan struct{}), writerDone: make(chan struct{})}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, err
	}
	check := s.migrate
	if !migrate {
		check = s.checkSchema
	}
	if err := check(pctx); err != nil {
		db.Close()
		return nil, err
	}
	go s.writer()
	if !pg {
		s.ckptDone = make(chan struct{})
		go s.checkpointer()
	}
	return s, nil
}

// checkpointer copies the SQLite WAL back into the database file in the
// background (PASSIVE: it never blocks readers or the writer), so that no
// upload waits for a checkpoint inside its commit; automatic checkpoints
// are off (wal_autocheckpoint=0). The WAL is truncated when the store closes.
func (s *sqlStore) checkpointer() {
	defer close(s.ckptDone)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			cancel()
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
			cancel()
		}
	}
}

func (s *sqlStore) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
		if s.ckptDone != nil {
			<-s.ckptDone
		}
		err = s.db.Close()
	})
	return err
}

// q rebinds "?" placeholders to "$1..." for PostgreSQL.
func (s *sqlStore) q(query string) string {
	if !s.pg {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	s.rebound.Store(query, out)
	return out
}

// forUpdate locks selected rows on PostgreSQL (SQLite's write lock is
// database-wide and taken at BEGIN IMMEDIATE).
func (s *sqlStore) forUpdate() string {
	if s.pg {
		return " FOR UPDATE"
	}
	return ""
}

func (s *sqlStore) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

var now = time.Now

// Times are stored as Unix microseconds; 0 means "never".
func toDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromDB(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
