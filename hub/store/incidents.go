package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Declared incidents (issue 23). The archive itself is a file in the hub's
// data folder, encrypted; the database keeps what the pages list and the
// signed manifest as received.

// Incident statuses.
const (
	IncidentOpen       = "open"        // declared, nobody on it yet
	IncidentInProgress = "in_progress" // an adviser is on it
	IncidentClosed     = "closed"
)

// IncidentStatuses lists the statuses in their order.
var IncidentStatuses = []string{IncidentOpen, IncidentInProgress, IncidentClosed}

// Incident is one declared incident.
type Incident struct {
	ID           int64
	AgentID      string
	Hostname     string
	EntityID     int64
	Entity       string // read back, not written
	Sector       string // read back, not written
	Kind         string
	AwareAt      time.Time // zero: the caller skipped the question
	DeclaredAt   time.Time
	ReceivedAt   time.Time
	Status       string
	Adviser      string // e-mail of the adviser in charge, "" for none
	PersonalData bool   // a personal-data breach (GDPR art. 33)
	NotifiedAt   time.Time
	// Manifest is the signed manifest exactly as received (not read by
	// lists).
	Manifest      []byte
	ArchiveSHA256 string
	ArchiveSize   int64
	ArchiveFile   string // file name inside the hub's incidents folder
	Source        string // "upload" or "import"
	// AlertedAt is when the "incident" alert was queued; zero while it
	// was not (an incident `vigie-hub import` filed, with no alert engine
	// in that process: the serve's engine raises it).
	AlertedAt time.Time
}

// IncidentNote is an adviser's note, or the hub's record of a change.
type IncidentNote struct {
	ID     int64
	At     time.Time
	Author string
	Text   string
}

// IncidentUpdate changes an incident's follow-up; nil fields are left.
type IncidentUpdate struct {
	Status       *string
	Adviser      *string
	PersonalData *bool
	NotifiedAt   *time.Time
}

// IncidentFilter narrows Incidents.
type IncidentFilter struct {
	EntityID       int64     // 0: all
	OpenOnly       bool      // not closed
	ReceivedBefore time.Time // zero: any (retention)
}

// Incidents stores declared incidents.
type Incidents interface {
	// CreateIncident stores a new incident for its agent, checked known
	// and unrevoked in the same transaction (ErrNotFound, ErrRevoked); its
	// entity is the agent's. The same agent and archive hash again gives
	// ErrExists with the incident already stored.
	CreateIncident(ctx context.Context, in Incident) (Incident, error)
	Incident(ctx context.Context, id int64) (Incident, error)
	// ListIncidents is newest first, without manifests.
	ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	UpdateIncident(ctx context.Context, id int64, u IncidentUpdate) error
	AddIncidentNote(ctx context.Context, incidentID int64, n IncidentNote) error
	IncidentNotes(ctx context.Context, incidentID int64) ([]IncidentNote, error)
	// DeleteIncident deletes the incident's rows (the caller deletes its
	// archive file). ErrNotFound.
	DeleteIncident(ctx context.Context, id int64) error
	// UnalertedIncidents lists, oldest first and with their manifests, at
	// most limit incidents whose alert was not queued.
	UnalertedIncidents(ctx context.Context, limit int) ([]Incident, error)
	// ClaimIncidentAlert marks the incident alerted at `at` if it was not:
	// true for the one caller that marked it (the upload and the alert
	// engine's pass may race for the same incident; only one alerts).
	ClaimIncidentAlert(ctx context.Context, id int64, at time.Time) (bool, error)
	// ReleaseIncidentAlert undoes a claim whose alert could not be queued,
	// so that the next pass tries again.
	ReleaseIncidentAlert(ctx context.Context, id int64) error
}

const incidentCols = `i.id, i.agent_id, i.hostname, i.entity_id, e.name, e.sector, i.kind, i.aware_at, i.declared_at, i.received_at,
	i.status, i.adviser, i.personal_data, i.notified_at, i.archive_sha256, i.archive_size, i.archive_file, i.source, i.alerted_at`

func scanIncident(sc interface{ Scan(...any) error }, extra ...any) (Incident, error) {
	var in Incident
	var aware, declared, received, notified, alerted int64
	var pd int
	dst := append([]any{&in.ID, &in.AgentID, &in.Hostname, &in.EntityID, &in.Entity, &in.Sector, &in.Kind, &aware, &declared, &received,
		&in.Status, &in.Adviser, &pd, &notified, &in.ArchiveSHA256, &in.ArchiveSize, &in.ArchiveFile, &in.Source, &alerted}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return in, err
	}
	in.AwareAt, in.DeclaredAt, in.ReceivedAt, in.NotifiedAt = fromDB(aware), fromDB(declared), fromDB(received), fromDB(notified)
	in.PersonalData = pd != 0
	in.AlertedAt = fromDB(alerted)
	return in, nil
}

