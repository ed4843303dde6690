package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The alert engine's storage (hub/alert): what it needs to detect events
// beside ingestion and to deliver them without losing any. The engine
// reads scorecards after they are committed, in commit order, from a
// cursor; it then writes, in ONE transaction of its own, the events, the
// deliveries they cause (the outbox), the baselines they move and the
// cursor: a hub killed at any point either wrote all of it or none, and
// the next run starts again from the cursor.

// Delivery states.
const (
	DeliveryPending  = "pending"  // to send at next_at
	DeliveryHeld     = "held"     // waits for a digest until held_until
	DeliveryDigested = "digested" // folded into digest digest_id
	DeliverySent     = "sent"     // acknowledged
	DeliveryFailed   = "failed"   // refused for good (an address the server refuses)
	DeliveryExpired  = "expired"  // not acknowledged within its lifetime
)

// IngestRow is one stored scorecard as the event detector reads it: its
// commit-order key and the summary columns, without the envelope.
type IngestRow struct {
	Key          int64 // SQLite rowid, PostgreSQL ingest_id: increasing in commit order
	AgentID      string
	ID           string
	Sequence     uint64
	ReceivedAt   time.Time
	Level        int
	Failed       []string
	AgentVersion string
	Hostname     string
}

// AlertHost is one host's baseline: what its last scorecard said, against
// which the next one is compared. Level is -1 until it first reports.
type AlertHost struct {
	AgentID      string
	EntityID     int64
	Sequence     uint64
	ScorecardID  string
	Level        int
	Failed       []string
	AgentVersion string
	Revoked      bool
}

// AgentState is an agent as the detector watches it (enrolment,
// revocation, silence).
type AgentState struct {
	ID         string
	EntityID   int64
	Hostname   string
	EnrolledAt time.Time
	LastSeen   time.Time
	Revoked    bool
}

// OpenAlert is an alert awaiting its "fixed" (a critical failure, an
// exposure) or its end (a silent entity), keyed by (Kind, Subject).
type OpenAlert struct {
	Kind     string
	Subject  string
	EntityID int64
	AgentID  string
	EventID  int64 // 0: set to the batch's event of index EventIndex
	// EventIndex is, when EventID is 0, the index in AlertBatch.Events of
	// the event that opened it (-1: none, opened silently).
	EventIndex int
	OpenedAt   time.Time
}

// AlertEvent is one event: what happened, to what, in JSON for the
// messages (hub/alert defines its shape).
type AlertEvent struct {
	ID       int64
	Kind     string
	At       time.Time
	EntityID int64
	AgentID  string
	// Quiet events (a re-baseline after a rules or check version change)
	// are only listed in digests.
	Quiet bool
	Data  []byte
	// Deliveries are written with the event (new events only).
	Deliveries []NewDelivery
}

// NewDelivery is one message to send for an event.
type NewDelivery struct {
	MsgID     string // stable: the webhook-id and Message-ID of every attempt
	Channel   string // "email" or "webhook"
	Target    string // "user:<id>", "webhook:<id>", "file:<n>"
	Address   string // e-mail address or URL
	HeldUntil time.Time
	Expires   time.Time
}

// AlertBatch is what one detection pass writes, atomically.
type AlertBatch struct {
	Cursor int64 // new detector cursor; 0 leaves it
	Hosts  []AlertHost
	Open   []OpenAlert
	Closed [][2]string // (kind, subject) of open alerts to remove
	Events []AlertEvent
	// Init marks the batch that sets the baselines of a hub seeing alerts
	// for the first time.
	Init bool
}

// Delivery is one outbox row.
type Delivery struct {
	ID        int64
	MsgID     string
	EventID   int64 // 0 for a digest
	Channel   string
	Target    string
	Address   string
	State     string
	DigestID  int64
	HeldUntil time.Time
	NextAt    time.Time
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	SentAt    time.Time
	LastError string
}

// DeliveryResult is one attempt's outcome.
type DeliveryResult struct {
	ID      int64
	At      time.Time
	OK      bool
	Final   string // when not empty, the state to set (sent, failed, expired)
	NextAt  time.Time
	Detail  string
	Attempt int // attempts so far, this one included
}

// Attempt is one line of a delivery's log.
type Attempt struct {
	At     time.Time
	OK     bool
	Detail string
}

// Subscription is an adviser's choice of alerts.
type Subscription struct {
	UserID    int64
	Mode      string // "now" or "digest"
	Events    []string
	All       bool // the whole region
	Sectors   []string
	Entities  []int64
	UpdatedAt time.Time
}

// Webhook is a webhook managed in the UI.
type Webhook struct {
	ID        int64
	URL       string
	Secret    string // whsec_...
	Events    []string
	CreatedBy string
	CreatedAt time.Time
}

