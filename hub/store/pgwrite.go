package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL the group commit was limited by round trips, not by CPU:
// saving a scorecard with writeStmts takes four statements, each waiting
// for the server, so a batch of 40 waited 160 times (measured on 2 CPUs:
// 1,200-1,600 workstation scorecards/s, the hub using 490-640 µs of CPU
// each). pgSaveSQL decides and writes one scorecard in a single statement,
// and commitBatchPG sends a whole batch of them in one pipeline (pgx.Batch):
// three round trips per batch, BEGIN, the statements, COMMIT (measured:
// 2,200-2,700/s, 250-290 µs of hub CPU each; the PostgreSQL server, on the
// same 2 CPUs, is then the limit).
//
// The statement makes the same decisions as writeStmts.saveOne, in the same
// order: the agent row is locked (FOR UPDATE, as saveOne's SELECT); nothing
// is written for an unknown or revoked agent or a sequence not above the
// last; the scorecard is inserted unless its ID is already stored; the
// latest scorecard and the agent's last sequence follow only an insert.
// All parts of one statement see the same snapshot, so the final count is
// of the rows stored before it (a duplicate), never of its own insert; each
// statement sees the previous ones of the batch (same transaction), so two
// scorecards of one agent in a batch are decided in sequence order.
//
// The inventory the scorecard names is resolved as resolveInventory does:
// $23 is the name looked up (the new inventory's, inserted by a statement
// queued just before, or the one the agent gave), $24 whether the agent's
// own earlier name may answer (no new inventory), $25 the agent's name,
// $26 its declared assets.
const pgSaveSQL = `WITH a AS (
	SELECT last_seq, revoked_at, inventory_id, inventory_claimed FROM agents WHERE id = $1 FOR UPDATE
), inv AS (
	SELECT COALESCE((SELECT id FROM inventories WHERE $23 <> '' AND sha256 = $23),
		(SELECT a.inventory_id FROM a WHERE $23 <> '' AND $24::boolean AND a.inventory_claimed = $23), 0) AS id
), ins AS (
	INSERT INTO scorecards (agent_id, id, seq, received_at, started_at, finished_at, score, level, capped,
		d_patch, d_backup, d_hygiene, d_tls, d_dns, d_organisation, failed, hostname, os, platform, agent_version, d_other, envelope, inventory_id)
	SELECT $1, $2, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::integer, $8::integer, $9::integer,
		$10::integer, $11::integer, $12::integer, $13::integer, $14::integer, $15::integer, $16, $17, $18, $19, $20, $21, $22::bytea,
		(SELECT id FROM inv)
	FROM a WHERE a.revoked_at = 0 AND a.last_seq < $3::bigint
	ON CONFLICT (agent_id, id) DO NOTHING
	RETURNING agent_id
), lat AS (
	INSERT INTO latest (agent_id, id, seq, received_at, started_at, finished_at, score, level, capped,
		d_patch, d_backup, d_hygiene, d_tls, d_dns, d_organisation, failed, hostname, os, platform, agent_version, d_other)
	SELECT $1, $2, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::integer, $8::integer, $9::integer,
		$10::integer, $11::integer, $12::integer, $13::integer, $14::integer, $15::integer, $16, $17, $18, $19, $20, $21
	FROM ins
	ON CONFLICT (agent_id) DO UPDATE SET id = excluded.id, seq = excluded.seq, received_at = excluded.received_at,
		started_at = excluded.started_at, finished_at = excluded.finished_at, score = excluded.score, level = excluded.level,
		capped = excluded.capped, d_patch = excluded.d_patch, d_backup = excluded.d_backup, d_hygiene = excluded.d_hygiene,
		d_tls = excluded.d_tls, d_dns = excluded.d_dns, d_organisation = excluded.d_organisation, failed = excluded.failed,
		hostname = excluded.hostname, os = excluded.os, platform = excluded.platform, agent_version = excluded.agent_version,
		d_other = excluded.d_other
), upd AS (
	UPDATE agents SET last_seq = $3::bigint, last_seen = $4::bigint,
		agent_version = CASE WHEN $20 = '' THEN agent_version ELSE $20 END,
		inventory_id = CASE WHEN (SELECT id FROM inv) = 0 THEN inventory_id ELSE (SELECT id FROM inv) END,
		inventory_claimed = CASE WHEN (SELECT id FROM inv) = 0 THEN inventory_claimed ELSE $25 END,
		assets = $26
	WHERE id = $1 AND EXISTS (SELECT 1 FROM ins)
)
SELECT (SELECT count(*) FROM a), COALESCE((SELECT last_seq FROM a), 0), COALESCE((SELECT revoked_at FROM a), 0),
	(SELECT count(*) FROM ins), (SELECT count(*) FROM scorecards WHERE agent_id = $1 AND id = $2), (SELECT id FROM inv)`

