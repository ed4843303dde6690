package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// Entities, enrolment tokens and agents.

func (s *sqlStore) EnsureEntity(ctx context.Context, name, sector string) (Entity, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Entity{}, errors.New("entity name is empty")
	}
	var e Entity
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`SELECT id, name, sector, size_band FROM entities WHERE name = ?`), name).Scan(&e.ID, &e.Name, &e.Sector, &e.SizeBand)
		if errors.Is(err, sql.ErrNoRows) {
			e = Entity{Name: name, Sector: sector}
			return tx.QueryRowContext(ctx, s.q(`INSERT INTO entities (name, sector) VALUES (?, ?) RETURNING id`), name, sector).Scan(&e.ID)
		}
		return err
	})
	return e, err
}

func (s *sqlStore) SetEntitySector(ctx context.Context, id int64, sector string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE entities SET sector = ? WHERE id = ?`), sector, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) SetEntitySizeBand(ctx context.Context, id int64, band string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE entities SET size_band = ? WHERE id = ?`), band, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) Entity(ctx context.Context, id int64) (Entity, error) {
	var e Entity
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, sector, size_band FROM entities WHERE id = ?`), id).Scan(&e.ID, &e.Name, &e.Sector, &e.SizeBand)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

func (s *sqlStore) Entities(ctx context.Context) ([]Entity, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, sector, size_band FROM entities ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entity
	for rows.Next() {
		var e Entity
		if err := rows.Scan(&e.ID, &e.Name, &e.Sector, &e.SizeBand); err != nil {
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
	if t.Uses <= 0 {
		t.Uses = 1
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tokens (hash, entity_id, created_at, expires_at, created_by, uses) VALUES (?, ?, ?, ?, ?, ?)`),
		t.Hash, t.EntityID, toDB(t.CreatedAt), toDB(t.ExpiresAt), t.CreatedBy, t.Uses)
	return err
}

func (s *sqlStore) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.hash, t.entity_id, e.name, e.sector, t.created_at, t.expires_at, t.created_by, t.used_at, t.used_by, t.uses, t.used_count
		FROM tokens t JOIN entities e ON e.id = t.entity_id ORDER BY t.created_at DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var c, x, u int64
		if err := rows.Scan(&t.Hash, &t.EntityID, &t.Entity, &t.Sector, &c, &x, &t.CreatedBy, &u, &t.UsedBy, &t.Uses, &t.UsedCount); err != nil {
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
		var entityID, expires int64
		var uses, usedCount int
		err := tx.QueryRowContext(ctx, s.q(`SELECT hash, entity_id, expires_at, uses, used_count FROM tokens WHERE hash = ?`+s.forUpdate()), tokenHash).
			Scan(&hash, &entityID, &expires, &uses, &usedCount)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenUnknown
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(hash, tokenHash) != 1 {
			return ErrTokenUnknown
		}
		var current, revoked int64
		err = tx.QueryRowContext(ctx, s.q(`SELECT entity_id, revoked_at FROM agents WHERE id = ?`+s.forUpdate()), a.ID).Scan(&current, &revoked)
		known := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if known && revoked != 0 {
			// A revoked key stays revoked (protocol v2): the key may be
			// stolen, and a token of the entity must not re-enable it. The
			// agent makes a new key; an admin who revoked by mistake
			// reinstates it (ReinstateAgent).
			return ErrRevoked
		}
		var n int
		err = tx.QueryRowContext(ctx, s.q(`SELECT n FROM token_uses WHERE hash = ? AND agent_id = ?`), tokenHash, a.ID).Scan(&n)
		if err == nil {
			return nil // a retried enrolment: same key, same token
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if usedCount >= uses {
			return ErrTokenUsed
		}
		if !at.Before(fromDB(expires)) {
			return ErrTokenExpired
		}
		if known && current != entityID {
			return ErrKeyEnrolled
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE tokens SET used_at = ?, used_by = ?, used_count = used_count + 1 WHERE hash = ? AND used_count < uses`), toDB(at), a.ID, tokenHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTokenUsed
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO token_uses (hash, agent_id, n, used_at) VALUES (?, ?, ?, ?)`), tokenHash, a.ID, usedCount+1, toDB(at)); err != nil {
			return err
		}
		// Re-enrolment of a key that is not revoked (after the hub's
		// certificate key changed) keeps its sequence, so replay
		// protection survives it.
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO agents (id, public_key, entity_id, hostname, os, platform, platform_version, agent_version, enrolled_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, os = excluded.os, platform = excluded.platform,
				platform_version = excluded.platform_version, agent_version = excluded.agent_version,
				enrolled_at = excluded.enrolled_at`),
			a.ID, a.PublicKey, entityID, a.Hostname, a.OS, a.Platform, a.PlatformVersion, a.AgentVersion, toDB(at))
		return err
	})
	if err != nil {
		return Agent{}, err
	}
	return s.Agent(ctx, a.ID)
}

func (s *sqlStore) TokenUse(ctx context.Context, tokenHash []byte, agentID string) (n, of int, err error) {
	err = s.db.QueryRowContext(ctx, s.q(`SELECT u.n, t.uses FROM token_uses u JOIN tokens t ON t.hash = u.hash WHERE u.hash = ? AND u.agent_id = ?`), tokenHash, agentID).Scan(&n, &of)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return n, of, err
}

const agentCols = `a.id, a.public_key, a.entity_id, e.name, e.sector, a.hostname, a.os, a.platform, a.platform_version, a.agent_version,
	a.enrolled_at, a.last_seen, a.last_seq, a.revoked_at, a.revoked_by, a.previous_id`

func scanAgent(sc interface{ Scan(...any) error }, extra ...any) (Agent, error) {
	var a Agent
	var enrolled, seen, seq, revoked int64
	dest := append([]any{&a.ID, &a.PublicKey, &a.EntityID, &a.Entity, &a.Sector, &a.Hostname, &a.OS, &a.Platform, &a.PlatformVersion,
		&a.AgentVersion, &enrolled, &seen, &seq, &revoked, &a.RevokedBy, &a.PreviousID}, extra...)
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

func (s *sqlStore) ReinstateAgent(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE agents SET revoked_at = 0, revoked_by = '' WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) LinkAgent(ctx context.Context, oldID, newID string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE agents SET previous_id = ? WHERE id = ? AND previous_id = ''`), oldID, newID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// maxLinks bounds how many agents History follows back (and breaks a
// cycle an edited database could hold).
const maxLinks = 16

// lineage is id and the agents it continues, newest first.
func (s *sqlStore) lineage(ctx context.Context, id string) ([]string, error) {
	ids := []string{id}
	for len(ids) < maxLinks {
		var prev string
		err := s.db.QueryRowContext(ctx, s.q(`SELECT previous_id FROM agents WHERE id = ?`), ids[len(ids)-1]).Scan(&prev)
		if errors.Is(err, sql.ErrNoRows) || prev == "" || slices.Contains(ids, prev) {
			break
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, prev)
	}
	return ids, nil
}
