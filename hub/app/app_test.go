package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newApp(t *testing.T) (*app.App, store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return app.New(app.Config{Store: st, Now: func() time.Time { return t0 }}), st
}

// TestCreateToken: a token is made for every sector protocol knows, its
// entity created with that sector, the token kept only as its hash and the
// creation audited; a sector protocol does not know, a bad name or a
// validity out of bounds are refused as the caller's mistake, and nothing
// is written.
func TestCreateToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	for _, s := range protocol.Sectors {
		tok, err := a.CreateToken(ctx, "Entité "+string(s), string(s), time.Hour, "admin@x")
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if len(app.NormalizeToken(tok)) != 20 {
			t.Errorf("token %q", tok)
		}
	}
	for name, c := range map[string]struct {
		entity, sector string
		validity       time.Duration
	}{
		"unknown sector": {"Mairie de X", "comune", time.Hour},
		"no sector":      {"Mairie de X", "", time.Hour},
		"control char":   {"Mairie\nde X", "commune", time.Hour},
		"no validity":    {"Mairie de X", "commune", 0},
		"31 days":        {"Mairie de X", "commune", 31 * 24 * time.Hour},
	} {
		if _, err := a.CreateToken(ctx, c.entity, c.sector, c.validity, "admin@x"); !errors.Is(err, app.ErrBadInput) {
			t.Errorf("%s: err %v, want ErrBadInput", name, err)
		}
	}
	toks, _ := st.Tokens(ctx)
	es, _ := st.Entities(ctx)
	if len(toks) != len(protocol.Sectors) || len(es) != len(protocol.Sectors) {
		t.Errorf("%d tokens, %d entities, want %d each", len(toks), len(es), len(protocol.Sectors))
	}
	for _, e := range es {
		if e.Name != "Entité "+e.Sector {
			t.Errorf("entity %q has sector %q", e.Name, e.Sector)
		}
	}
	log, _ := st.AuditLog(ctx, 10)
	if len(log) != len(protocol.Sectors) || log[0].Action != "token_create" || log[0].Actor != "admin@x" {
		t.Errorf("audit: %+v", log)
	}
}