// AlertStore is implemented by the hub's stores (both dialects).
type AlertStore interface {
	// AlertCursor returns the detector's cursor; ok is false before the
	// first (Init) batch.
	AlertCursor(ctx context.Context) (cursor int64, ok bool, err error)
	// IngestHead is the key of the newest stored scorecard (0: none).
	IngestHead(ctx context.Context) (int64, error)
	// ScorecardsAfter returns at most limit scorecards stored after key,
	// in commit order.
	ScorecardsAfter(ctx context.Context, key int64, limit int) ([]IngestRow, error)
	// LatestRows returns every agent's latest scorecard (Init).
	LatestRows(ctx context.Context) ([]IngestRow, error)
	AlertHosts(ctx context.Context) ([]AlertHost, error)
	AgentStates(ctx context.Context) ([]AgentState, error)
	OpenAlerts(ctx context.Context) ([]OpenAlert, error)
	// CommitAlerts writes b in one transaction and returns the new
	// events' IDs.
	CommitAlerts(ctx context.Context, b AlertBatch) ([]int64, error)

	// RecentDeliveries counts, by target, the deliveries of channel
	// created since `since` and not held (an adviser's cap).
	RecentDeliveries(ctx context.Context, channel string, since time.Time) (map[string]int, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// ComposeDigests folds, for each target, the held deliveries due by
	// now into one new digest delivery (msgID(target) names it).
	ComposeDigests(ctx context.Context, now time.Time, expires time.Duration, msgID func() string) (int, error)
	RecordDeliveries(ctx context.Context, res []DeliveryResult) error
	// ExpireDeliveries marks the pending deliveries expired at now.
	ExpireDeliveries(ctx context.Context, now time.Time) (int, error)
	AlertEvent(ctx context.Context, id int64) (AlertEvent, error)
	DigestEvents(ctx context.Context, digestID int64) ([]AlertEvent, error)
	Deliveries(ctx context.Context, limit int) ([]Delivery, error)
	DeliveryLog(ctx context.Context, id int64) (Delivery, []Attempt, error)

	Subscriptions(ctx context.Context) ([]Subscription, error)
	SetSubscription(ctx context.Context, s Subscription) error
	DeleteSubscription(ctx context.Context, userID int64) error
	Webhooks(ctx context.Context) ([]Webhook, error)
	AddWebhook(ctx context.Context, w Webhook) (Webhook, error)
	DeleteWebhook(ctx context.Context, id int64) error
}

// Alerts returns st's alert storage, or nil for a store without one (a
// wrapper that hides it).
func Alerts(st Store) AlertStore {
	if a, ok := st.(AlertStore); ok {
		return a
	}
	if u, ok := st.(interface{ Unwrap() Store }); ok {
		return Alerts(u.Unwrap())
	}
	return nil
}

func (s *sqlStore) ingestKey() string {
	if s.pg {
		return "ingest_id"
	}
	return "rowid"
}

func (s *sqlStore) AlertCursor(ctx context.Context) (int64, bool, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT v FROM alert_state WHERE k = 'cursor'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return v, err == nil, err
}

func (s *sqlStore) IngestHead(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(`+s.ingestKey()+`), 0) FROM scorecards`).Scan(&v)
	return v, err
}

func (s *sqlStore) ScorecardsAfter(ctx context.Context, key int64, limit int) ([]IngestRow, error) {
	k := s.ingestKey()
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+k+`, agent_id, id, seq, received_at, level, failed, agent_version, hostname FROM scorecards
		WHERE `+k+` > ? ORDER BY `+k+` LIMIT ?`), key, limit)
	if err != nil {
		return nil, err
	}
	return scanIngestRows(rows)
}

func (s *sqlStore) LatestRows(ctx context.Context) ([]IngestRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT 0, agent_id, id, seq, received_at, level, failed, agent_version, hostname FROM latest`)
	if err != nil {
		return nil, err
	}
	return scanIngestRows(rows)
}

