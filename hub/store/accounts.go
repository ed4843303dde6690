package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Adviser accounts, their sessions, and the audit log.

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
	return s.AuditPage(ctx, 0, limit)
}

// MaxAuditField is how much of each text of an audit entry AuditPage
// returns: a page of the audit log stays small even over rows written,
// before fields were bounded, with megabytes in them.
const MaxAuditField = 500

func (s *sqlStore) AuditPage(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 200
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, substr(actor, 1, 500), substr(action, 1, 500), substr(target, 1, 500), substr(detail, 1, 500)
		FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`), before, limit)
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
