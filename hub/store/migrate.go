package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrations are applied in order, each once, each in its own transaction;
// schema_migrations records the highest applied. Never edit a released
// migration: append a new one. "{{...}}" placeholders take dialect types.
var migrations = []string{
	// 1: initial schema.
	`CREATE TABLE entities (
		id {{serial}} PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		sector TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE tokens (
		hash {{blob}} PRIMARY KEY,
		entity_id BIGINT NOT NULL REFERENCES entities(id),
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		created_by TEXT NOT NULL DEFAULT '',
		used_at BIGINT NOT NULL DEFAULT 0,
		used_by TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE agents (
		id TEXT PRIMARY KEY,
		public_key {{blob}} NOT NULL,
		entity_id BIGINT NOT NULL REFERENCES entities(id),
		hostname TEXT NOT NULL DEFAULT '',
		os TEXT NOT NULL DEFAULT '',
		platform TEXT NOT NULL DEFAULT '',
		platform_version TEXT NOT NULL DEFAULT '',
		agent_version TEXT NOT NULL DEFAULT '',
		enrolled_at BIGINT NOT NULL,
		last_seen BIGINT NOT NULL DEFAULT 0,
		last_seq BIGINT NOT NULL DEFAULT 0,
		revoked_at BIGINT NOT NULL DEFAULT 0,
		revoked_by TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX agents_entity ON agents(entity_id);
	CREATE TABLE scorecards (
		agent_id TEXT NOT NULL REFERENCES agents(id),
		id TEXT NOT NULL,
		seq BIGINT NOT NULL,
		received_at BIGINT NOT NULL,
		started_at BIGINT NOT NULL,
		finished_at BIGINT NOT NULL,
		score INTEGER NOT NULL,
		level INTEGER NOT NULL,
		capped INTEGER NOT NULL,
		d_patch INTEGER NOT NULL, d_backup INTEGER NOT NULL, d_hygiene INTEGER NOT NULL,
		d_tls INTEGER NOT NULL, d_dns INTEGER NOT NULL, d_organisation INTEGER NOT NULL,
		failed TEXT NOT NULL,
		hostname TEXT NOT NULL, os TEXT NOT NULL, platform TEXT NOT NULL, agent_version TEXT NOT NULL,
		envelope {{blob}} NOT NULL,
		PRIMARY KEY (agent_id, id)
	);
	CREATE UNIQUE INDEX scorecards_seq ON scorecards(agent_id, seq);
	CREATE TABLE latest (
		agent_id TEXT PRIMARY KEY REFERENCES agents(id),
		id TEXT NOT NULL,
		seq BIGINT NOT NULL,
		received_at BIGINT NOT NULL,
		started_at BIGINT NOT NULL,
		finished_at BIGINT NOT NULL,
		score INTEGER NOT NULL,
		level INTEGER NOT NULL,
		capped INTEGER NOT NULL,
		d_patch INTEGER NOT NULL, d_backup INTEGER NOT NULL, d_hygiene INTEGER NOT NULL,
		d_tls INTEGER NOT NULL, d_dns INTEGER NOT NULL, d_organisation INTEGER NOT NULL,
		failed TEXT NOT NULL,
		hostname TEXT NOT NULL, os TEXT NOT NULL, platform TEXT NOT NULL, agent_version TEXT NOT NULL
	);
	CREATE TABLE users (
		id {{serial}} PRIMARY KEY,
		email TEXT NOT NULL UNIQUE,
		role TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		disabled INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE sessions (
		hash {{blob}} PRIMARY KEY,
		user_id BIGINT NOT NULL REFERENCES users(id),
		csrf TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE TABLE audit (
		id {{serial}} PRIMARY KEY,
		at BIGINT NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		detail TEXT NOT NULL
	);
	CREATE INDEX audit_at ON audit(at);`,
	// 2: scores of domains without a column of their own (a newer agent's,
	// or domains added later), as a JSON object {"ad": 55}; rows written
	// before have none.
	`ALTER TABLE scorecards ADD COLUMN d_other TEXT NOT NULL DEFAULT '';
	ALTER TABLE latest ADD COLUMN d_other TEXT NOT NULL DEFAULT ''`,
	// 3: organisational answers belong to the entity (issue 17): one row
	// per entity and question with who gave it and when; and per agent the
	// time of the last answers document accepted from it (replay
	// protection of POST /api/v1/answers).
	`CREATE TABLE entity_answers (
		entity_id BIGINT NOT NULL REFERENCES entities(id),
		question TEXT NOT NULL,
		answer TEXT NOT NULL,
		answered_by TEXT NOT NULL,
		answered_at BIGINT NOT NULL,
		PRIMARY KEY (entity_id, question)
	);
	ALTER TABLE agents ADD COLUMN last_answers BIGINT NOT NULL DEFAULT 0`,
	// 4: an agent re-keyed after a revocation continues the history of the
	// agent it replaces (vigie-hub agent link OLD NEW): previous_id is OLD.
	`ALTER TABLE agents ADD COLUMN previous_id TEXT NOT NULL DEFAULT ''`,
	// 5: a token enrols up to uses agents (vigie-hub token create --uses N,
	// for a fleet); token_uses records each, n being its rank. Tokens used
	// before count their one use.
	`ALTER TABLE tokens ADD COLUMN uses INTEGER NOT NULL DEFAULT 1;
	ALTER TABLE tokens ADD COLUMN used_count INTEGER NOT NULL DEFAULT 0;
	UPDATE tokens SET used_count = 1 WHERE used_at <> 0;
	CREATE TABLE token_uses (
		hash {{blob}} NOT NULL REFERENCES tokens(hash),
		agent_id TEXT NOT NULL,
		n INTEGER NOT NULL,
		used_at BIGINT NOT NULL,
		PRIMARY KEY (hash, agent_id)
	);
	INSERT INTO token_uses (hash, agent_id, n, used_at) SELECT hash, used_by, 1, used_at FROM tokens WHERE used_at <> 0`,
	// 6: CERT-FR advisories and alerts (issue 16), each kept once as
	// published (its JSON byte for byte, the latest revision), with the
	// columns the lists sort and filter on. Exposures are not stored: the
	// hub recomputes them in memory from these and the hosts' latest
	// inventories when it starts (hub/app/advisories.go).
	`CREATE TABLE advisories (
		reference TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		title TEXT NOT NULL,
		published BIGINT NOT NULL,
		revised BIGINT NOT NULL,
		revisions INTEGER NOT NULL,
		raw {{blob}} NOT NULL,
		imported_at BIGINT NOT NULL
	);
	CREATE INDEX advisories_revised ON advisories(revised);
	CREATE INDEX advisories_imported ON advisories(imported_at)`,
	// 7: alerts (hub/alert, alerts.go): each host's baseline, the alerts
	// awaiting "fixed", events, their outbox and delivery log, advisers'
	// subscriptions, webhooks. On PostgreSQL scorecards get a commit-order
	// column the event detector reads after (SQLite's rowid serves).
	`CREATE TABLE alert_state (k TEXT PRIMARY KEY, v BIGINT NOT NULL);
	CREATE TABLE alert_hosts (
		agent_id TEXT PRIMARY KEY,
		entity_id BIGINT NOT NULL,
		seq BIGINT NOT NULL,
		scorecard_id TEXT NOT NULL,
		level INTEGER NOT NULL,
		failed TEXT NOT NULL,
		agent_version TEXT NOT NULL,
		revoked INTEGER NOT NULL
	);
	CREATE TABLE alert_open (
		kind TEXT NOT NULL,
		subject TEXT NOT NULL,
		entity_id BIGINT NOT NULL,
		agent_id TEXT NOT NULL,
		event_id BIGINT NOT NULL,
		opened_at BIGINT NOT NULL,
		PRIMARY KEY (kind, subject)
	);
	CREATE TABLE alert_events (
		id {{serial}} PRIMARY KEY,
		kind TEXT NOT NULL,
		at BIGINT NOT NULL,
		entity_id BIGINT NOT NULL,
		agent_id TEXT NOT NULL,
		quiet INTEGER NOT NULL,
		data TEXT NOT NULL
	);
	CREATE TABLE alert_outbox (
		id {{serial}} PRIMARY KEY,
		msg_id TEXT NOT NULL UNIQUE,
		event_id BIGINT NOT NULL,
		channel TEXT NOT NULL,
		target TEXT NOT NULL,
		address TEXT NOT NULL,
		state TEXT NOT NULL,
		digest_id BIGINT NOT NULL DEFAULT 0,
		held_until BIGINT NOT NULL DEFAULT 0,
		next_at BIGINT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		sent_at BIGINT NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX alert_outbox_due ON alert_outbox(state, next_at);
	CREATE INDEX alert_outbox_target ON alert_outbox(target, created_at);
	CREATE INDEX alert_outbox_digest ON alert_outbox(digest_id);
	CREATE TABLE alert_attempts (
		outbox_id BIGINT NOT NULL,
		at BIGINT NOT NULL,
		ok INTEGER NOT NULL,
		detail TEXT NOT NULL
	);
	CREATE INDEX alert_attempts_outbox ON alert_attempts(outbox_id);
	CREATE TABLE alert_subs (
		user_id BIGINT PRIMARY KEY REFERENCES users(id),
		mode TEXT NOT NULL,
		events TEXT NOT NULL,
		all_region INTEGER NOT NULL,
		sectors TEXT NOT NULL,
		entities TEXT NOT NULL,
		updated_at BIGINT NOT NULL
	);
	CREATE TABLE alert_webhooks (
		id {{serial}} PRIMARY KEY,
		url TEXT NOT NULL,
		secret TEXT NOT NULL,
		events TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_at BIGINT NOT NULL
	);
	{{pg}} ALTER TABLE scorecards ADD COLUMN ingest_id BIGSERIAL;
	{{pg}} CREATE INDEX scorecards_ingest ON scorecards(ingest_id)`,
	// 8: software inventories (issue 15): each distinct inventory once,
	// named by the hash of its canonical form as the hub computed it;
	// each scorecard points at the inventory it named (0: none or not
	// held), each agent at its current one and the name its agent gave
	// it (a newer agent's hash may differ from the hub's, inventory.go);
	// the appliances an agent declares (JSON) and those an adviser
	// declares for an entity. An integer reference keeps the index that
	// retention needs small (16 bytes a scorecard).
	`CREATE TABLE inventories (
		id {{serial}} PRIMARY KEY,
		sha256 TEXT NOT NULL UNIQUE,
		packages INTEGER NOT NULL,
		data {{blob}} NOT NULL,
		created_at BIGINT NOT NULL
	);
	ALTER TABLE scorecards ADD COLUMN inventory_id BIGINT NOT NULL DEFAULT 0;
	CREATE INDEX scorecards_inventory ON scorecards(inventory_id);
	ALTER TABLE agents ADD COLUMN inventory_id BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE agents ADD COLUMN inventory_claimed TEXT NOT NULL DEFAULT '';
	ALTER TABLE agents ADD COLUMN assets TEXT NOT NULL DEFAULT '';
	CREATE TABLE entity_assets (
		id {{serial}} PRIMARY KEY,
		entity_id BIGINT NOT NULL REFERENCES entities(id),
		vendor TEXT NOT NULL,
		product TEXT NOT NULL,
		version TEXT NOT NULL,
		name TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		created_by TEXT NOT NULL
	);
	CREATE INDEX entity_assets_entity ON entity_assets(entity_id)`,
	// 9: an entity's size band (issue 22, hub/cohort: communes by
	// population, other sectors by hosts), what it is compared within;
	// '' until an administrator gives it.
	`ALTER TABLE entities ADD COLUMN size_band TEXT NOT NULL DEFAULT ''`,
	// 10: federation (issue 22, hub/federation): on a regional hub, the
	// aggregates it pushed, by national hub and day (complete: pushed
	// after the day ended, never pushed again); on the national hub, the
	// registered regions with their signing keys, and each region's daily
	// aggregate, the document as signed and the figures the overview's
	// trends read without decoding it (small columns first and a covering
	// index: a year of 18 regions' trend points never reads a document).
	`CREATE TABLE federation_pushes (
		target TEXT NOT NULL,
		day TEXT NOT NULL,
		pushed_at BIGINT NOT NULL,
		complete INTEGER NOT NULL,
		sha256 TEXT NOT NULL,
		envelope {{blob}} NOT NULL,
		PRIMARY KEY (target, day)
	);
	CREATE TABLE regions (
		name TEXT PRIMARY KEY,
		signing_key TEXT NOT NULL UNIQUE,
		key_id TEXT NOT NULL,
		added_at BIGINT NOT NULL,
		added_by TEXT NOT NULL,
		revoked_at BIGINT NOT NULL DEFAULT 0,
		revoked_by TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE region_aggregates (
		region TEXT NOT NULL REFERENCES regions(name),
		day TEXT NOT NULL,
		received_at BIGINT NOT NULL,
		generated_at BIGINT NOT NULL,
		pushes INTEGER NOT NULL,
		sha256 TEXT NOT NULL,
		entities INTEGER NOT NULL,
		level_n INTEGER NOT NULL,
		level_sum INTEGER NOT NULL,
		withheld_cells INTEGER NOT NULL,
		document TEXT NOT NULL,
		envelope {{blob}} NOT NULL,
		PRIMARY KEY (region, day)
	);
	CREATE INDEX region_aggregates_points ON region_aggregates(day, region, entities, level_n, level_sum, withheld_cells)`,
	// 11: declared incidents (issue 23): the signed manifest as received,
	// the encrypted archive's file (in the data folder, never in the
	// database) with its size and SHA-256, the follow-up (status,
	// adviser in charge, personal-data breach, notification sent) and the
	// advisers' notes. One incident per (agent, archive): a retried
	// upload finds the one stored.
	`CREATE TABLE incidents (
		id {{serial}} PRIMARY KEY,
		agent_id TEXT NOT NULL,
		entity_id BIGINT NOT NULL REFERENCES entities(id),
		hostname TEXT NOT NULL,
		kind TEXT NOT NULL,
		aware_at BIGINT NOT NULL,
		declared_at BIGINT NOT NULL,
		received_at BIGINT NOT NULL,
		status TEXT NOT NULL,
		adviser TEXT NOT NULL DEFAULT '',
		personal_data INTEGER NOT NULL DEFAULT 0,
		notified_at BIGINT NOT NULL DEFAULT 0,
		manifest {{blob}} NOT NULL,
		archive_sha256 TEXT NOT NULL,
		archive_size BIGINT NOT NULL,
		archive_file TEXT NOT NULL,
		source TEXT NOT NULL,
		UNIQUE (agent_id, archive_sha256)
	);
	CREATE INDEX incidents_entity ON incidents(entity_id);
	CREATE INDEX incidents_received ON incidents(received_at);
	CREATE TABLE incident_notes (
		id {{serial}} PRIMARY KEY,
		incident_id BIGINT NOT NULL REFERENCES incidents(id),
		at BIGINT NOT NULL,
		author TEXT NOT NULL,
		text TEXT NOT NULL
	);
	CREATE INDEX incident_notes_incident ON incident_notes(incident_id)`,
	// 12: when an incident's alert was queued (0: not yet). An incident
	// `vigie-hub import` filed has no alert engine in that process: the
	// serve's engine raises it, once. The incidents already stored were
	// alerted at upload or are old news: marked alerted.
	`ALTER TABLE incidents ADD COLUMN alerted_at BIGINT NOT NULL DEFAULT 0;
	UPDATE incidents SET alerted_at = received_at`,
}