func scanIngestRows(rows *sql.Rows) ([]IngestRow, error) {
	defer rows.Close()
	var out []IngestRow
	for rows.Next() {
		var r IngestRow
		var seq, rec int64
		var failed string
		if err := rows.Scan(&r.Key, &r.AgentID, &r.ID, &seq, &rec, &r.Level, &failed, &r.AgentVersion, &r.Hostname); err != nil {
			return nil, err
		}
		r.Sequence, r.ReceivedAt, r.Failed = uint64(seq), fromDB(rec), strings.Fields(failed)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) AlertHosts(ctx context.Context) ([]AlertHost, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT agent_id, entity_id, seq, scorecard_id, level, failed, agent_version, revoked FROM alert_hosts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlertHost
	for rows.Next() {
		var h AlertHost
		var seq, rev int64
		var failed string
		if err := rows.Scan(&h.AgentID, &h.EntityID, &seq, &h.ScorecardID, &h.Level, &failed, &h.AgentVersion, &rev); err != nil {
			return nil, err
		}
		h.Sequence, h.Failed, h.Revoked = uint64(seq), strings.Fields(failed), rev != 0
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *sqlStore) AgentStates(ctx context.Context) ([]AgentState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, entity_id, hostname, enrolled_at, last_seen, revoked_at FROM agents`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AgentState
	for rows.Next() {
		var a AgentState
		var en, seen, rev int64
		if err := rows.Scan(&a.ID, &a.EntityID, &a.Hostname, &en, &seen, &rev); err != nil {
			return nil, err
		}
		a.EnrolledAt, a.LastSeen, a.Revoked = fromDB(en), fromDB(seen), rev != 0
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *sqlStore) OpenAlerts(ctx context.Context) ([]OpenAlert, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, subject, entity_id, agent_id, event_id, opened_at FROM alert_open`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OpenAlert
	for rows.Next() {
		var o OpenAlert
		var at int64
		if err := rows.Scan(&o.Kind, &o.Subject, &o.EntityID, &o.AgentID, &o.EventID, &at); err != nil {
			return nil, err
		}
		o.OpenedAt = fromDB(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *sqlStore) CommitAlerts(ctx context.Context, b AlertBatch) ([]int64, error) {
	ids := make([]int64, len(b.Events))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if b.Init {
			// Two hubs starting together on one PostgreSQL database: the
			// second finds the cursor set and does not initialise again.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM alert_state WHERE k = 'cursor'`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return errors.New("alert baselines already initialised")
			}
		}
		for i, e := range b.Events {
			id, err := s.insertID(ctx, tx, `INSERT INTO alert_events (kind, at, entity_id, agent_id, quiet, data) VALUES (?, ?, ?, ?, ?, ?)`,
				e.Kind, toDB(e.At), e.EntityID, e.AgentID, b2i(e.Quiet), string(e.Data))
			if err != nil {
				return fmt.Errorf("event: %w", err)
			}
			ids[i] = id
			for _, d := range e.Deliveries {
				state, next := DeliveryPending, e.At
				if !d.HeldUntil.IsZero() {
					state, next = DeliveryHeld, d.HeldUntil
				}
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_outbox (msg_id, event_id, channel, target, address, state, held_until, next_at, created_at, expires_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), d.MsgID, id, d.Channel, d.Target, d.Address, state, toDB(d.HeldUntil), toDB(next), toDB(e.At), toDB(d.Expires)); err != nil {
					return fmt.Errorf("outbox: %w", err)
				}
			}
		}
		for _, h := range b.Hosts {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_hosts (agent_id, entity_id, seq, scorecard_id, level, failed, agent_version, revoked)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET entity_id = excluded.entity_id, seq = excluded.seq,
				scorecard_id = excluded.scorecard_id, level = excluded.level, failed = excluded.failed, agent_version = excluded.agent_version,
				revoked = excluded.revoked`), h.AgentID, h.EntityID, int64(h.Sequence), h.ScorecardID, h.Level, strings.Join(h.Failed, " "), h.AgentVersion, b2i(h.Revoked)); err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
		}
		for _, c := range b.Closed {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM alert_open WHERE kind = ? AND subject = ?`), c[0], c[1]); err != nil {
				return err
			}
		}
		for _, o := range b.Open {
			ev := o.EventID
			if ev == 0 && o.EventIndex >= 0 && o.EventIndex < len(ids) {
				ev = ids[o.EventIndex]
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_open (kind, subject, entity_id, agent_id, event_id, opened_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (kind, subject) DO UPDATE SET event_id = excluded.event_id, opened_at = excluded.opened_at`),
				o.Kind, o.Subject, o.EntityID, o.AgentID, ev, toDB(o.OpenedAt)); err != nil {
				return err
			}
		}
		if b.Cursor > 0 || b.Init {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_state (k, v) VALUES ('cursor', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`), b.Cursor); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// insertID inserts a row and returns its serial ID (RETURNING works on
// both: SQLite since 3.35).
func (s *sqlStore) insertID(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q(query+` RETURNING id`), args...).Scan(&id)
	return id, err
}

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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range res {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_attempts (outbox_id, at, ok, detail) VALUES (?, ?, ?, ?)`), r.ID, toDB(r.At), b2i(r.OK), clipText(r.Detail, 500)); err != nil {
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
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE alert_outbox SET state = ?, attempts = ?, next_at = ?, sent_at = ?, last_error = ? WHERE id = ? AND state = ?`),
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
