package store

import (
	"context"
	"database/sql"
	"time"
)

// The alerts' outbox: deliveries due, digests, attempts, the log.

func (s *sqlStore) RecentDeliveries(ctx context.Context, channel string, since time.Time) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT target, COUNT(*) FROM alert_outbox WHERE channel = ? AND created_at >= ? AND held_until = 0 AND event_id <> 0 GROUP BY target`), channel, toDB(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

const deliveryCols = `id, msg_id, event_id, channel, target, address, state, digest_id, held_until, next_at, attempts, created_at, expires_at, sent_at, last_error`

func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var held, next, created, expires, sent int64
		if err := rows.Scan(&d.ID, &d.MsgID, &d.EventID, &d.Channel, &d.Target, &d.Address, &d.State, &d.DigestID, &held, &next, &d.Attempts, &created, &expires, &sent, &d.LastError); err != nil {
			return nil, err
		}
		d.HeldUntil, d.NextAt, d.CreatedAt, d.ExpiresAt, d.SentAt = fromDB(held), fromDB(next), fromDB(created), fromDB(expires), fromDB(sent)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *sqlStore) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM alert_outbox WHERE state = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?`), DeliveryPending, toDB(now), limit)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

func (s *sqlStore) ComposeDigests(ctx context.Context, now time.Time, expires time.Duration, msgID func() string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT target, channel, address FROM alert_outbox WHERE state = ? AND held_until <= ? GROUP BY target, channel, address`), DeliveryHeld, toDB(now))
		if err != nil {
			return err
		}
		type group struct{ target, channel, address string }
		var groups []group
		for rows.Next() {
			var g group
			if err := rows.Scan(&g.target, &g.channel, &g.address); err != nil {
				rows.Close()
				return err
			}
			groups = append(groups, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range groups {
			id, err := s.insertID(ctx, tx, `INSERT INTO alert_outbox (msg_id, event_id, channel, target, address, state, next_at, created_at, expires_at)
				VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?)`, msgID(), g.channel, g.target, g.address, DeliveryPending, toDB(now), toDB(now), toDB(now.Add(expires)))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE alert_outbox SET state = ?, digest_id = ? WHERE state = ? AND held_until <= ? AND target = ? AND channel = ? AND address = ?`),
				DeliveryDigested, id, DeliveryHeld, toDB(now), g.target, g.channel, g.address); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (s *sqlStore) RecordDeliveries(ctx context.Context, res []DeliveryResult) error {
	if len(res) == 0 {
		return nil
	}
	// One transaction of prepared statements for a batch of up to 256: the
	// write lock ingestion shares is held as briefly as possible.
	return s.inTx(ctx, func(tx *sql.Tx) error {
		st := &txStmts{s: s, tx: tx}
		defer st.close()
		for _, r := range res {
			if _, err := st.exec(ctx, `INSERT INTO alert_attempts (outbox_id, at, ok, detail) VALUES (?, ?, ?, ?)`, r.ID, toDB(r.At), b2i(r.OK), clipText(r.Detail, 500)); err != nil {
				return err
			}
			state, sent, lastErr := DeliveryPending, int64(0), ""
			if r.Final != "" {
				state = r.Final
			}
			if r.OK {
				sent = toDB(r.At)
			} else {
				lastErr = clipText(r.Detail, 500)
			}
			if _, err := st.exec(ctx, `UPDATE alert_outbox SET state = ?, attempts = ?, next_at = ?, sent_at = ?, last_error = ? WHERE id = ? AND state = ?`,
				state, r.Attempt, toDB(r.NextAt), sent, lastErr, r.ID, DeliveryPending); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *sqlStore) ExpireDeliveries(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM alert_outbox WHERE state = ? AND expires_at <= ?`), DeliveryPending, toDB(now))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_attempts (outbox_id, at, ok, detail) VALUES (?, ?, 0, ?)`), id, toDB(now), "expiré : non acquitté dans le délai"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE alert_outbox SET state = ? WHERE id = ?`), DeliveryExpired, id); err != nil {
				return err
			}
		}
		n = int64(len(ids))
		return rows.Err()
	})
	return int(n), err
}

const eventCols = `id, kind, at, entity_id, agent_id, quiet, data`

func scanEvents(rows *sql.Rows) ([]AlertEvent, error) {
	defer rows.Close()
	var out []AlertEvent
	for rows.Next() {
		var e AlertEvent
		var at, quiet int64
		var data string
		if err := rows.Scan(&e.ID, &e.Kind, &at, &e.EntityID, &e.AgentID, &quiet, &data); err != nil {
			return nil, err
		}
		e.At, e.Quiet, e.Data = fromDB(at), quiet != 0, []byte(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *sqlStore) AlertEvent(ctx context.Context, id int64) (AlertEvent, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+eventCols+` FROM alert_events WHERE id = ?`), id)
	if err != nil {
		return AlertEvent{}, err
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return AlertEvent{}, err
	}
	if len(evs) == 0 {
		return AlertEvent{}, ErrNotFound
	}
	return evs[0], nil
}

func (s *sqlStore) DigestEvents(ctx context.Context, digestID int64) ([]AlertEvent, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT e.id, e.kind, e.at, e.entity_id, e.agent_id, e.quiet, e.data FROM alert_events e
		JOIN alert_outbox o ON o.event_id = e.id WHERE o.digest_id = ? ORDER BY e.at, e.id`), digestID)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}

func (s *sqlStore) Deliveries(ctx context.Context, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM alert_outbox ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

func (s *sqlStore) DeliveryLog(ctx context.Context, id int64) (Delivery, []Attempt, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM alert_outbox WHERE id = ?`), id)
	if err != nil {
		return Delivery{}, nil, err
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return Delivery{}, nil, err
	}
	if len(ds) == 0 {
		return Delivery{}, nil, ErrNotFound
	}
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT at, ok, detail FROM alert_attempts WHERE outbox_id = ? ORDER BY at`), id)
	if err != nil {
		return ds[0], nil, err
	}
	defer rows.Close()
	var log []Attempt
	for rows.Next() {
		var a Attempt
		var at, ok int64
		if err := rows.Scan(&at, &ok, &a.Detail); err != nil {
			return ds[0], nil, err
		}
		a.At, a.OK = fromDB(at), ok != 0
		log = append(log, a)
	}
	return ds[0], log, rows.Err()
}
