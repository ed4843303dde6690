package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Organisational answers, kept per entity (issue 17).

const upsertAnswer = `INSERT INTO entity_answers (entity_id, question, answer, answered_by, answered_at) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (entity_id, question) DO UPDATE SET answer = excluded.answer, answered_by = excluded.answered_by, answered_at = excluded.answered_at`

func (s *sqlStore) writeAnswers(ctx context.Context, tx *sql.Tx, entityID int64, answers []Answer) error {
	for _, a := range answers {
		if a.Question == "" {
			return errors.New("answer: empty question ID")
		}
		if _, err := tx.ExecContext(ctx, s.q(upsertAnswer), entityID, a.Question, a.Value, a.By, toDB(a.At)); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqlStore) SetAnswers(ctx context.Context, entityID int64, answers []Answer) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM entities WHERE id = ?`+s.forUpdate()), entityID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.writeAnswers(ctx, tx, entityID, answers)
	})
}

func (s *sqlStore) SaveAgentAnswers(ctx context.Context, agentID string, answeredAt time.Time, answers []Answer) (int64, Outcome, error) {
	var entityID int64
	out := Stored
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var revoked, last int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT entity_id, revoked_at, last_answers FROM agents WHERE id = ?`+s.forUpdate()), agentID).Scan(&entityID, &revoked, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if revoked != 0 {
			return ErrRevoked
		}
		if toDB(answeredAt) <= last {
			out = Replayed
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET last_answers = ? WHERE id = ?`), toDB(answeredAt), agentID); err != nil {
			return err
		}
		return s.writeAnswers(ctx, tx, entityID, answers)
	})
	if err != nil {
		return 0, 0, err
	}
	return entityID, out, nil
}

func (s *sqlStore) Answers(ctx context.Context, entityID int64) ([]Answer, error) {
	all, err := s.answers(ctx, `WHERE entity_id = ?`, entityID)
	return all[entityID], err
}

func (s *sqlStore) AllAnswers(ctx context.Context) (map[int64][]Answer, error) {
	return s.answers(ctx, ``)
}

func (s *sqlStore) answers(ctx context.Context, where string, args ...any) (map[int64][]Answer, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT entity_id, question, answer, answered_by, answered_at FROM entity_answers `+where+` ORDER BY entity_id, question`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]Answer{}
	for rows.Next() {
		var id, at int64
		var a Answer
		if err := rows.Scan(&id, &a.Question, &a.Value, &a.By, &at); err != nil {
			return nil, err
		}
		a.At = fromDB(at)
		out[id] = append(out[id], a)
	}
	return out, rows.Err()
}