// TestAddUser: accounts need a valid address, a known role and a long
// enough password; an existing address is refused.
func TestAddUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, _ := newApp(t)
	if _, err := a.AddUser(ctx, "c@csirt.example", "adviser", "mot de passe très long", auth.Fast, "cli"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		email, role, pw string
		want            error
	}{
		"bad role":     {"d@csirt.example", "root", "mot de passe très long", app.ErrBadInput},
		"bad address":  {"d", "admin", "mot de passe très long", app.ErrBadInput},
		"short":        {"d@csirt.example", "admin", "court", app.ErrWeakPassword},
		"already used": {"c@csirt.example", "admin", "mot de passe très long", store.ErrExists},
	} {
		if _, err := a.AddUser(ctx, c.email, c.role, c.pw, auth.Fast, "cli"); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func hostRow(id string, entity int64, domains store.DomainScores) store.HostRow {
	return store.HostRow{
		Agent:  store.Agent{ID: id, EntityID: entity, Entity: "E" + id, Sector: "port", Hostname: "h" + id, EnrolledAt: t0},
		Latest: &store.Scorecard{Score: 50, Level: 2, ReceivedAt: t0, DomainScores: domains},
	}
}

// TestOverviewUnknownDomain: a domain only a newer agent reports gets a
// column after protocol's, by ID, averaged like the others, and NoScore
// for the entities whose hosts did not report it.
func TestOverviewUnknownDomain(t *testing.T) {
	t.Parallel()
	known := store.ScoresOf([]protocol.DomainScore{{Domain: protocol.DomainPatch, Score: 80}})
	newer := store.ScoresOf([]protocol.DomainScore{{Domain: protocol.DomainPatch, Score: 60}, {Domain: "iot", Score: 40}, {Domain: "ot", Score: 10}})
	rows := []store.HostRow{hostRow("1", 1, known), hostRow("2", 2, newer), hostRow("3", 2, store.ScoresOf([]protocol.DomainScore{{Domain: "iot", Score: 61}}))}
	ov := app.BuildOverview(rows, app.Filter{Level: -1}, t0, time.Hour, 0)
	if want := append(slices.Clone(protocol.Domains), "iot", "ot"); !slices.Equal(ov.Domains, want) {
		t.Errorf("columns %v, want %v", ov.Domains, want)
	}
	e1, e2 := ov.Entities[0], ov.Entities[1]
	if e1.Domains.Get("iot") != store.NoScore || e1.Domains.Get(protocol.DomainPatch) != 80 {
		t.Errorf("entity 1: %v", e1.Domains)
	}
	if e2.Domains.Get("iot") != 51 || e2.Domains.Get(protocol.DomainPatch) != 60 || e2.Domains.Get("ot") != 10 {
		t.Errorf("entity 2: %v", e2.Domains)
	}
}

// TestExportCSV: the CSV has one score column per domain in
// protocol.Domains order, then a newer agent's domains, and level names
// are protocol's in the export's language.
func TestExportCSV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	tok, err := a.CreateToken(ctx, "=Mairie", "commune", time.Hour, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: "a1", PublicKey: []byte("k"), Hostname: "srv"}, t0); err != nil {
		t.Fatal(err)
	}
	sc := &store.Scorecard{AgentID: "a1", ID: "s1", Sequence: 1, ReceivedAt: t0, Score: 55, Level: 3, Envelope: []byte("{}"),
		DomainScores: store.ScoresOf([]protocol.DomainScore{{Domain: protocol.DomainTLS, Score: 70}, {Domain: "iot", Score: 20}})}
	if o, err := st.SaveScorecard(ctx, sc); err != nil || o != store.Stored {
		t.Fatal(o, err)
	}
	for _, lang := range []string{"fr", "en"} {
		x, err := a.Export(ctx, app.Filter{Level: -1}, lang, "csv", "cli")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := x.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%d records, %v", len(recs), err)
		}
		var cols []string
		for _, d := range append(slices.Clone(protocol.Domains), "iot") {
			cols = append(cols, "score_"+string(d))
		}
		head, row := recs[0], recs[1]
		if got := head[11 : len(head)-1]; !slices.Equal(got, cols) {
			t.Errorf("score columns %v, want %v", got, cols)
		}
		if row[0] != "'=Mairie" || row[10] != protocol.Level(3).Name(lang) || row[11+slices.Index(protocol.Domains, protocol.DomainTLS)] != "70" || row[11+len(protocol.Domains)] != "20" || row[11] != "" {
			t.Errorf("%s row %q", lang, row)
		}
	}
}