// pgInventorySQL stores a new inventory ahead of the scorecard naming it.
const pgInventorySQL = `INSERT INTO inventories (sha256, packages, data, created_at) VALUES ($1, $2::integer, $3::bytea, $4::bigint)
	ON CONFLICT (sha256) DO NOTHING`

// pgOutcome turns the statement's answer into saveOne's outcome.
func pgOutcome(seq uint64, found, last, revoked, inserted, existing int64) (Outcome, error) {
	switch {
	case found == 0:
		return 0, ErrNotFound
	case revoked != 0:
		return 0, ErrRevoked
	case int64(seq) <= last:
		if existing > 0 {
			return Duplicate, nil
		}
		return Replayed, nil
	case inserted == 0:
		return Duplicate, nil // this ID already stored under another sequence
	}
	return Stored, nil
}

// commitBatchPG writes batch in one transaction of one pipeline on the
// writer's connection and returns each save's outcome.
func (s *sqlStore) commitBatchPG(batch []saveReq) ([]saveRes, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.pconn == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		s.pconn = c
	}
	outs := make([]saveRes, len(batch))
	err := s.pconn.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) // no effect after Commit
		b := &pgx.Batch{}
		invs := make([]int64, len(batch))
		for _, r := range batch {
			name, own := r.sc.Inventory, true
			if n := r.sc.NewInventory; n != nil && name != "" {
				b.Queue(pgInventorySQL, n.SHA256, n.Packages, r.inv, toDB(r.sc.ReceivedAt))
				name, own = n.SHA256, false
			}
			b.Queue(pgSaveSQL, append(scorecardArgs(r.sc), r.stored, name, own, r.sc.Inventory, r.assets)...)
		}
		res := tx.SendBatch(ctx, b)
		for i, r := range batch {
			if r.sc.NewInventory != nil && r.sc.Inventory != "" {
				if _, err := res.Exec(); err != nil {
					res.Close()
					return fmt.Errorf("inventory of scorecard %s/%s: %w", r.sc.AgentID, r.sc.ID, err)
				}
			}
			var found, last, revoked, inserted, existing int64
			if err := res.QueryRow().Scan(&found, &last, &revoked, &inserted, &existing, &invs[i]); err != nil {
				res.Close()
				return fmt.Errorf("scorecard %s/%s: %w", r.sc.AgentID, r.sc.ID, err)
			}
			o, err := pgOutcome(r.sc.Sequence, found, last, revoked, inserted, existing)
			outs[i] = saveRes{o, err}
		}
		if err := res.Close(); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		for i, r := range batch {
			if outs[i].out == Stored {
				r.sc.InventoryID, r.sc.InventoryMissing = invs[i], r.sc.Inventory != "" && invs[i] == 0
			}
		}
		return nil
	})
	if err != nil {
		// The connection may be broken: the next batch takes a new one.
		s.pconn.Close()
		s.pconn = nil
		return nil, err
	}
	return outs, nil
}
