package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The group-commit writer: every scorecard is saved through it.

func (s *sqlStore) HasScorecard(ctx context.Context, agentID, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM scorecards WHERE agent_id = ? AND id = ?`), agentID, id).Scan(&n)
	return n > 0, err
}

type saveReq struct {
	sc     *Scorecard
	stored []byte // sc.Envelope packed (compress.go)
	inv    []byte // sc.NewInventory packed (inventory.go)
	assets string // sc.Assets as stored
	done   chan saveRes
}

func newSaveReq(sc *Scorecard) saveReq {
	r := saveReq{sc: sc, stored: packEnvelope(sc), assets: encodeAssets(sc.Assets), done: make(chan saveRes, 1)}
	if sc.NewInventory != nil {
		r.inv = packInventory(sc.NewInventory.Canonical)
	}
	return r
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
	r := newSaveReq(sc)
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
	if s.pg && !slices.ContainsFunc(batch, func(r saveReq) bool { return r.sc.Late }) {
		outs, err = s.commitBatchPG(batch)
	} else {
		outs = make([]saveRes, len(batch))
		err = s.writeTx(func(w *writeStmts) error {
			for i, r := range batch {
				o, err := w.saveOne(r)
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
	agent, insert, latest, update, exists, invInsert, invLookup, seqTaken *sql.Stmt
}

// The writer's statements are prepared once on a connection it keeps, so
// each scorecard costs four executions and no SQL parsing. SQLite's group
// commit and Import use them; PostgreSQL's group commit sends one
// statement per scorecard in a pipeline instead (pgwrite.go), except for a
// batch holding a Late scorecard (vigie-hub import, rare), which takes these.
var writeSQL = [8]string{
	`SELECT last_seq, revoked_at, inventory_id, inventory_claimed, COALESCE((SELECT id FROM inventories WHERE sha256 = ?), 0) FROM agents WHERE id = ?`,
	`INSERT INTO scorecards (` + scorecardCols + `, inventory_id, envelope)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, id) DO NOTHING`,
	`INSERT INTO latest (` + scorecardCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (agent_id) DO UPDATE SET id = excluded.id, seq = excluded.seq, received_at = excluded.received_at,
			started_at = excluded.started_at, finished_at = excluded.finished_at, score = excluded.score, level = excluded.level,
			capped = excluded.capped, d_patch = excluded.d_patch, d_backup = excluded.d_backup, d_hygiene = excluded.d_hygiene,
			d_tls = excluded.d_tls, d_dns = excluded.d_dns, d_organisation = excluded.d_organisation, failed = excluded.failed,
			hostname = excluded.hostname, os = excluded.os, platform = excluded.platform, agent_version = excluded.agent_version,
			d_other = excluded.d_other`,
	`UPDATE agents SET last_seq = ?, last_seen = ?, agent_version = CASE WHEN ? = '' THEN agent_version ELSE ? END,
		inventory_id = CASE WHEN ? = 0 THEN inventory_id ELSE ? END, inventory_claimed = CASE WHEN ? = 0 THEN inventory_claimed ELSE ? END,
		assets = ? WHERE id = ?`,
	`SELECT COUNT(*) FROM scorecards WHERE agent_id = ? AND id = ?`,
	`INSERT INTO inventories (sha256, packages, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
	`SELECT id FROM inventories WHERE sha256 = ?`,
	`SELECT COUNT(*) FROM scorecards WHERE agent_id = ? AND seq = ?`,
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
		var st [len(writeSQL)]*sql.Stmt
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
		for i, p := range []**sql.Stmt{&w.agent, &w.insert, &w.latest, &w.update, &w.exists, &w.invInsert, &w.invLookup, &w.seqTaken} {
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
func (w *writeStmts) saveOne(r saveReq) (Outcome, error) {
	sc := r.sc
	var last, revoked, curInv, named int64
	var claimed string
	// The inventory the scorecard names is looked up with the agent, in
	// the same statement: the common upload costs no statement more.
	err := w.agent.QueryRow(sc.Inventory, sc.AgentID).Scan(&last, &revoked, &curInv, &claimed, &named)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	if revoked != 0 {
		return 0, ErrRevoked
	}
	args := scorecardArgs(sc)
	if int64(sc.Sequence) <= last {
		// Either this very scorecard again (harmless) or a replay.
		var n int
		if err := w.exists.QueryRow(sc.AgentID, sc.ID).Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return Duplicate, nil
		}
		if !sc.Late {
			return Replayed, nil
		}
		return w.saveHistory(r, args, named, curInv, claimed)
	}
	inv, err := w.resolveInventory(sc, r.inv, named, curInv, claimed)
	if err != nil {
		return 0, err
	}
	res, err := w.insert.Exec(append(args, inv, r.stored)...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Duplicate, nil
	}
	if _, err := w.latest.Exec(args...); err != nil {
		return 0, err
	}
	if _, err := w.update.Exec(int64(sc.Sequence), toDB(sc.ReceivedAt), sc.AgentVersion, sc.AgentVersion,
		inv, inv, inv, sc.Inventory, r.assets, sc.AgentID); err != nil {
		return 0, err
	}
	sc.InventoryID, sc.InventoryMissing = inv, sc.Inventory != "" && inv == 0
	return Stored, nil
}

// saveHistory keeps a Late scorecard older than the agent's latest in its
// history only: no latest row, no agent update. A sequence another
// scorecard of the agent already holds is a replay: one sequence number is
// one scorecard. The inventory it carries is stored (a later scorecard may
// name it); the one it names is resolved as for any scorecard.
func (w *writeStmts) saveHistory(r saveReq, args []any, named, curInv int64, claimed string) (Outcome, error) {
	sc := r.sc
	var n int
	if err := w.seqTaken.QueryRow(sc.AgentID, int64(sc.Sequence)).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return Replayed, nil
	}
	inv, err := w.resolveInventory(sc, r.inv, named, curInv, claimed)
	if err != nil {
		return 0, err
	}
	res, err := w.insert.Exec(append(args, inv, r.stored)...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Duplicate, nil
	}
	sc.InventoryID = inv
	return History, nil
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
			o, err := w.saveOne(newSaveReq(sc))
			if err != nil {
				return fmt.Errorf("scorecard %s/%s: %w", sc.AgentID, sc.ID, err)
			}
			outs[i] = o
		}
		return nil
	})
	return outs, err
}
