package store

import (
	"cmp"
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
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
	wstmts     [5]*sql.Stmt
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
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if path != ":memory:" {
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
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	s, err := newSQLStore(ctx, db, false)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

// OpenPostgres connects to the PostgreSQL database at dsn and migrates it.
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	s, err := newSQLStore(ctx, db, true)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

func newSQLStore(ctx context.Context, db *sql.DB, pg bool) (*sqlStore, error) {
	s := &sqlStore{db: db, pg: pg, saves: make(chan saveReq, 1024), quit: make(chan struct{}), writerDone: make(chan struct{})}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(pctx); err != nil {
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

// ---- entities and tokens ----

func (s *sqlStore) EnsureEntity(ctx context.Context, name, sector string) (Entity, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Entity{}, errors.New("entity name is empty")
	}
	var e Entity
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`SELECT id, name, sector FROM entities WHERE name = ?`), name).Scan(&e.ID, &e.Name, &e.Sector)
		if errors.Is(err, sql.ErrNoRows) {
			e = Entity{Name: name, Sector: sector}
			return tx.QueryRowContext(ctx, s.q(`INSERT INTO entities (name, sector) VALUES (?, ?) RETURNING id`), name, sector).Scan(&e.ID)
		}
		if err != nil {
			return err
		}
		if sector != "" && sector != e.Sector {
			e.Sector = sector
			_, err = tx.ExecContext(ctx, s.q(`UPDATE entities SET sector = ? WHERE id = ?`), sector, e.ID)
		}
		return err
	})
	return e, err
}

func (s *sqlStore) Entity(ctx context.Context, id int64) (Entity, error) {
	var e Entity
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, sector FROM entities WHERE id = ?`), id).Scan(&e.ID, &e.Name, &e.Sector)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

func (s *sqlStore) Entities(ctx context.Context) ([]Entity, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, sector FROM entities ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entity
	for rows.Next() {
		var e Entity
		if err := rows.Scan(&e.ID, &e.Name, &e.Sector); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *sqlStore) CreateToken(ctx context.Context, t Token) error {
	if len(t.Hash) == 0 || t.EntityID == 0 {
		return errors.New("token: hash and entity required")
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tokens (hash, entity_id, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?)`),
		t.Hash, t.EntityID, toDB(t.CreatedAt), toDB(t.ExpiresAt), t.CreatedBy)
	return err
}

func (s *sqlStore) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.hash, t.entity_id, e.name, e.sector, t.created_at, t.expires_at, t.created_by, t.used_at, t.used_by
		FROM tokens t JOIN entities e ON e.id = t.entity_id ORDER BY t.created_at DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var c, x, u int64
		if err := rows.Scan(&t.Hash, &t.EntityID, &t.Entity, &t.Sector, &c, &x, &t.CreatedBy, &u, &t.UsedBy); err != nil {
			return nil, err
		}
		t.CreatedAt, t.ExpiresAt, t.UsedAt = fromDB(c), fromDB(x), fromDB(u)
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *sqlStore) Enroll(ctx context.Context, tokenHash []byte, a Agent, at time.Time) (Agent, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var hash []byte
		var entityID, expires, used int64
		var usedBy string
		err := tx.QueryRowContext(ctx, s.q(`SELECT hash, entity_id, expires_at, used_at, used_by FROM tokens WHERE hash = ?`+s.forUpdate()), tokenHash).
			Scan(&hash, &entityID, &expires, &used, &usedBy)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenUnknown
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(hash, tokenHash) != 1 {
			return ErrTokenUnknown
		}
		if used != 0 {
			if usedBy == a.ID {
				return nil // a retried enrolment: same key, same token
			}
			return ErrTokenUsed
		}
		if !at.Before(fromDB(expires)) {
			return ErrTokenExpired
		}
		var current int64
		err = tx.QueryRowContext(ctx, s.q(`SELECT entity_id FROM agents WHERE id = ?`+s.forUpdate()), a.ID).Scan(&current)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case current != entityID:
			return ErrKeyEnrolled
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE tokens SET used_at = ?, used_by = ? WHERE hash = ? AND used_at = 0`), toDB(at), a.ID, tokenHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTokenUsed
		}
		// Re-enrolment with a fresh token lifts a revocation: the admin
		// issuing the token is the decision. The sequence is kept, so
		// replay protection survives re-enrolment.
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO agents (id, public_key, entity_id, hostname, os, platform, platform_version, agent_version, enrolled_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, os = excluded.os, platform = excluded.platform,
				platform_version = excluded.platform_version, agent_version = excluded.agent_version,
				enrolled_at = excluded.enrolled_at, revoked_at = 0, revoked_by = ''`),
			a.ID, a.PublicKey, entityID, a.Hostname, a.OS, a.Platform, a.PlatformVersion, a.AgentVersion, toDB(at))
		return err
	})
	if err != nil {
		return Agent{}, err
	}
	return s.Agent(ctx, a.ID)
}

