package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
)

func init() {
	// serve's summary of stored scorecards every 100 ms instead of every
	// minute (set before any test starts a hub).
	summaryEvery = 100 * time.Millisecond
	advisoriesRefresh = 100 * time.Millisecond
}

// TestDatabaseMustExist (issue 14, item 2): a mistyped --db no longer makes
// an empty database. Only init and serve create (SQLite) or migrate one;
// every other command exits 3 saying the database does not exist, or is not
// initialised, and how to create it, and leaves nothing behind.
func TestDatabaseMustExist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	typo := filepath.Join(dir, "hbu.db")
	empty := filepath.Join(dir, "vide.db")
	os.WriteFile(empty, nil, 0o600)
	commands := [][]string{
		{"token", "create", "--entity", "Mairie de X", "--sector", "commune"},
		{"user", "add", "--email", "a@csirt.example", "--role", "admin"},
		{"agent", "revoke", "deadbeef"},
		{"export"},
		{"entity", "list"},
		{"entity", "set-sector", "--entity", "Mairie de X", "--sector", "port"},
		{"entity", "set-size-band", "--entity", "Mairie de X", "--size-band", "pop-lt-1000"},
		{"backup", "--out", filepath.Join(dir, "copie.db")},
		{"inventory", "--entity", "Mairie de X"},
	}
	for _, c := range commands {
		args := append(append([]string{}, c...), "--db", typo)
		if c[0] == "agent" {
			args = []string{"agent", "revoke", "--db", typo, "deadbeef"}
		}
		code, _, stderr := cli(t, "une phrase de passe longue\n", args...)
		if code != exitDB || !strings.Contains(stderr, "n'existe pas") || !strings.Contains(stderr, "vigie-hub init --db "+typo) {
			t.Errorf("%v on a missing database: exit %d %q", c, code, stderr)
		}
		args[len(args)-1], args[len(args)-2] = empty, "--db"
		if c[0] == "agent" {
			args = []string{"agent", "revoke", "--db", empty, "deadbeef"}
		}
		code, _, stderr = cli(t, "une phrase de passe longue\n", args...)
		if code != exitDB || !strings.Contains(stderr, "n'est pas une base du hub initialisée") {
			t.Errorf("%v on an empty file: exit %d %q", c, code, stderr)
		}
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command created the mistyped database: %v", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("a command wrote into the empty file: %v", err)
	}
	// init creates it; again, it is a no-op; then the commands work.
	mustInit(t, typo)
	mustInit(t, typo)
	if code, out, stderr := cli(t, "", "token", "create", "--db", typo, "--entity", "Mairie de X", "--sector", "commune"); code != 0 {
		t.Errorf("token create after init: %d %q %q", code, out, stderr)
	}
	// serve creates the database it is given, as init does.
	fresh := filepath.Join(dir, "serve", "hub.db")
	runServe(t, fresh).stop()
	if code, out, stderr := cli(t, "", "entity", "list", "--db", fresh); code != 0 || !strings.Contains(out, "Aucune entité") {
		t.Errorf("entity list on the database serve created: %d %q %q", code, out, stderr)
	}

	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.DSN(t) // an empty database
		code, _, stderr := cli(t, "", "export", "--db", dsn)
		if code != exitDB || !strings.Contains(stderr, "n'est pas une base du hub initialisée") {
			t.Errorf("export on an empty PostgreSQL database: %d %q", code, stderr)
		}
		if code, _, _ := cli(t, "", "export", "--db", dsn); code != exitDB {
			t.Error("the first export initialised the database")
		}
		mustInit(t, dsn)
		if code, out, stderr := cli(t, "", "token", "create", "--db", dsn, "--entity", "CH de Morlaix", "--sector", "hospital"); code != 0 {
			t.Errorf("token create after init: %d %q %q", code, out, stderr)
		}
		if code, out, _ := cli(t, "", "export", "--db", dsn); code != 0 || !strings.Contains(out, `"entity","sector",`) {
			t.Errorf("export after init: %d %q", code, out)
		}
	})
}

