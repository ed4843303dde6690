package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Federation (issue 22, hub/federation): what a regional hub pushed to the
// national hub, and on the national hub the regions and their aggregates.
// The store keeps documents as received; building and checking them is
// hub/federation's job.

// Push is one aggregate a regional hub pushed to a national hub.
type Push struct {
	Target   string // the national hub's URL
	Day      string // AAAA-MM-JJ
	PushedAt time.Time
	// Complete: pushed after the day ended, so its figures are final and
	// the day is not pushed again.
	Complete bool
	SHA256   string
	Envelope []byte // the signed envelope sent (not read back by Pushes)
}

// Region is a regional hub registered on the national hub.
type Region struct {
	Name       string
	SigningKey string // its hub_signing_key (protocol.EncodePublicKey)
	KeyID      string // protocol.KeyID of the key, the envelope's keyid
	AddedAt    time.Time
	AddedBy    string
	RevokedAt  time.Time // zero unless revoked
	RevokedBy  string
}

// Revoked reports whether the region's pushes are refused.
func (r Region) Revoked() bool { return !r.RevokedAt.IsZero() }

// AggregateRecord is one region's day on the national hub.
type AggregateRecord struct {
	Region      string
	Day         string
	ReceivedAt  time.Time
	GeneratedAt time.Time
	Pushes      int // pushes received for this day, the duplicates included
	SHA256      string
	Document    []byte // the payload (JSON), as signed
	Envelope    []byte // not read back by LatestAggregates
	// Figures for the trends: published entities, entities with a
	// published level and the sum of their levels, cells withheld.
	Entities, LevelN, LevelSum, WithheldCells int
}

// AggregatePoint is a day of a region without its document (trends).
type AggregatePoint struct {
	Region                                    string
	Day                                       string
	Entities, LevelN, LevelSum, WithheldCells int
}

// PutOutcome is what PutAggregate did.
type PutOutcome int

const (
	AggregateNew       PutOutcome = iota + 1 // first document for the (region, day)
	AggregateReplaced                        // a different, newer document replaced the stored one
	AggregateDuplicate                       // the same document again: counted once
	AggregateStale                           // older than the stored one: nothing written
)

func (o PutOutcome) String() string {
	return [...]string{"?", "new", "replaced", "duplicate", "stale"}[o]
}

// Federation is the part of Store that keeps federation.
type Federation interface {
	// HostsAsOf is Hosts as it stood at t: the agents enrolled before t and
	// not revoked by then, each with its latest scorecard received before
	// t (without the envelope), under their entity's current name, sector.
	HostsAsOf(ctx context.Context, t time.Time) ([]HostRow, error)
	// RecordPush records (or replaces) what was pushed to p.Target for p.Day.
	RecordPush(ctx context.Context, p Push) error
	// Pushes lists what was pushed to target for the days from since on
	// (AAAA-MM-JJ, inclusive), by day, without envelopes.
	Pushes(ctx context.Context, target, since string) (map[string]Push, error)

	// AddRegion registers a region. ErrExists when its name or key is
	// already registered (revoked or not).
	AddRegion(ctx context.Context, r Region) error
	// RevokeRegion refuses the region's pushes from now on; its history is
	// kept. ErrNotFound for an unknown or already revoked region.
	RevokeRegion(ctx context.Context, name, by string, at time.Time) error
	Regions(ctx context.Context) ([]Region, error)
	// PutAggregate stores a region's day, decided atomically against the
	// stored one: the same SHA-256 is a duplicate (its push counted, the
	// day not), a different one generated no earlier replaces it, an
	// earlier one is stale.
	PutAggregate(ctx context.Context, r AggregateRecord) (PutOutcome, error)
	// LatestAggregates returns each region's latest day, with its document.
	LatestAggregates(ctx context.Context) ([]AggregateRecord, error)
	// AggregatePoints lists every region's days from since on, by day
	// then region (the order of the covering index that serves it).
	AggregatePoints(ctx context.Context, since string) ([]AggregatePoint, error)
	// AggregatesOn returns the regions' documents for one day.
	AggregatesOn(ctx context.Context, day string) ([]AggregateRecord, error)
}