const agentCols = `a.id, a.public_key, a.entity_id, e.name, e.sector, a.hostname, a.os, a.platform, a.platform_version, a.agent_version,
	a.enrolled_at, a.last_seen, a.last_seq, a.revoked_at, a.revoked_by`

func scanAgent(sc interface{ Scan(...any) error }, extra ...any) (Agent, error) {
	var a Agent
	var enrolled, seen, seq, revoked int64
	dest := append([]any{&a.ID, &a.PublicKey, &a.EntityID, &a.Entity, &a.Sector, &a.Hostname, &a.OS, &a.Platform, &a.PlatformVersion,
		&a.AgentVersion, &enrolled, &seen, &seq, &revoked, &a.RevokedBy}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return a, err
	}
	a.EnrolledAt, a.LastSeen, a.RevokedAt, a.LastSequence = fromDB(enrolled), fromDB(seen), fromDB(revoked), uint64(seq)
	return a, nil
}

func (s *sqlStore) Agent(ctx context.Context, id string) (Agent, error) {
	a, err := scanAgent(s.db.QueryRowContext(ctx, s.q(`SELECT `+agentCols+` FROM agents a JOIN entities e ON e.id = a.entity_id WHERE a.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	return a, err
}

func (s *sqlStore) RevokeAgent(ctx context.Context, id, by string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE agents SET revoked_at = ?, revoked_by = ? WHERE id = ?`), toDB(at), by, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ---- scorecards ----

func (s *sqlStore) HasScorecard(ctx context.Context, agentID, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM scorecards WHERE agent_id = ? AND id = ?`), agentID, id).Scan(&n)
	return n > 0, err
}

type saveReq struct {
	sc     *Scorecard
	stored []byte // sc.Envelope packed (compress.go)
	done   chan saveRes
}

type saveRes struct {
	out Outcome
	err error
}

// maxBatch bounds one group commit.
const maxBatch = 256

// commitLinger is how long the group committer waits for more saves when
// uploads arrive concurrently (PostgreSQL's commit_delay, in spirit). Too
// short and each commit carries few scorecards; too long and, while a big
// batch commits, the uploads it holds back leave the other CPU idle.
// Measured with 64 concurrent agents on 2 CPUs (BenchmarkIngest): 1 ms is
// best for workstations' scorecards (6,100-6,400/s against 5,600 at 2 ms and
// 5,800-6,200 at 0.5 ms) and as good as 2 ms for servers' and PostgreSQL.
const commitLinger = time.Millisecond

func (s *sqlStore) SaveScorecard(ctx context.Context, sc *Scorecard) (Outcome, error) {
	if sc.Sequence > math.MaxInt64 {
		return 0, fmt.Errorf("sequence %d out of range", sc.Sequence)
	}
	r := saveReq{sc: sc, stored: packEnvelope(sc), done: make(chan saveRes, 1)}
	select {
	case s.saves <- r:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.quit:
		return 0, ErrClosed
	}
	select {
	case res := <-r.done:
		return res.out, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// writer is the group committer: it takes every save waiting, writes them in
// one transaction (one fsync) and answers each only after the commit. A
// batch that fails is retried one scorecard per transaction so that one bad
// row cannot fail its neighbours.
func (s *sqlStore) writer() {
	defer close(s.writerDone)
	defer func() {
		s.wmu.Lock()
		s.closeWriter()
		s.wmu.Unlock()
	}()
	lastBatch := 0
	for {
		var first saveReq
		select {
		case first = <-s.saves:
		case <-s.quit:
			for {
				select {
				case r := <-s.saves:
					r.done <- saveRes{err: ErrClosed}
				default:
					return
				}
			}
		}
		batch := []saveReq{first}
		// Under concurrent uploads (the last batch had company) wait a
		// little for more: every commit costs an fsync and rewrites the
		// same index and agent pages, so fewer, larger batches spend less
		// CPU per scorecard (commitLinger). A lone upload is committed at
		// once.
		var linger <-chan time.Time
		var timer *time.Timer
		if lastBatch > 1 {
			timer = time.NewTimer(commitLinger)
			linger = timer.C
		}
	drain:
		for len(batch) < maxBatch {
			if linger == nil {
				select {
				case r := <-s.saves:
					batch = append(batch, r)
				default:
					break drain
				}
				continue
			}
			select {
			case r := <-s.saves:
				batch = append(batch, r)
			case <-linger:
				break drain
			}
		}
		if timer != nil {
			timer.Stop()
		}
		lastBatch = len(batch)
		s.commitBatch(batch)
	}
}

func (s *sqlStore) commitBatch(batch []saveReq) {
	// Same order in every process: rows are locked in agent order (no
	// deadlock between two hubs on PostgreSQL) and an agent's scorecards
	// in sequence order.
	slices.SortStableFunc(batch, func(a, b saveReq) int {
		if c := strings.Compare(a.sc.AgentID, b.sc.AgentID); c != 0 {
			return c
		}
		return cmp.Compare(a.sc.Sequence, b.sc.Sequence)
	})
	var outs []saveRes
	var err error
	if s.pg {
		outs, err = s.commitBatchPG(batch)
	} else {
		outs = make([]saveRes, len(batch))
		err = s.writeTx(func(w *writeStmts) error {
			for i, r := range batch {
				o, err := w.saveOne(r.sc, r.stored)
				if err != nil && !errors.Is(err, ErrRevoked) && !errors.Is(err, ErrNotFound) {
					return err
				}
				outs[i] = saveRes{o, err}
			}
			return nil
		})
	}
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.commitBatch([]saveReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- saveRes{err: err}
			continue
		}
		r.done <- outs[i]
	}
}

// writeStmts are the group committer's statements, bound to one transaction.
type writeStmts struct {
	agent, insert, latest, update, exists *sql.Stmt
}

// The writer's statements are prepared once on a connection it keeps, so
// each scorecard costs four executions and no SQL parsing. SQLite's group
// commit and Import use them; PostgreSQL's group commit sends one
// statement per scorecard in a pipeline instead (pgwrite.go).
var writeSQL = [5]string{
	`SELECT last_seq, revoked_at FROM agents WHERE id = ?`,
	`INSERT INTO scorecards (agent_id, id, seq, received_at, started_at, finished_at, score, level, capped,
		d_patch, d_backup, d_hygiene, d_tls, d_dns, d_organisation, failed, hostname, os, platform, agent_version, envelope)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, id) DO NOTHING`,
	`INSERT INTO latest (agent_id, id, seq, received_at, started_at, finished_at, score, level, capped,
		d_patch, d_backup, d_hygiene, d_tls, d_dns, d_organisation, failed, hostname, os, platform, agent_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (agent_id) DO UPDATE SET id = excluded.id, seq = excluded.seq, received_at = excluded.received_at,
			started_at = excluded.started_at, finished_at = excluded.finished_at, score = excluded.score, level = excluded.level,
			capped = excluded.capped, d_patch = excluded.d_patch, d_backup = excluded.d_backup, d_hygiene = excluded.d_hygiene,
			d_tls = excluded.d_tls, d_dns = excluded.d_dns, d_organisation = excluded.d_organisation, failed = excluded.failed,
			hostname = excluded.hostname, os = excluded.os, platform = excluded.platform, agent_version = excluded.agent_version`,
	`UPDATE agents SET last_seq = ?, last_seen = ?, agent_version = CASE WHEN ? = '' THEN agent_version ELSE ? END WHERE id = ?`,
	`SELECT COUNT(*) FROM scorecards WHERE agent_id = ? AND id = ?`,
}

// writeTx runs f in a transaction on the writer's own connection, opening
// it and preparing its statements on first use (and again after an error,
// in case the connection is broken).
func (s *sqlStore) writeTx(f func(w *writeStmts) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.wconn == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		var st [5]*sql.Stmt
		for i, q := range writeSQL {
			q := q
			if i == 0 {
				q += s.forUpdate()
			}
			if st[i], err = c.PrepareContext(ctx, s.q(q)); err != nil {
				c.Close()
				return err
			}
		}
		s.wconn, s.wstmts = c, st
	}
	tx, err := s.wconn.BeginTx(ctx, nil)
	if err == nil {
		w := &writeStmts{}
		for i, p := range []**sql.Stmt{&w.agent, &w.insert, &w.latest, &w.update, &w.exists} {
			*p = tx.Stmt(s.wstmts[i])
		}
		if err = f(w); err != nil {
			tx.Rollback()
		} else {
			err = tx.Commit()
		}
	}
	if err != nil {
		s.closeWriter()
	}
	return err
}

func (s *sqlStore) closeWriter() {
	if s.pconn != nil {
		s.pconn.Close()
		s.pconn = nil
	}
	if s.wconn == nil {
		return
	}
	for _, st := range s.wstmts {
		st.Close()
	}
	s.wconn.Close()
	s.wconn = nil
}

// saveOne decides and writes one scorecard inside the batch transaction.
// Statements run without a cancellable context: the transaction's own
// context bounds them, and the driver then needs no watcher per statement.
func (w *writeStmts) saveOne(sc *Scorecard, envelope []byte) (Outcome, error) {
	var last, revoked int64
	err := w.agent.QueryRow(sc.AgentID).Scan(&last, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	if revoked != 0 {
		return 0, ErrRevoked
	}
	d := sc.DomainScores
	args := []any{sc.AgentID, sc.ID, int64(sc.Sequence), toDB(sc.ReceivedAt), toDB(sc.StartedAt), toDB(sc.FinishedAt), sc.Score, sc.Level, b2i(sc.Capped),
		d[0], d[1], d[2], d[3], d[4], d[5], strings.Join(sc.Failed, " "), sc.Hostname, sc.OS, sc.Platform, sc.AgentVersion}
	if int64(sc.Sequence) <= last {
		// Either this very scorecard again (harmless) or a replay.
		var n int
		if err := w.exists.QueryRow(sc.AgentID, sc.ID).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return Duplicate, nil
		}
		return Replayed, nil
	}
	res, err := w.insert.Exec(append(args, envelope)...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Duplicate, nil
	}
	if _, err := w.latest.Exec(args...); err != nil {
		return 0, err
	}
	if _, err := w.update.Exec(int64(sc.Sequence), toDB(sc.ReceivedAt), sc.AgentVersion, sc.AgentVersion, sc.AgentID); err != nil {
		return 0, err
	}
	return Stored, nil
}

const scorecardCols = `agent_id, id, seq, received_at, started_at, finished_at, score, level, capped,
	d_patch, d_backup, d_hygiene, d_tls, d_dns, d_organisation, failed, hostname, os, platform, agent_version`

func scorecardDest(sc *Scorecard, tmp *[5]int64, failed *string) []any {
	d := &sc.DomainScores
	return []any{&sc.AgentID, &sc.ID, &tmp[0], &tmp[1], &tmp[2], &tmp[3], &sc.Score, &sc.Level, &tmp[4],
		&d[0], &d[1], &d[2], &d[3], &d[4], &d[5], failed, &sc.Hostname, &sc.OS, &sc.Platform, &sc.AgentVersion}
}

func finishScorecard(sc *Scorecard, tmp [5]int64, failed string) {
	sc.Sequence = uint64(tmp[0])
	sc.ReceivedAt, sc.StartedAt, sc.FinishedAt = fromDB(tmp[1]), fromDB(tmp[2]), fromDB(tmp[3])
	sc.Capped = tmp[4] != 0
	sc.Failed = strings.Fields(failed)
}

func (s *sqlStore) Scorecard(ctx context.Context, agentID, id string) (*Scorecard, error) {
	sc := &Scorecard{}
	var tmp [5]int64
	var failed string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT `+scorecardCols+`, envelope FROM scorecards WHERE agent_id = ? AND id = ?`), agentID, id).
		Scan(append(scorecardDest(sc, &tmp, &failed), &sc.Envelope)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	finishScorecard(sc, tmp, failed)
	if sc.Envelope, err = expandEnvelope(sc.Envelope); err != nil {
		return nil, fmt.Errorf("scorecard %s of agent %s: %w", id, agentID, err)
	}
	return sc, nil
}

func (s *sqlStore) LatestScorecard(ctx context.Context, agentID string) (*Scorecard, error) {
	var id string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM latest WHERE agent_id = ?`), agentID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.Scorecard(ctx, agentID, id)
}

func (s *sqlStore) History(ctx context.Context, agentID string, limit int) ([]Point, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT agent_id, id, seq, finished_at, received_at, score, level FROM scorecards
		WHERE agent_id = ? ORDER BY seq DESC LIMIT ?`), agentID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Point
	for rows.Next() {
		var p Point
		var seq, fin, rec int64
		if err := rows.Scan(&p.AgentID, &p.ID, &seq, &fin, &rec, &p.Score, &p.Level); err != nil {
			return nil, err
		}
		p.Sequence, p.FinishedAt, p.ReceivedAt = uint64(seq), fromDB(fin), fromDB(rec)
		out = append(out, p)
	}
	slices.Reverse(out)
	return out, rows.Err()
}

func (s *sqlStore) Hosts(ctx context.Context, f HostFilter) ([]HostRow, error) {
	query := `SELECT ` + agentCols + `, CASE WHEN l.agent_id IS NULL THEN 0 ELSE 1 END,
		COALESCE(l.agent_id, ''), COALESCE(l.id, ''), COALESCE(l.seq, 0), COALESCE(l.received_at, 0), COALESCE(l.started_at, 0),
		COALESCE(l.finished_at, 0), COALESCE(l.score, 0), COALESCE(l.level, 0), COALESCE(l.capped, 0),
		COALESCE(l.d_patch, -1), COALESCE(l.d_backup, -1), COALESCE(l.d_hygiene, -1), COALESCE(l.d_tls, -1), COALESCE(l.d_dns, -1),
		COALESCE(l.d_organisation, -1), COALESCE(l.failed, ''), COALESCE(l.hostname, ''), COALESCE(l.os, ''), COALESCE(l.platform, ''),
		COALESCE(l.agent_version, '')
		FROM agents a JOIN entities e ON e.id = a.entity_id LEFT JOIN latest l ON l.agent_id = a.id`
	var where []string
	var args []any
	if f.EntityID != 0 {
		where = append(where, "a.entity_id = ?")
		args = append(args, f.EntityID)
	}
	if !f.IncludeRevoked {
		where = append(where, "a.revoked_at = 0")
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY e.name, a.hostname, a.id"
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HostRow
	for rows.Next() {
		sc := &Scorecard{}
		var tmp [5]int64
		var failed string
		var has int
		a, err := scanAgent(rows, append([]any{&has}, scorecardDest(sc, &tmp, &failed)...)...)
		if err != nil {
			return nil, err
		}
		row := HostRow{Agent: a}
		if has == 1 {
			finishScorecard(sc, tmp, failed)
			row.Latest = sc
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// ---- users, sessions, audit ----

func (s *sqlStore) CreateUser(ctx context.Context, u User) (User, error) {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if u.Email == "" || u.PasswordHash == "" {
		return u, errors.New("user: e-mail and password required")
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		return u, err
	}
	if _, err := s.UserByEmail(ctx, u.Email); err == nil {
		return u, ErrExists
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO users (email, role, password_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		u.Email, string(u.Role), u.PasswordHash, toDB(u.CreatedAt), b2i(u.Disabled)).Scan(&u.ID)
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") {
		return u, ErrExists
	}
	return u, err
}

const userCols = `u.id, u.email, u.role, u.password_hash, u.created_at, u.disabled`

func scanUser(sc interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var created int64
	var disabled int
	var role string
	if err := sc.Scan(append([]any{&u.ID, &u.Email, &role, &u.PasswordHash, &created, &disabled}, extra...)...); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.Disabled = Role(role), fromDB(created), disabled != 0
	return u, nil
}

func (s *sqlStore) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users u WHERE u.email = ?`), strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

func (s *sqlStore) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users u ORDER BY u.email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *sqlStore) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET disabled = ? WHERE id = ?`), b2i(disabled), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if disabled {
		_, err = s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), id)
	}
	return err
}

func (s *sqlStore) CreateSession(ctx context.Context, se Session) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
		se.Hash, se.UserID, se.CSRF, toDB(se.CreatedAt), toDB(se.ExpiresAt))
	if err == nil {
		// Expired sessions are swept on each login rather than by a timer.
		_, err = s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_at < ?`), toDB(se.CreatedAt))
	}
	return err
}

func (s *sqlStore) SessionUser(ctx context.Context, hash []byte, at time.Time) (Session, User, error) {
	var se Session
	var created, expires int64
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+`, s.hash, s.csrf, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`), hash), &se.Hash, &se.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, u, ErrNotFound
	}
	if err != nil {
		return se, u, err
	}
	se.UserID, se.CreatedAt, se.ExpiresAt = u.ID, fromDB(created), fromDB(expires)
	if !at.Before(se.ExpiresAt) || u.Disabled {
		return se, u, ErrNotFound
	}
	return se, u, nil
}

func (s *sqlStore) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE hash = ?`), hash)
	return err
}

func (s *sqlStore) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`),
		toDB(e.At), e.Actor, e.Action, e.Target, e.Detail)
	return err
}

func (s *sqlStore) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 200
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromDB(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Import writes scs in one transaction through the writer's statements. It
// takes turns with the group committer on the writer's connection.
func (s *sqlStore) Import(ctx context.Context, scs []*Scorecard) ([]Outcome, error) {
	outs := make([]Outcome, len(scs))
	err := s.writeTx(func(w *writeStmts) error {
		for i, sc := range scs {
			if err := ctx.Err(); err != nil {
				return err
			}
			o, err := w.saveOne(sc, packEnvelope(sc))
			if err != nil {
				return fmt.Errorf("scorecard %s/%s: %w", sc.AgentID, sc.ID, err)
			}
			outs[i] = o
		}
		return nil
	})
	return outs, err
}