// migrate brings the schema up to date. On PostgreSQL an advisory lock keeps
// two hub processes starting together from migrating twice; on SQLite the
// immediate transaction does the same.
func (s *sqlStore) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	limit := len(migrations)
	if n, ok := ctx.Value(migrationLimit{}).(int); ok && n < limit {
		limit = n
	}
	for i, m := range migrations[:limit] {
		version := i + 1
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if s.pg {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7316001)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(s.ddl(m), ";") {
				if strings.TrimSpace(stmt) == "" || strings.HasPrefix(strings.TrimSpace(stmt), pgOnly) {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%s: %w", strings.TrimSpace(stmt)[:min(40, len(strings.TrimSpace(stmt)))], err)
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, toDB(now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", version, err)
		}
	}
	return nil
}

// migrationLimit, a context key, stops the migrations at a version: tests
// make the database an older hub left (export_test.go).
type migrationLimit struct{}

// pgOnly marks, on SQLite, a statement that only PostgreSQL runs
// ("{{pg}}" before it in a migration).
const pgOnly = "-- PostgreSQL only:"

func (s *sqlStore) ddl(m string) string {
	if s.pg {
		return strings.NewReplacer("{{serial}}", "BIGSERIAL", "{{blob}}", "BYTEA", "{{pg}}", "").Replace(m)
	}
	return strings.NewReplacer("{{serial}}", "INTEGER", "{{blob}}", "BLOB", "{{pg}}", pgOnly).Replace(m)
}

// SchemaVersion is the schema version this hub's migrations lead to.
func SchemaVersion() int { return len(migrations) }

// checkSchema refuses a database whose schema is not exactly this hub's
// (OpenExisting): never initialised (an empty file, or a database of
// something else), behind (init migrates it) or ahead (a newer hub's).
func (s *sqlStore) checkSchema(ctx context.Context) error {
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		// No schema_migrations table: not a hub database, or never initialised.
		return &SchemaError{Have: 0, Want: SchemaVersion()}
	}
	if have != SchemaVersion() {
		return &SchemaError{Have: have, Want: SchemaVersion()}
	}
	return nil
}

// SchemaError is a database whose schema is not the one this hub needs.
// It matches ErrNotMigrated.
type SchemaError struct{ Have, Want int }

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%v: schema version %d, this hub needs %d", ErrNotMigrated, e.Have, e.Want)
}

func (e *SchemaError) Is(target error) bool { return target == ErrNotMigrated }
