package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Reading scorecards: one, the latest, an agent's history, the overview's rows.

// scorecardCols are a scorecard row's columns but the envelope, in the
// order of scorecardArgs and scorecardRow.dest.
const scorecardCols = `agent_id, id, seq, received_at, started_at, finished_at, score, level, capped,
	d_patch, d_backup, d_hygiene, d_tls, d_dns, d_organisation, failed, hostname, os, platform, agent_version, d_other`

// scorecardArgs are the values of scorecardCols for sc.
func scorecardArgs(sc *Scorecard) []any {
	d, other := splitDomains(sc.DomainScores)
	return []any{sc.AgentID, sc.ID, int64(sc.Sequence), toDB(sc.ReceivedAt), toDB(sc.StartedAt), toDB(sc.FinishedAt), sc.Score, sc.Level, b2i(sc.Capped),
		d[0], d[1], d[2], d[3], d[4], d[5], strings.Join(sc.Failed, " "), sc.Hostname, sc.OS, sc.Platform, sc.AgentVersion, other}
}

// scorecardRow receives scorecardCols from a query into a Scorecard.
type scorecardRow struct {
	tmp    [5]int64
	d      [6]int
	failed string
	other  string
}

func (x *scorecardRow) dest(sc *Scorecard) []any {
	return []any{&sc.AgentID, &sc.ID, &x.tmp[0], &x.tmp[1], &x.tmp[2], &x.tmp[3], &sc.Score, &sc.Level, &x.tmp[4],
		&x.d[0], &x.d[1], &x.d[2], &x.d[3], &x.d[4], &x.d[5], &x.failed, &sc.Hostname, &sc.OS, &sc.Platform, &sc.AgentVersion, &x.other}
}

func (x *scorecardRow) finish(sc *Scorecard) {
	sc.Sequence = uint64(x.tmp[0])
	sc.ReceivedAt, sc.StartedAt, sc.FinishedAt = fromDB(x.tmp[1]), fromDB(x.tmp[2]), fromDB(x.tmp[3])
	sc.Capped = x.tmp[4] != 0
	sc.Failed = strings.Fields(x.failed)
	sc.DomainScores = joinDomains(x.d, x.other)
}

func (s *sqlStore) Scorecard(ctx context.Context, agentID, id string) (*Scorecard, error) {
	sc := &Scorecard{}
	var row scorecardRow
	err := s.db.QueryRowContext(ctx, s.q(`SELECT `+scorecardCols+`, envelope FROM scorecards WHERE agent_id = ? AND id = ?`), agentID, id).
		Scan(append(row.dest(sc), &sc.Envelope)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	row.finish(sc)
	if sc.Envelope, err = expandEnvelope(sc.Envelope); err != nil {
		return nil, fmt.Errorf("scorecard %s of agent %s: %w", id, agentID, err)
	}
	return sc, nil
}

func (s *sqlStore) LatestScorecard(ctx context.Context, agentID string) (*Scorecard, error) {
	var id string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM latest WHERE agent_id = ?`), agentID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.Scorecard(ctx, agentID, id)
}

func (s *sqlStore) History(ctx context.Context, agentID string, limit int) ([]Point, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := s.lineage(ctx, agentID)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if len(ids) == 1 {
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT agent_id, id, seq, finished_at, received_at, score, level FROM scorecards
		WHERE agent_id = ? ORDER BY seq DESC LIMIT ?`), agentID, limit)
	} else {
		// Agents that continue one another: by time of receipt (each key
		// has its own sequence).
		args := make([]any, 0, len(ids)+1)
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT agent_id, id, seq, finished_at, received_at, score, level FROM scorecards
		WHERE agent_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY received_at DESC, seq DESC LIMIT ?`), append(args, limit)...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Point
	for rows.Next() {
		var p Point
		var seq, fin, rec int64
		if err := rows.Scan(&p.AgentID, &p.ID, &seq, &fin, &rec, &p.Score, &p.Level); err != nil {
			return nil, err
		}
		p.Sequence, p.FinishedAt, p.ReceivedAt = uint64(seq), fromDB(fin), fromDB(rec)
		out = append(out, p)
	}
	slices.Reverse(out)
	return out, rows.Err()
}

func (s *sqlStore) Hosts(ctx context.Context, f HostFilter) ([]HostRow, error) {
	query := `SELECT ` + agentCols + `, CASE WHEN l.agent_id IS NULL THEN 0 ELSE 1 END,
		COALESCE(l.agent_id, ''), COALESCE(l.id, ''), COALESCE(l.seq, 0), COALESCE(l.received_at, 0), COALESCE(l.started_at, 0),
		COALESCE(l.finished_at, 0), COALESCE(l.score, 0), COALESCE(l.level, 0), COALESCE(l.capped, 0),
		COALESCE(l.d_patch, -1), COALESCE(l.d_backup, -1), COALESCE(l.d_hygiene, -1), COALESCE(l.d_tls, -1), COALESCE(l.d_dns, -1),
		COALESCE(l.d_organisation, -1), COALESCE(l.failed, ''), COALESCE(l.hostname, ''), COALESCE(l.os, ''), COALESCE(l.platform, ''),
		COALESCE(l.agent_version, ''), COALESCE(l.d_other, '')
		FROM agents a JOIN entities e ON e.id = a.entity_id LEFT JOIN latest l ON l.agent_id = a.id`
	var where []string
	var args []any
	if f.EntityID != 0 {
		where = append(where, "a.entity_id = ?")
		args = append(args, f.EntityID)
	}
	if !f.IncludeRevoked {
		where = append(where, "a.revoked_at = 0")
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY e.name, a.hostname, a.id"
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	return scanHostRows(rows)
}

// scanHostRows reads rows of an agent's columns, a has-latest flag and a
// scorecard's columns (LEFT JOIN: the flag is 0 for a host without one).
func scanHostRows(rows *sql.Rows) ([]HostRow, error) {
	defer rows.Close()
	var out []HostRow
	for rows.Next() {
		sc := &Scorecard{}
		var x scorecardRow
		var has int
		a, err := scanAgent(rows, append([]any{&has}, x.dest(sc)...)...)
		if err != nil {
			return nil, err
		}
		row := HostRow{Agent: a}
		if has == 1 {
			x.finish(sc)
			row.Latest = sc
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
