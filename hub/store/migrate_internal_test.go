package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestOpensVersion1Database: a database written by a hub of schema 1
// (before d_other) opens, is migrated, and its scorecards read back with
// their six domain scores; a new scorecard then keeps a domain this hub
// does not know.
func TestOpensVersion1Database(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	old := &sqlStore{db: db}
	for _, stmt := range append(strings.Split(old.ddl(migrations[0]), ";"),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO entities (id, name, sector) VALUES (1, 'Mairie', 'commune')`,
		`INSERT INTO agents (id, public_key, entity_id, enrolled_at, last_seq) VALUES ('a1', x'00', 1, 1, 1)`,
		`INSERT INTO scorecards VALUES ('a1', 's1', 1, 1, 1, 1, 70, 2, 0, 10, 20, 30, -1, 50, 60, 'backup.recent', 'h', 'linux', 'debian', '1.0.0', '{}')`,
		`INSERT INTO latest VALUES ('a1', 's1', 1, 1, 1, 1, 70, 2, 0, 10, 20, 30, -1, 50, 60, 'backup.recent', 'h', 'linux', 'debian', '1.0.0')`,
	) {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()

	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc, err := st.Scorecard(ctx, "a1", "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := DomainScores{protocol.DomainPatch: 10, protocol.DomainBackup: 20, protocol.DomainHygiene: 30, protocol.DomainTLS: -1, protocol.DomainDNS: 50, protocol.DomainOrganisation: 60}
	if len(sc.DomainScores) != len(want) {
		t.Errorf("domain scores %v, want %v", sc.DomainScores, want)
	}
	for d, v := range want {
		if sc.DomainScores.Get(d) != v {
			t.Errorf("%s = %d, want %d", d, sc.DomainScores.Get(d), v)
		}
	}
	if string(sc.Envelope) != "{}" {
		t.Errorf("envelope %q", sc.Envelope)
	}
	next := &Scorecard{AgentID: "a1", ID: "s2", Sequence: 2, Envelope: []byte("{}"), DomainScores: ScoresOf([]protocol.DomainScore{{Domain: "ad", Score: 40}})}
	if o, err := st.SaveScorecard(ctx, next); err != nil || o != Stored {
		t.Fatalf("save after migration: %v %v", o, err)
	}
	rows, err := st.Hosts(ctx, HostFilter{})
	if err != nil || len(rows) != 1 || rows[0].Latest == nil {
		t.Fatalf("hosts: %v %v", rows, err)
	}
	if d := rows[0].Latest.DomainScores; d.Get("ad") != 40 || d.Get(protocol.DomainPatch) != NoScore {
		t.Errorf("latest domain scores after migration: %v", d)
	}
}

// TestSplitDomains: the column form of domain scores reads back as written,
// whatever domain IDs a newer agent uses.
func TestSplitDomains(t *testing.T) {
	in := DomainScores{protocol.DomainPatch: 10, "ad": 55, `we"ird = id`: -1}
	cols, other := splitDomains(in)
	out := joinDomains(cols, other)
	for d, v := range in {
		if out.Get(d) != v {
			t.Errorf("%s: %d, want %d", d, out.Get(d), v)
		}
	}
	if out.Get(protocol.DomainTLS) != NoScore {
		t.Error("absent domain not NoScore")
	}
	if _, other := splitDomains(ScoresOf(nil)); other != "" {
		t.Errorf("known domains only: d_other = %q, want empty", other)
	}
}