// hubCommands are every command, with the options each must document.
var hubCommands = map[string][]string{
	"init": {"db"},
	"serve": {"db", "listen", "cert", "key", "data-dir", "silent-days", "min-aggregate", "uploads-per-hour", "san", "public-url", "max-password-checks", "enroll-per-minute", "advisories-every", "advisories-url", "proxy", "retention",
		"federate-to", "federate-fingerprint", "federate-region", "federate-every", "national", "incident-retention"},
	"token create":         {"db", "entity", "sector", "size-band", "expires", "uses", "public-url", "cert", "data-dir"},
	"entity list":          {"db"},
	"entity set-sector":    {"db", "entity", "sector"},
	"entity set-size-band": {"db", "entity", "size-band"},
	"user add":             {"db", "email", "role"},
	"agent revoke":         {"db"},
	"agent reinstate":      {"db"},
	"agent link":           {"db"},
	"export":               {"db", "format", "sector", "lang", "out"},
	"backup":               {"db", "out", "data-dir"},
	"keys":                 {"db", "data-dir", "format"},
	"enroll-offline":       {"db", "token", "out", "public-url", "cert", "data-dir"},
	"advisories import":    {"db"},
	"advisories fetch":     {"db", "since", "base-url", "proxy", "ca"},
	"advisories list":      {"db", "exposed", "sector", "format"},
	"advisories review":    {"db", "format"},
	"exposure":             {"db", "advisory", "entity", "format"},
	"inventory":            {"db", "entity", "format", "out"},
	"import":               {"db", "data-dir", "format"},
	"bundle export":        {"db", "out", "data-dir"},
	"bundle import":        {"db", "key", "repin", "data-dir"},
	"federate":             {"db", "to", "fingerprint", "region", "data-dir", "catch-up-days", "min-aggregate"},
	"region add":           {"db", "key"},
	"region revoke":        {"db"},
	"region list":          {"db", "format"},
	"national report":      {"db", "day", "format"},
	"incidents list":       {"db", "format", "open"},
	"incidents export":     {"db", "out", "data-dir"},
	"incidents delete":     {"db", "data-dir"},
}

var optionRE = regexp.MustCompile(`(?m)^  --([a-z-]+) `)

// TestCommandHelp (item 10): every command prints its own help in French
// with -h (exit 0), listing every option it has; the README documents every
// command and every option.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for cmd, want := range hubCommands {
		args := append(strings.Fields(cmd), "-h")
		code, out, stderr := cli(t, "", args...)
		if code != 0 || stderr != "" || !strings.HasPrefix(out, "Utilisation : vigie-hub "+cmd) || !strings.Contains(out, "Options :") {
			t.Errorf("%s -h: exit %d, %q %q", cmd, code, out, stderr)
			continue
		}
		got := map[string]bool{}
		for _, m := range optionRE.FindAllStringSubmatch(out, -1) {
			got[m[1]] = true
			if !strings.Contains(string(readme), "--"+m[1]) {
				t.Errorf("README does not document %s --%s", cmd, m[1])
			}
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("%s -h does not list --%s:\n%s", cmd, w, out)
			}
		}
		if strings.Contains(out, "default") || strings.Contains(out, "Usage") {
			t.Errorf("%s -h is not in French:\n%s", cmd, out)
		}
		if !strings.Contains(string(readme), "vigie-hub "+cmd) {
			t.Errorf("README does not document vigie-hub %s", cmd)
		}
	}
	// A mistake prints the command's help, not the global one.
	code, _, stderr := cli(t, "", "serve", "--silent-days", "0")
	if code != exitUsage || !strings.Contains(stderr, "Utilisation : vigie-hub serve") {
		t.Errorf("serve --silent-days 0: %d %q", code, stderr)
	}
}

// TestUnknownValuesRefused (item 10): a value the hub does not know is a
// usage error (exit 2) naming the valid ones, before anything is written.
func TestUnknownValuesRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	out := filepath.Join(dir, "export.csv")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"export", "--sector", "ports", "--out", out}, `secteur "ports" inconnu : commune, hospital, port ou other`},
		{[]string{"export", "--format", "xml", "--out", out}, `--format "xml" inconnu`},
		{[]string{"export", "--lang", "de", "--out", out}, `--lang "de" inconnue`},
		{[]string{"export", "surplus", "--out", out}, `argument inattendu "surplus"`}, // flags stop at "surplus"
		{[]string{"token", "create", "--entity", "Port de Brest", "--sector", "Port"}, `secteur "Port" inconnu`},
		{[]string{"entity", "set-sector", "--entity", "Port de Brest", "--sector", "ports"}, `secteur "ports" inconnu`},
		{[]string{"token", "create", "--entity", "Port de Brest", "--sector", "port", "--size-band", "pop-lt-1000"}, `tranche de taille "pop-lt-1000" invalide pour le secteur « Port » : une tranche de nombre de postes parmi hosts-lt-20, hosts-20-99, hosts-100-plus`},
		{[]string{"entity", "set-size-band", "--entity", "Port de Brest", "--size-band", "grand"}, `tranche de taille "grand" inconnue`},
		{[]string{"user", "add", "--email", "a@b.fr", "--role", "root"}, "--role adviser|admin"},
		{[]string{"serve", "--uploads-per-hour", "-1"}, "1 ou plus"},
		{[]string{"token", "frobnicate"}, "attendu : vigie-hub token create"},
	} {
		code, _, stderr := cli(t, "", append(c.args, "--db", db)...)
		if code != exitUsage || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %q, want 2 and %q", c.args, code, stderr, c.msg)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused export wrote %s", out)
	}
}