func (s *sqlStore) HostsAsOf(ctx context.Context, t time.Time) ([]HostRow, error) {
	// Per agent, its latest scorecard before t: the (agent_id, seq) index
	// read backwards stops at the first one, a few rows for a recent day.
	query := `SELECT ` + agentCols + `, CASE WHEN l.agent_id IS NULL THEN 0 ELSE 1 END,
		COALESCE(l.agent_id, ''), COALESCE(l.id, ''), COALESCE(l.seq, 0), COALESCE(l.received_at, 0), COALESCE(l.started_at, 0),
		COALESCE(l.finished_at, 0), COALESCE(l.score, 0), COALESCE(l.level, 0), COALESCE(l.capped, 0),
		COALESCE(l.d_patch, -1), COALESCE(l.d_backup, -1), COALESCE(l.d_hygiene, -1), COALESCE(l.d_tls, -1), COALESCE(l.d_dns, -1),
		COALESCE(l.d_organisation, -1), COALESCE(l.failed, ''), COALESCE(l.hostname, ''), COALESCE(l.os, ''), COALESCE(l.platform, ''),
		COALESCE(l.agent_version, ''), COALESCE(l.d_other, '')
		FROM agents a JOIN entities e ON e.id = a.entity_id
		LEFT JOIN scorecards l ON l.agent_id = a.id AND l.seq = (SELECT x.seq FROM scorecards x
			WHERE x.agent_id = a.id AND x.received_at < ? ORDER BY x.seq DESC LIMIT 1)
		WHERE a.enrolled_at < ? AND (a.revoked_at = 0 OR a.revoked_at >= ?)
		ORDER BY e.name, a.hostname, a.id`
	at := toDB(t)
	rows, err := s.db.QueryContext(ctx, s.q(query), at, at, at)
	if err != nil {
		return nil, err
	}
	return scanHostRows(rows)
}

func (s *sqlStore) RecordPush(ctx context.Context, p Push) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO federation_pushes (target, day, pushed_at, complete, sha256, envelope) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, day) DO UPDATE SET pushed_at = excluded.pushed_at, complete = excluded.complete,
			sha256 = excluded.sha256, envelope = excluded.envelope`),
		p.Target, p.Day, toDB(p.PushedAt), b2i(p.Complete), p.SHA256, p.Envelope)
	return err
}

func (s *sqlStore) Pushes(ctx context.Context, target, since string) (map[string]Push, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT day, pushed_at, complete, sha256 FROM federation_pushes WHERE target = ? AND day >= ?`), target, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Push{}
	for rows.Next() {
		p := Push{Target: target}
		var at int64
		var complete int
		if err := rows.Scan(&p.Day, &at, &complete, &p.SHA256); err != nil {
			return nil, err
		}
		p.PushedAt, p.Complete = fromDB(at), complete != 0
		out[p.Day] = p
	}
	return out, rows.Err()
}