// TestTokenNeverMovesEntity (issue 14, item 1): a token for an existing
// entity with another sector, or for a case or spacing variant of its
// name, is refused saying which entity exists; nothing is written. The
// sector changes only through SetSector, recorded with the old and new
// sector.
func TestTokenNeverMovesEntity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	if _, err := a.CreateToken(ctx, "Mairie de Plouguerneau", "commune", time.Hour, "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateToken(ctx, "Mairie de Plouguerneau", "commune", time.Hour, "cli"); err != nil {
		t.Fatalf("second token for the same entity and sector: %v", err)
	}
	for name, c := range map[string]struct{ entity, sector, want string }{
		"another sector": {"Mairie de Plouguerneau", "port", "existe déjà dans le secteur « Commune ou intercommunalité », et non « Port »"},
		"case variant":   {"mairie de PLOUGUERNEAU", "commune", "une entité nommée « Mairie de Plouguerneau » existe déjà"},
		"spaces":         {"Mairie  de Plouguerneau", "commune", "« Mairie de Plouguerneau » existe déjà"},
	} {
		_, err := a.CreateToken(ctx, c.entity, c.sector, time.Hour, "cli")
		var conflict *app.EntityConflict
		if !errors.Is(err, app.ErrBadInput) || !errors.As(err, &conflict) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a conflict saying %q", name, err, c.want)
		}
	}
	es, _ := st.Entities(ctx)
	toks, _ := st.Tokens(ctx)
	if len(es) != 1 || es[0].Sector != "commune" || len(toks) != 2 {
		t.Fatalf("refused tokens changed the store: %+v, %d tokens", es, len(toks))
	}
	if _, err := a.SetSector(ctx, es[0].ID, "ports", "admin@x"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("unknown sector: %v", err)
	}
	if _, err := a.SetSector(ctx, es[0].ID, "commune", "admin@x"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("same sector: %v", err)
	}
	if _, err := a.SetSector(ctx, 999, "port", "admin@x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
	e, err := a.SetSector(ctx, es[0].ID, "port", "admin@x")
	if err != nil || e.Sector != "port" {
		t.Fatalf("SetSector: %+v %v", e, err)
	}
	if got, _ := st.Entity(ctx, e.ID); got.Sector != "port" {
		t.Errorf("stored sector %q", got.Sector)
	}
	log, _ := st.AuditLog(ctx, 1)
	if len(log) != 1 || log[0].Action != "entity_sector" || log[0].Actor != "admin@x" || log[0].Target != "Mairie de Plouguerneau" || log[0].Detail != "commune -> port" {
		t.Errorf("sector change not audited: %+v", log)
	}
	if _, err := a.CreateToken(ctx, "Mairie de Plouguerneau", "port", time.Hour, "cli"); err != nil {
		t.Errorf("token in the new sector: %v", err)
	}
	if _, err := a.EntityByName(ctx, "MAIRIE de plouguerneau"); !errors.Is(err, app.ErrBadInput) || !strings.Contains(err.Error(), "« Mairie de Plouguerneau »") {
		t.Errorf("EntityByName of a case variant: %v", err)
	}
	if _, err := a.EntityByName(ctx, "Mairie de Brest"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EntityByName of an unknown entity: %v", err)
	}
}

// TestInstallCommand (item 8): the command given with a token, the hub's
// address (configured, else derived) and durations in words.
func TestInstallCommand(t *testing.T) {
	t.Parallel()
	got := app.InstallCommand("https://vigie.region.fr", "7F3K-Q9XD-M2PA-TT4H-0BC8", "ab12")
	if got != "vigie install --hub https://vigie.region.fr --token 7F3K-Q9XD-M2PA-TT4H-0BC8 --fingerprint ab12" {
		t.Errorf("InstallCommand = %q", got)
	}
	for _, c := range []struct{ configured, host, listen, want string }{
		{"https://vigie.region.fr/", "ignored:8443", ":8443", "https://vigie.region.fr"},
		{"", "hub.local:8443", "", "https://hub.local:8443"},
		{"", "hub.local:443", "", "https://hub.local"},
		{"", "hub.local", "", "https://hub.local"},
		{"", "srv-vigie", ":8443", "https://srv-vigie:8443"},
		{"", "srv-vigie", ":443", "https://srv-vigie"},
		{"", "[::1]:8443", "", "https://[::1]:8443"},
	} {
		if got := app.PublicURL(c.configured, c.host, c.listen); got != c.want {
			t.Errorf("PublicURL(%q, %q, %q) = %q, want %q", c.configured, c.host, c.listen, got, c.want)
		}
	}
	for _, c := range []struct {
		d      time.Duration
		fr, en string
	}{
		{72 * time.Hour, "3 jours", "3 days"},
		{24 * time.Hour, "1 jour", "1 day"},
		{36 * time.Hour, "36 heures", "36 hours"},
		{time.Hour, "1 heure", "1 hour"},
		{90 * time.Minute, "90 minutes", "90 minutes"},
		{30 * time.Second, "30 secondes", "30 seconds"},
	} {
		if fr, en := app.DurationWords(c.d, "fr"), app.DurationWords(c.d, "en"); fr != c.fr || en != c.en {
			t.Errorf("DurationWords(%s) = %q, %q", c.d, fr, en)
		}
	}
}
