package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigie-cyber/vigie/protocol"
)

// Software inventories and declared assets (issue 15).
//
// An agent sends its full inventory only when it changed, every 7 days, or
// when asked; otherwise its scorecard names it by software_sha256 alone.
// The hub keeps each distinct inventory once (table inventories), named by
// the hash of its canonical form as the hub computed it, never as the agent
// claimed it: inventories are shared between hosts, so a name must not let
// one agent put its list under another's. A newer agent whose added fields
// make its hash differ from the hub's is still served: the agent row keeps
// the name the agent gave (inventory_claimed) beside the inventory it
// resolved to, and a later scorecard giving that name alone resolves to it
// for that agent only.
//
// The writes stay in the group commit: a scorecard costs one indexed
// lookup more (the name), and the rare scorecard that brings a new
// inventory one insert of its compressed form (tens of kilobytes), made
// and compressed in the uploading request's goroutine.

// NewInventory is an inventory a scorecard carried, in canonical form.
type NewInventory struct {
	SHA256    string // protocol.HashCanonical(Canonical)
	Canonical []byte // protocol.CanonicalSoftware of its packages
	Packages  int
}

// Inventory is a stored inventory.
type Inventory struct {
	ID       int64
	SHA256   string
	Packages []protocol.Package
	// CreatedAt is when the hub first received it, from any host.
	CreatedAt time.Time
}

// HostInventory is what the host page shows of a host's software: the
// inventory of the scorecard shown (or the host's current one) and the
// previous distinct one it reported, nil when there is none.
type HostInventory struct {
	Current, Previous *Inventory
	// Stale is set when the scorecard shown named an inventory the hub
	// did not hold: Current is then the last one it held for the host.
	Stale bool
}

// DeclaredAsset is an appliance declared by an agent's configuration
// (AgentID and Host set) or by an adviser for the entity (ID set).
type DeclaredAsset struct {
	protocol.Asset
	ID        int64
	EntityID  int64
	AgentID   string
	Host      string
	CreatedAt time.Time
	CreatedBy string
}

// PruneResult counts what Prune deleted.
type PruneResult struct {
	Scorecards, Inventories int
}

// Inventories is the part of Store that keeps software inventories and
// declared assets.
type Inventories interface {
	// HasInventory reports whether the hub holds the inventory the hub
	// names sha256 (so that an upload repeating it need not be decoded).
	HasInventory(ctx context.Context, sha256 string) (bool, error)
	// HostInventory returns the inventory of the agent's scorecard
	// scorecardID, or its current one when scorecardID is empty, and the
	// previous distinct one. ErrNotFound: no such agent or scorecard.
	HostInventory(ctx context.Context, agentID, scorecardID string) (HostInventory, error)
	// DeclaredAssets lists the entity's appliances: those its agents
	// declare (revoked agents left out) then those advisers declared.
	DeclaredAssets(ctx context.Context, entityID int64) ([]DeclaredAsset, error)
	// AddEntityAssets declares assets for the entity, leaving out those
	// already declared identically; it returns how many it added.
	AddEntityAssets(ctx context.Context, entityID int64, assets []protocol.Asset, by string, at time.Time) (int, error)
	// DeleteEntityAsset removes an adviser-declared asset of the entity.
	DeleteEntityAsset(ctx context.Context, entityID, id int64) (protocol.Asset, error)
	// Prune deletes the scorecards received before before (each agent's
	// latest is kept whatever its age), then the inventories no scorecard
	// and no agent names any more.
	Prune(ctx context.Context, before time.Time) (PruneResult, error)
}

var (
	zeonce sync.Once
	zenc   *zstd.Encoder
)

// packInventory compresses a canonical inventory. zstd, not S2 as for
// envelopes: an inventory is written once and kept for months, and zstd
// makes it about twice smaller (TestInventoryCompression).
func packInventory(canonical []byte) []byte {
	zeonce.Do(func() {
		var err error
		zenc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err) // only invalid options fail
		}
	})
	return zenc.EncodeAll(canonical, nil)
}

func unpackInventory(data []byte) ([]protocol.Package, error) {
	canonical, err := zstdDecoder().DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("stored inventory unreadable: %w", err)
	}
	var pkgs []protocol.Package
	if err := json.Unmarshal(canonical, &pkgs); err != nil {
		return nil, fmt.Errorf("stored inventory unreadable: %w", err)
	}
	return pkgs, nil
}

// encodeAssets is the agents.assets column: the assets as JSON, empty for
// none.
func encodeAssets(assets []protocol.Asset) string {
	if len(assets) == 0 {
		return ""
	}
	b, _ := json.Marshal(assets) // strings only
	return string(b)
}

// resolveInventory decides which stored inventory a scorecard names, in the
// writer's transaction: the one it brought, else the one held under that
// name (named, looked up with the agent), else, for the same agent, the
// one its earlier scorecard gave under that name (a newer agent's hash).
func (w *writeStmts) resolveInventory(sc *Scorecard, packed []byte, named, curID int64, claimed string) (int64, error) {
	n := sc.NewInventory
	switch {
	case sc.Inventory == "":
		return 0, nil
	case n == nil && named != 0:
		return named, nil
	case n == nil && claimed == sc.Inventory:
		return curID, nil
	case n == nil:
		return 0, nil
	}
	if _, err := w.invInsert.Exec(n.SHA256, n.Packages, packed, toDB(sc.ReceivedAt)); err != nil {
		return 0, err
	}
	var id int64
	if err := w.invLookup.QueryRow(n.SHA256).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

func (s *sqlStore) HasInventory(ctx context.Context, sha256 string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM inventories WHERE sha256 = ?`), sha256).Scan(&n)
	return n > 0, err
}

func (s *sqlStore) inventory(ctx context.Context, id int64) (*Inventory, error) {
	inv := &Inventory{ID: id}
	var data []byte
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT sha256, data, created_at FROM inventories WHERE id = ?`), id).Scan(&inv.SHA256, &data, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // pruned meanwhile
	}
	if err != nil {
		return nil, err
	}
	inv.CreatedAt = fromDB(created)
	if inv.Packages, err = unpackInventory(data); err != nil {
		return nil, fmt.Errorf("inventory %s: %w", inv.SHA256, err)
	}
	return inv, nil
}

