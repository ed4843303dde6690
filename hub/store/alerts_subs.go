package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Advisers' subscriptions and webhooks.

func (s *sqlStore) Subscriptions(ctx context.Context) ([]Subscription, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, mode, events, all_region, sectors, entities, updated_at FROM alert_subs ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var sub Subscription
		var all, upd int64
		var events, sectors, entities string
		if err := rows.Scan(&sub.UserID, &sub.Mode, &events, &all, &sectors, &entities, &upd); err != nil {
			return nil, err
		}
		sub.All, sub.UpdatedAt = all != 0, fromDB(upd)
		sub.Events, sub.Sectors = strings.Fields(events), strings.Fields(sectors)
		for _, f := range strings.Fields(entities) {
			if id, err := strconv.ParseInt(f, 10, 64); err == nil {
				sub.Entities = append(sub.Entities, id)
			}
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

func (s *sqlStore) SetSubscription(ctx context.Context, sub Subscription) error {
	ents := make([]string, len(sub.Entities))
	for i, id := range sub.Entities {
		ents[i] = strconv.FormatInt(id, 10)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO alert_subs (user_id, mode, events, all_region, sectors, entities, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET mode = excluded.mode, events = excluded.events, all_region = excluded.all_region,
		sectors = excluded.sectors, entities = excluded.entities, updated_at = excluded.updated_at`),
		sub.UserID, sub.Mode, strings.Join(sub.Events, " "), b2i(sub.All), strings.Join(sub.Sectors, " "), strings.Join(ents, " "), toDB(sub.UpdatedAt))
	return err
}

func (s *sqlStore) DeleteSubscription(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM alert_subs WHERE user_id = ?`), userID)
	return err
}

func (s *sqlStore) Webhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, url, secret, events, created_by, created_at FROM alert_webhooks ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var w Webhook
		var events string
		var at int64
		if err := rows.Scan(&w.ID, &w.URL, &w.Secret, &events, &w.CreatedBy, &at); err != nil {
			return nil, err
		}
		w.Events, w.CreatedAt = strings.Fields(events), fromDB(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

func (s *sqlStore) AddWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		id, err := s.insertID(ctx, tx, `INSERT INTO alert_webhooks (url, secret, events, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			w.URL, w.Secret, strings.Join(w.Events, " "), w.CreatedBy, toDB(w.CreatedAt))
		w.ID = id
		return err
	})
	return w, err
}

func (s *sqlStore) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM alert_webhooks WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// clipText bounds a stored message (an SMTP server's or webhook's reply):
// cut to n bytes, a cut character and NUL (PostgreSQL refuses both) dropped.
func clipText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}