func (s *sqlStore) AddRegion(ctx context.Context, r Region) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO regions (name, signing_key, key_id, added_at, added_by) VALUES (?, ?, ?, ?, ?)`),
		r.Name, r.SigningKey, r.KeyID, toDB(r.AddedAt), r.AddedBy)
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") {
		return ErrExists
	}
	return err
}

func (s *sqlStore) RevokeRegion(ctx context.Context, name, by string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE regions SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at = 0`), toDB(at), by, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) Regions(ctx context.Context) ([]Region, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, signing_key, key_id, added_at, added_by, revoked_at, revoked_by FROM regions ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		var r Region
		var added, revoked int64
		if err := rows.Scan(&r.Name, &r.SigningKey, &r.KeyID, &added, &r.AddedBy, &revoked, &r.RevokedBy); err != nil {
			return nil, err
		}
		r.AddedAt, r.RevokedAt = fromDB(added), fromDB(revoked)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) PutAggregate(ctx context.Context, r AggregateRecord) (PutOutcome, error) {
	var out PutOutcome
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.pg {
			// Two pushes of one region's day at once: one after the other.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7316022, hashtext($1::text || '/' || $2::text))`, r.Region, r.Day); err != nil {
				return err
			}
		}
		var sum string
		var gen int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT sha256, generated_at FROM region_aggregates WHERE region = ? AND day = ?`), r.Region, r.Day).Scan(&sum, &gen)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out = AggregateNew
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO region_aggregates (region, day, received_at, generated_at, pushes, sha256, document, envelope,
				entities, level_n, level_sum, withheld_cells) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`),
				r.Region, r.Day, toDB(r.ReceivedAt), toDB(r.GeneratedAt), r.SHA256, string(r.Document), r.Envelope,
				r.Entities, r.LevelN, r.LevelSum, r.WithheldCells)
			return err
		case err != nil:
			return err
		case sum == r.SHA256:
			out = AggregateDuplicate
			_, err = tx.ExecContext(ctx, s.q(`UPDATE region_aggregates SET pushes = pushes + 1 WHERE region = ? AND day = ?`), r.Region, r.Day)
			return err
		case toDB(r.GeneratedAt) < gen:
			out = AggregateStale
			_, err = tx.ExecContext(ctx, s.q(`UPDATE region_aggregates SET pushes = pushes + 1 WHERE region = ? AND day = ?`), r.Region, r.Day)
			return err
		}
		out = AggregateReplaced
		_, err = tx.ExecContext(ctx, s.q(`UPDATE region_aggregates SET received_at = ?, generated_at = ?, pushes = pushes + 1, sha256 = ?, document = ?,
			envelope = ?, entities = ?, level_n = ?, level_sum = ?, withheld_cells = ? WHERE region = ? AND day = ?`),
			toDB(r.ReceivedAt), toDB(r.GeneratedAt), r.SHA256, string(r.Document), r.Envelope, r.Entities, r.LevelN, r.LevelSum, r.WithheldCells,
			r.Region, r.Day)
		return err
	})
	return out, err
}

const aggregateCols = `g.region, g.day, g.received_at, g.generated_at, g.pushes, g.sha256, g.document, g.entities, g.level_n, g.level_sum, g.withheld_cells`

func (s *sqlStore) aggregates(ctx context.Context, query string, args ...any) ([]AggregateRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AggregateRecord
	for rows.Next() {
		var r AggregateRecord
		var rec, gen int64
		var doc string
		if err := rows.Scan(&r.Region, &r.Day, &rec, &gen, &r.Pushes, &r.SHA256, &doc, &r.Entities, &r.LevelN, &r.LevelSum, &r.WithheldCells); err != nil {
			return nil, err
		}
		r.ReceivedAt, r.GeneratedAt, r.Document = fromDB(rec), fromDB(gen), []byte(doc)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) LatestAggregates(ctx context.Context) ([]AggregateRecord, error) {
	return s.aggregates(ctx, `SELECT `+aggregateCols+` FROM region_aggregates g
		JOIN (SELECT region, MAX(day) AS day FROM region_aggregates GROUP BY region) m ON m.region = g.region AND m.day = g.day
		ORDER BY g.region`)
}

func (s *sqlStore) AggregatesOn(ctx context.Context, day string) ([]AggregateRecord, error) {
	return s.aggregates(ctx, `SELECT `+aggregateCols+` FROM region_aggregates g WHERE g.day = ? ORDER BY g.region`, day)
}

func (s *sqlStore) AggregatePoints(ctx context.Context, since string) ([]AggregatePoint, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT region, day, entities, level_n, level_sum, withheld_cells FROM region_aggregates
		WHERE day >= ? ORDER BY day, region`), since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AggregatePoint
	for rows.Next() {
		var p AggregatePoint
		if err := rows.Scan(&p.Region, &p.Day, &p.Entities, &p.LevelN, &p.LevelSum, &p.WithheldCells); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