func (s *sqlStore) HostInventory(ctx context.Context, agentID, scorecardID string) (HostInventory, error) {
	var cur, seq int64
	var r HostInventory
	err := s.db.QueryRowContext(ctx, s.q(`SELECT inventory_id FROM agents WHERE id = ?`), agentID).Scan(&cur)
	if err == nil {
		seq = math.MaxInt64
		if scorecardID != "" {
			var own int64
			err = s.db.QueryRowContext(ctx, s.q(`SELECT inventory_id, seq FROM scorecards WHERE agent_id = ? AND id = ?`), agentID, scorecardID).Scan(&own, &seq)
			if own != 0 {
				cur = own
			} else {
				// Named an inventory the hub did not hold: show the last
				// one held before it.
				r.Stale = true
				err2 := s.db.QueryRowContext(ctx, s.q(`SELECT inventory_id FROM scorecards WHERE agent_id = ? AND seq < ? AND inventory_id <> 0
					ORDER BY seq DESC LIMIT 1`), agentID, seq).Scan(&cur)
				if errors.Is(err2, sql.ErrNoRows) {
					cur = 0
				} else if err2 != nil {
					return r, err2
				}
			}
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil || cur == 0 {
		return r, err
	}
	if r.Current, err = s.inventory(ctx, cur); err != nil {
		return r, err
	}
	var prev int64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT inventory_id FROM scorecards WHERE agent_id = ? AND seq < ? AND inventory_id <> 0 AND inventory_id <> ?
		ORDER BY seq DESC LIMIT 1`), agentID, seq, cur).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.Previous, err = s.inventory(ctx, prev)
	return r, err
}

func (s *sqlStore) DeclaredAssets(ctx context.Context, entityID int64) ([]DeclaredAsset, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, hostname, assets, last_seen FROM agents
		WHERE entity_id = ? AND revoked_at = 0 AND assets <> '' ORDER BY hostname, id`), entityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeclaredAsset
	for rows.Next() {
		var id, host, js string
		var seen int64
		if err := rows.Scan(&id, &host, &js, &seen); err != nil {
			return nil, err
		}
		var assets []protocol.Asset
		if err := json.Unmarshal([]byte(js), &assets); err != nil {
			return nil, fmt.Errorf("assets of agent %s: %w", id, err)
		}
		for _, a := range assets {
			out = append(out, DeclaredAsset{Asset: a, EntityID: entityID, AgentID: id, Host: host, CreatedAt: fromDB(seen)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT id, vendor, product, version, name, created_at, created_by FROM entity_assets
		WHERE entity_id = ? ORDER BY vendor, product, name, id`), entityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		d := DeclaredAsset{EntityID: entityID}
		var at int64
		if err := rows.Scan(&d.ID, &d.Vendor, &d.Product, &d.Version, &d.Name, &at, &d.CreatedBy); err != nil {
			return nil, err
		}
		d.CreatedAt = fromDB(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *sqlStore) AddEntityAssets(ctx context.Context, entityID int64, assets []protocol.Asset, by string, at time.Time) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM entities WHERE id = ?`), entityID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		for _, a := range assets {
			err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM entity_assets WHERE entity_id = ? AND vendor = ? AND product = ? AND version = ? AND name = ?`),
				entityID, a.Vendor, a.Product, a.Version, a.Name).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO entity_assets (entity_id, vendor, product, version, name, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				entityID, a.Vendor, a.Product, a.Version, a.Name, toDB(at), by); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

func (s *sqlStore) DeleteEntityAsset(ctx context.Context, entityID, id int64) (protocol.Asset, error) {
	var a protocol.Asset
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`SELECT vendor, product, version, name FROM entity_assets WHERE id = ? AND entity_id = ?`), id, entityID).
			Scan(&a.Vendor, &a.Product, &a.Version, &a.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM entity_assets WHERE id = ?`), id)
		return err
	})
	return a, err
}

// pruneChunk bounds one deleting transaction, so that uploads committing
// meanwhile wait for a short one at most.
const pruneChunk = 500

func (s *sqlStore) Prune(ctx context.Context, before time.Time) (PruneResult, error) {
	var r PruneResult
	cut := toDB(before)
	for {
		// The latest scorecard of each agent stays: it is what the
		// overview and the host page show of a host silent for long.
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM scorecards WHERE (agent_id, id) IN (
			SELECT c.agent_id, c.id FROM scorecards c WHERE c.received_at < ?
			AND NOT EXISTS (SELECT 1 FROM latest l WHERE l.agent_id = c.agent_id AND l.id = c.id) LIMIT ?)`), cut, pruneChunk)
		if err != nil {
			return r, fmt.Errorf("prune scorecards: %w", err)
		}
		n, _ := res.RowsAffected()
		r.Scorecards += int(n)
		if n < pruneChunk {
			break
		}
	}
	// An inventory made after the cut is named by a scorecard kept (or is
	// being named by one committing now): only older ones are candidates.
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inventories WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM scorecards c WHERE c.inventory_id = inventories.id)
		AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.inventory_id = inventories.id)`), cut)
	if err != nil {
		return r, fmt.Errorf("prune inventories: %w", err)
	}
	n, _ := res.RowsAffected()
	r.Inventories = int(n)
	return r, nil
}
