package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// CERT-FR advisories (issue 16). The store keeps each document as it was
// published, its latest revision only; parsing and matching belong to
// hub/advisory.

// AdvisoryRecord is one stored advisory or alert.
type AdvisoryRecord struct {
	Reference  string // CERTFR-2025-AVI-0001
	Kind       string // avis, alerte
	Title      string
	Published  time.Time
	Revised    time.Time // latest revision date
	Revisions  int       // number of revisions (two can share a day)
	Raw        []byte    // the JSON document exactly as published
	ImportedAt time.Time
}

// Advisories is the part of Store that keeps advisories.
type Advisories interface {
	// AdvisoryStamp returns the revision date and count of the stored
	// copy of ref; ok is false when there is none.
	AdvisoryStamp(ctx context.Context, ref string) (revised time.Time, revisions int, ok bool, err error)
	// PutAdvisory stores r unless a copy at least as new is stored
	// (compared by revision date, then number of revisions), decided
	// atomically; stored says whether r was written.
	PutAdvisory(ctx context.Context, r AdvisoryRecord) (stored bool, err error)
	// Advisory returns the stored copy of ref. ErrNotFound when none.
	Advisory(ctx context.Context, ref string) (AdvisoryRecord, error)
	// AdvisoriesSince lists the advisories revised at or after since (all
	// when since is zero), latest revision first, with their documents.
	AdvisoriesSince(ctx context.Context, since time.Time) ([]AdvisoryRecord, error)
	// AdvisoriesImported lists the advisories written after after (by
	// ImportedAt), oldest write first: what another process (the CLI)
	// imported while the hub runs.
	AdvisoriesImported(ctx context.Context, after time.Time) ([]AdvisoryRecord, error)

	// What the matcher reads of the hosts and entities (beside the
	// scorecards' facts).

	// AgentInventory returns the ID of the stored inventory the agent's
	// scorecards last resolved to (0: none held), without decoding it.
	AgentInventory(ctx context.Context, agentID string) (int64, error)
	// InventoryByID returns a stored inventory. ErrNotFound: pruned.
	InventoryByID(ctx context.Context, id int64) (*Inventory, error)
	// AdviserAssets lists every entity's adviser-declared assets (not the
	// agents'), by entity, with the entity's name and sector.
	AdviserAssets(ctx context.Context) ([]EntityAsset, error)
	// AgentsSeenSince lists the agents not revoked whose latest scorecard
	// arrived after after: what another process (vigie-hub import) stored
	// while the hub runs.
	AgentsSeenSince(ctx context.Context, after time.Time) ([]string, error)
}

// EntityAsset is an adviser-declared asset with its entity's name and
// sector (AdviserAssets).
type EntityAsset struct {
	DeclaredAsset
	Entity, Sector string
}

func (s *sqlStore) AdvisoryStamp(ctx context.Context, ref string) (time.Time, int, bool, error) {
	var rev int64
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT revised, revisions FROM advisories WHERE reference = ?`), ref).Scan(&rev, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, false, nil
	}
	if err != nil {
		return time.Time{}, 0, false, err
	}
	return fromDB(rev), n, true, nil
}

// The WHERE of the upsert keeps a newer stored copy: two imports racing on
// one reference leave the newest revision whatever their order.
const upsertAdvisory = `INSERT INTO advisories (reference, kind, title, published, revised, revisions, raw, imported_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (reference) DO UPDATE SET kind = excluded.kind, title = excluded.title, published = excluded.published,
		revised = excluded.revised, revisions = excluded.revisions, raw = excluded.raw, imported_at = excluded.imported_at
	WHERE excluded.revised > advisories.revised
		OR (excluded.revised = advisories.revised AND excluded.revisions > advisories.revisions)`

func (s *sqlStore) PutAdvisory(ctx context.Context, r AdvisoryRecord) (bool, error) {
	if r.Reference == "" {
		return false, errors.New("advisory: empty reference")
	}
	res, err := s.db.ExecContext(ctx, s.q(upsertAdvisory), r.Reference, r.Kind, r.Title, toDB(r.Published),
		toDB(r.Revised), r.Revisions, r.Raw, toDB(r.ImportedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

const advisoryColumns = `reference, kind, title, published, revised, revisions, raw, imported_at`

func scanAdvisory(sc interface{ Scan(...any) error }) (AdvisoryRecord, error) {
	var r AdvisoryRecord
	var pub, rev, imp int64
	err := sc.Scan(&r.Reference, &r.Kind, &r.Title, &pub, &rev, &r.Revisions, &r.Raw, &imp)
	r.Published, r.Revised, r.ImportedAt = fromDB(pub), fromDB(rev), fromDB(imp)
	return r, err
}

func (s *sqlStore) Advisory(ctx context.Context, ref string) (AdvisoryRecord, error) {
	r, err := scanAdvisory(s.db.QueryRowContext(ctx, s.q(`SELECT `+advisoryColumns+` FROM advisories WHERE reference = ?`), ref))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

func (s *sqlStore) AdvisoriesSince(ctx context.Context, since time.Time) ([]AdvisoryRecord, error) {
	return s.advisories(ctx, `WHERE revised >= ? ORDER BY revised DESC, reference DESC`, toDB(since))
}

func (s *sqlStore) AdvisoriesImported(ctx context.Context, after time.Time) ([]AdvisoryRecord, error) {
	return s.advisories(ctx, `WHERE imported_at > ? ORDER BY imported_at, reference`, toDB(after))
}

func (s *sqlStore) advisories(ctx context.Context, where string, args ...any) ([]AdvisoryRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+advisoryColumns+` FROM advisories `+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AdvisoryRecord
	for rows.Next() {
		r, err := scanAdvisory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) AgentInventory(ctx context.Context, agentID string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT inventory_id FROM agents WHERE id = ?`), agentID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

func (s *sqlStore) AgentsSeenSince(ctx context.Context, after time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM agents WHERE last_seen > ? AND revoked_at = 0 ORDER BY id`), toDB(after))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *sqlStore) InventoryByID(ctx context.Context, id int64) (*Inventory, error) {
	inv, err := s.inventory(ctx, id)
	if err == nil && inv == nil {
		return nil, ErrNotFound
	}
	return inv, err
}

func (s *sqlStore) AdviserAssets(ctx context.Context) ([]EntityAsset, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT a.id, a.entity_id, e.name, e.sector, a.vendor, a.product, a.version, a.name, a.created_at, a.created_by
		FROM entity_assets a JOIN entities e ON e.id = a.entity_id ORDER BY a.entity_id, a.id`))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EntityAsset
	for rows.Next() {
		var d EntityAsset
		var at int64
		if err := rows.Scan(&d.ID, &d.EntityID, &d.Entity, &d.Sector, &d.Vendor, &d.Product, &d.Version, &d.Name, &at, &d.CreatedBy); err != nil {
			return nil, err
		}
		d.CreatedAt = fromDB(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
