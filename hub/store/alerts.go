package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// ScorecardPayloads returns the signed payloads (the scorecard JSON,
	// verified on receipt) of the scorecards with these keys, by key; an
	// unreadable one is left out.
	ScorecardPayloads(ctx context.Context, keys []int64) (map[int64][]byte, error)
	// ScorecardPayload returns one scorecard's payload (ErrNotFound).
	ScorecardPayload(ctx context.Context, agentID, id string) ([]byte, error)
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
		st := &txStmts{s: s, tx: tx}
		defer st.close()
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
			var id int64
			ins, err := st.get(ctx, `INSERT INTO alert_events (kind, at, entity_id, agent_id, quiet, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
			if err == nil {
				err = ins.QueryRowContext(ctx, e.Kind, toDB(e.At), e.EntityID, e.AgentID, b2i(e.Quiet), string(e.Data)).Scan(&id)
			}
			if err != nil {
				return fmt.Errorf("event: %w", err)
			}
			ids[i] = id
			for _, d := range e.Deliveries {
				state, next := DeliveryPending, e.At
				if !d.HeldUntil.IsZero() {
					state, next = DeliveryHeld, d.HeldUntil
				}
				if _, err := st.exec(ctx, `INSERT INTO alert_outbox (msg_id, event_id, channel, target, address, state, held_until, next_at, created_at, expires_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.MsgID, id, d.Channel, d.Target, d.Address, state, toDB(d.HeldUntil), toDB(next), toDB(e.At), toDB(d.Expires)); err != nil {
					return fmt.Errorf("outbox: %w", err)
				}
			}
		}
		for _, h := range b.Hosts {
			if _, err := st.exec(ctx, `INSERT INTO alert_hosts (agent_id, entity_id, seq, scorecard_id, level, failed, agent_version, revoked)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET entity_id = excluded.entity_id, seq = excluded.seq,
				scorecard_id = excluded.scorecard_id, level = excluded.level, failed = excluded.failed, agent_version = excluded.agent_version,
				revoked = excluded.revoked`, h.AgentID, h.EntityID, int64(h.Sequence), h.ScorecardID, h.Level, strings.Join(h.Failed, " "), h.AgentVersion, b2i(h.Revoked)); err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
		}
		for _, c := range b.Closed {
			if _, err := st.exec(ctx, `DELETE FROM alert_open WHERE kind = ? AND subject = ?`, c[0], c[1]); err != nil {
				return err
			}
		}
		for _, o := range b.Open {
			ev := o.EventID
			if ev == 0 && o.EventIndex >= 0 && o.EventIndex < len(ids) {
				ev = ids[o.EventIndex]
			}
			if _, err := st.exec(ctx, `INSERT INTO alert_open (kind, subject, entity_id, agent_id, event_id, opened_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (kind, subject) DO UPDATE SET event_id = excluded.event_id, opened_at = excluded.opened_at`,
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

// txStmts prepares each statement of a transaction once: a detection pass
// writes hundreds of rows with the same few statements, and parsing them
// again for each row was a fifth of its cost (modernc.org/sqlite caches no
// statement).
type txStmts struct {
	s  *sqlStore
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func (t *txStmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.m[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, t.s.q(query))
	if err != nil {
		return nil, err
	}
	if t.m == nil {
		t.m = map[string]*sql.Stmt{}
	}
	t.m[query] = st
	return st, nil
}

func (t *txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *txStmts) close() {
	for _, st := range t.m {
		st.Close()
	}
}
