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