func (s *sqlStore) CreateIncident(ctx context.Context, in Incident) (Incident, error) {
	if in.Status == "" {
		in.Status = IncidentOpen
	}
	var existing int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var revoked int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT entity_id, revoked_at FROM agents WHERE id = ?`+s.forUpdate()), in.AgentID).Scan(&in.EntityID, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if revoked != 0 {
			return ErrRevoked
		}
		err = tx.QueryRowContext(ctx, s.q(`SELECT id FROM incidents WHERE agent_id = ? AND archive_sha256 = ?`), in.AgentID, in.ArchiveSHA256).Scan(&existing)
		if err == nil {
			return ErrExists
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO incidents (agent_id, entity_id, hostname, kind, aware_at, declared_at, received_at, status, adviser,
			personal_data, notified_at, manifest, archive_sha256, archive_size, archive_file, source, alerted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			in.AgentID, in.EntityID, in.Hostname, in.Kind, toDB(in.AwareAt), toDB(in.DeclaredAt), toDB(in.ReceivedAt), in.Status, in.Adviser,
			b2i(in.PersonalData), toDB(in.NotifiedAt), in.Manifest, in.ArchiveSHA256, in.ArchiveSize, in.ArchiveFile, in.Source, toDB(in.AlertedAt)).Scan(&in.ID)
	})
	if errors.Is(err, ErrExists) {
		got, gerr := s.Incident(ctx, existing)
		if gerr != nil {
			return Incident{}, gerr
		}
		return got, ErrExists
	}
	if err != nil {
		return Incident{}, err
	}
	return s.Incident(ctx, in.ID)
}

func (s *sqlStore) Incident(ctx context.Context, id int64) (Incident, error) {
	var manifest []byte
	in, err := scanIncident(s.db.QueryRowContext(ctx, s.q(`SELECT `+incidentCols+`, i.manifest FROM incidents i JOIN entities e ON e.id = i.entity_id WHERE i.id = ?`), id), &manifest)
	if errors.Is(err, sql.ErrNoRows) {
		return in, ErrNotFound
	}
	in.Manifest = manifest
	return in, err
}

func (s *sqlStore) ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	var where []string
	var args []any
	if f.EntityID != 0 {
		where, args = append(where, "i.entity_id = ?"), append(args, f.EntityID)
	}
	if f.OpenOnly {
		where, args = append(where, "i.status <> ?"), append(args, IncidentClosed)
	}
	if !f.ReceivedBefore.IsZero() {
		where, args = append(where, "i.received_at < ?"), append(args, toDB(f.ReceivedBefore))
	}
	q := `SELECT ` + incidentCols + ` FROM incidents i JOIN entities e ON e.id = i.entity_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY i.received_at DESC, i.id DESC`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

func (s *sqlStore) UpdateIncident(ctx context.Context, id int64, u IncidentUpdate) error {
	var sets []string
	var args []any
	if u.Status != nil {
		sets, args = append(sets, "status = ?"), append(args, *u.Status)
	}
	if u.Adviser != nil {
		sets, args = append(sets, "adviser = ?"), append(args, *u.Adviser)
	}
	if u.PersonalData != nil {
		sets, args = append(sets, "personal_data = ?"), append(args, b2i(*u.PersonalData))
	}
	if u.NotifiedAt != nil {
		sets, args = append(sets, "notified_at = ?"), append(args, toDB(*u.NotifiedAt))
	}
	if len(sets) == 0 {
		return nil
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE incidents SET `+strings.Join(sets, ", ")+` WHERE id = ?`), append(args, id)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) AddIncidentNote(ctx context.Context, incidentID int64, n IncidentNote) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM incidents WHERE id = ?`+s.forUpdate()), incidentID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO incident_notes (incident_id, at, author, text) VALUES (?, ?, ?, ?)`), incidentID, toDB(n.At), n.Author, n.Text)
		return err
	})
}

func (s *sqlStore) IncidentNotes(ctx context.Context, incidentID int64) ([]IncidentNote, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, author, text FROM incident_notes WHERE incident_id = ? ORDER BY at, id`), incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IncidentNote
	for rows.Next() {
		var n IncidentNote
		var at int64
		if err := rows.Scan(&n.ID, &at, &n.Author, &n.Text); err != nil {
			return nil, err
		}
		n.At = fromDB(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *sqlStore) DeleteIncident(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM incident_notes WHERE incident_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM incidents WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

func (s *sqlStore) UnalertedIncidents(ctx context.Context, limit int) ([]Incident, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+incidentCols+`, i.manifest FROM incidents i JOIN entities e ON e.id = i.entity_id
		WHERE i.alerted_at = 0 ORDER BY i.id LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		var manifest []byte
		in, err := scanIncident(rows, &manifest)
		if err != nil {
			return nil, err
		}
		in.Manifest = manifest
		out = append(out, in)
	}
	return out, rows.Err()
}

func (s *sqlStore) ClaimIncidentAlert(ctx context.Context, id int64, at time.Time) (bool, error) {
	// One conditional UPDATE: atomic on SQLite and PostgreSQL alike, so
	// two claimants never both see a row changed.
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE incidents SET alerted_at = ? WHERE id = ? AND alerted_at = 0`), max(toDB(at), 1), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqlStore) ReleaseIncidentAlert(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE incidents SET alerted_at = 0 WHERE id = ?`), id)
	return err
}