// TestTokenCreateEntities (items 1 and 8): `token create` gives the exact
// install command (the hub's address and the fingerprint serve printed) and
// its validity in words; it refuses an existing entity in another sector or
// under another spelling, auditing nothing; `entity set-sector` changes the
// sector explicitly and is audited.
func TestTokenCreateEntities(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	h := runServe(t, db) // writes the self-signed certificate beside the database
	h.stop()
	code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--public-url", "https://vigie.region.fr")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
	if code != 0 || tok == nil {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	if want := "vigie install --hub https://vigie.region.fr --token " + tok[1] + " --fingerprint " + h.spki; !strings.Contains(out, "\n    "+want+"\n") {
		t.Errorf("install command missing, want %q in:\n%s", want, out)
	}
	if !strings.Contains(out, "valable 3 jours") || strings.Contains(out, "72h") {
		t.Errorf("validity not in words:\n%s", out)
	}
	// Without --public-url: this machine's name and serve's default port.
	host, _ := os.Hostname()
	_, out, _ = cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--expires", "36h")
	if !strings.Contains(out, "vigie install --hub https://"+host+":8443 --token ") || !strings.Contains(out, "valable 36 heures") || !strings.Contains(out, "--public-url") {
		t.Errorf("derived address:\n%s", out)
	}

	audit := func() []store.AuditEntry {
		st, err := store.OpenExisting(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		log, _ := st.AuditLog(context.Background(), 100)
		return log
	}
	before := len(audit())
	for _, c := range []struct{ entity, sector, msg string }{
		{"Mairie de Plouguerneau", "port", "existe déjà dans le secteur « Commune ou intercommunalité », et non « Port »"},
		{"MAIRIE DE PLOUGUERNEAU", "commune", "une entité nommée « Mairie de Plouguerneau » existe déjà"},
	} {
		code, _, stderr := cli(t, "", "token", "create", "--db", db, "--entity", c.entity, "--sector", c.sector)
		if code != exitFail || !strings.Contains(stderr, c.msg) {
			t.Errorf("token for %q in %s: exit %d %q", c.entity, c.sector, code, stderr)
		}
	}
	if n := len(audit()); n != before {
		t.Errorf("refused tokens wrote %d audit entries", n-before)
	}
	code, out, _ = cli(t, "", "entity", "list", "--db", db)
	if code != 0 || out != "Mairie de Plouguerneau\tCommune ou intercommunalité (commune)\n" {
		t.Errorf("entity list: %d %q", code, out)
	}
	for _, c := range []struct {
		entity, msg string
		code        int
	}{
		{"Mairie de Brest", "inconnue de ce hub", exitFail},
		{"mairie de plouguerneau", "s'écrit « Mairie de Plouguerneau »", exitFail},
	} {
		code, _, stderr := cli(t, "", "entity", "set-sector", "--db", db, "--entity", c.entity, "--sector", "port")
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("set-sector %q: %d %q", c.entity, code, stderr)
		}
	}
	code, out, stderr = cli(t, "", "entity", "set-sector", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "port")
	if code != 0 || !strings.Contains(out, "secteur « Commune ou intercommunalité » remplacé par « Port »") {
		t.Fatalf("set-sector: %d %q %q", code, out, stderr)
	}
	if log := audit(); log[0].Action != "entity_sector" || log[0].Actor != "cli" || log[0].Detail != "commune -> port" {
		t.Errorf("sector change not audited: %+v", log[0])
	}
	if code, _, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "port"); code != 0 {
		t.Errorf("token in the new sector: %d %q", code, stderr)
	}
}

// TestServeLogs (item 11): serve logs a summary of the scorecards it
// stored (here every 100 ms instead of every minute), nothing when none
// came, and its own shutdown.
func TestServeLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	_, out, _ := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lanildut", "--sector", "commune")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
	if tok == nil {
		t.Fatalf("token create: %q", out)
	}
	h := runServe(t, db)
	time.Sleep(300 * time.Millisecond) // quiet periods log nothing
	if strings.Contains(h.log.String(), "bilans reçus") {
		t.Errorf("summary logged with no scorecard:\n%s", h.log.String())
	}
	ctx := context.Background()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a loopback test hub
	hub := "https://" + h.addr
	a := hubtest.NewAgent(7, 0.5)
	if r, err := a.Enroll(ctx, client, hub, tok[1]); err != nil || r.Status != 201 {
		t.Fatalf("enrol: %+v %v", r, err)
	}
	for range 2 {
		if r, err := a.Upload(ctx, client, hub, a.Sign(a.Next(time.Now()))); err != nil || r.Status != 201 {
			t.Fatalf("upload: %+v %v", r, err)
		}
	}
	// The two may fall in one period or two: the lines add up.
	stored := func() int {
		n := 0
		for _, m := range regexp.MustCompile(`msg="bilans reçus" enregistrés=(\d+) doublons=0 rejoués=0 échecs_écriture=0`).FindAllStringSubmatch(h.log.String(), -1) {
			v, _ := strconv.Atoi(m[1])
			n += v
		}
		return n
	}
	for i := 0; i < 100 && stored() < 2; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if stored() != 2 {
		t.Errorf("summaries do not count the two stored scorecards:\n%s", h.log.String())
	}
	if code := h.stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	log := h.log.String()
	for _, want := range []string{`msg="hub démarré"`, `msg="arrêt demandé`, `msg="hub arrêté"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	if strings.Index(log, "arrêt demandé") > strings.Index(log, "hub arrêté") {
		t.Error("shutdown logged out of order")
	}
}
