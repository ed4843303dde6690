package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
)

// syncBuffer is written by the serving goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestServeEndToEnd runs the real `serve` on 127.0.0.1:0 with a fresh data
// directory: a self-signed certificate is created and its SPKI printed; an
// agent pinning that SPKI enrols with a token from `token create` and
// uploads; `export` sees the host; `agent revoke` stops its uploads.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")

	mustInit(t, db)
	code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--expires", "72h")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
	if code != 0 || tok == nil {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, "une phrase de passe longue\n", "user", "add", "--db", db, "--email", "conseiller@csirt.example", "--role", "adviser")
	if code != 0 || !strings.Contains(out, "créé") {
		t.Fatalf("user add: %d %q %q", code, out, stderr)
	}
	code, _, stderr = cli(t, "court\n", "user", "add", "--db", db, "--email", "x@csirt.example", "--role", "admin")
	if code != exitFail || !strings.Contains(stderr, "trop court") {
		t.Errorf("weak password: %d %q", code, stderr)
	}

	ctx := context.Background()
	addr, spki := startServe(t, db)
	if _, err := os.Stat(filepath.Join(dir, "hub.key")); err != nil {
		t.Fatalf("self-signed key not written: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "hub.key")); fi.Mode().Perm() != 0o600 {
		t.Errorf("hub.key mode %v", fi.Mode().Perm())
	}

	// The agent pins the printed fingerprint, as `vigie install --fingerprint` does.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // pinned below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
			if hex.EncodeToString(h[:]) != spki {
				return errors.New("SPKI pin mismatch")
			}
			return nil
		}}}}
	hub := "https://" + addr
	a := hubtest.NewAgent(42, 0.7)
	r, err := a.Enroll(ctx, client, hub, tok[1])
	if err != nil || r.Status != 201 || r.Body["hub_spki_sha256"] != spki {
		t.Fatalf("enrol: %v %v", r, err)
	}
	r, err = a.Upload(ctx, client, hub, a.Sign(a.Next(time.Now())))
	if err != nil || r.Status != 201 {
		t.Fatalf("upload: %v %v", r, err)
	}
	resp, err := client.Get(hub + "/login")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("UI not served: %v", err)
	}
	resp.Body.Close()

	code, out, stderr = cli(t, "", "export", "--db", db, "--format", "csv")
	if code != 0 || !strings.Contains(out, a.Host.Hostname) || !strings.Contains(out, "Mairie de Plouguerneau") {
		t.Errorf("export: %d %q %q", code, out, stderr)
	}
	code, out, _ = cli(t, "", "agent", "revoke", "--db", db, a.ID)
	if code != 0 || !strings.Contains(out, "révoqué") {
		t.Errorf("revoke: %d %q", code, out)
	}
	r, err = a.Upload(ctx, client, hub, a.Sign(a.Next(time.Now())))
	if err != nil || r.Status != 403 {
		t.Errorf("upload after revoke: %v %v", r.Status, err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "conseiller@csirt.example")
	if ok, _ := auth.Check(u.PasswordHash, "une phrase de passe longue"); err != nil || !ok {
		t.Errorf("user's password does not check: %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	initialised := filepath.Join(dir, "b.db")
	mustInit(t, initialised)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, exitUsage, "commande manquante"},
		{[]string{"frobnicate"}, exitUsage, "commande inconnue"},
		{[]string{"token", "create", "--db", filepath.Join(dir, "a.db")}, exitUsage, "--entity est obligatoire"},
		{[]string{"token", "create", "--bogus"}, exitUsage, "option inconnue : -bogus"},
		{[]string{"token", "create", "--db", filepath.Join(dir, "a.db"), "--entity", "Mairie de X", "--sector", "comune"}, exitUsage, `secteur "comune" inconnu`},
		{[]string{"token", "create", "--db", filepath.Join(dir, "a.db"), "--entity", "Mairie\nde X", "--sector", "commune"}, exitUsage, "caractères de contrôle"},
		{[]string{"user", "add", "--db", filepath.Join(dir, "a.db"), "--email", "a\x00@b.fr"}, exitUsage, "--email valide"},
		{[]string{"agent", "revoke", "--db", initialised, "deadbeef"}, exitFail, "inconnu"},
		{[]string{"export", "--db", "/proc/nonexistent/x/hub.db"}, exitDB, "n'existe pas"},
		{[]string{"init", "--db", "/proc/nonexistent/x/hub.db"}, exitDB, "impossible d'ouvrir la base"},
		{[]string{"serve", "--cert", "x.pem"}, exitUsage, "--cert et --key vont ensemble"},
		{[]string{"--help"}, exitOK, ""},
	} {
		code, _, stderr := cli(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %q, want %d %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// startServe runs the real `vigie-hub serve` on 127.0.0.1:0 with the
// database db (a fresh data directory beside it) and returns its address and
// the SPKI fingerprint it printed for agents to pin.
func startServe(t *testing.T, db string) (addr, spki string) {
	t.Helper()
	h := runServe(t, db)
	return h.addr, h.spki
}

// served is a running `vigie-hub serve`.
type served struct {
	addr, spki string
	out, log   *syncBuffer // stdout, and stderr (its log)
	stop       func() int  // ends it as SIGTERM would; its exit code
}

func runServe(t *testing.T, db string, extra ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &served{out: &syncBuffer{}, log: &syncBuffer{}}
	done := make(chan int, 1)
	args := append([]string{"serve", "--db", db, "--listen", "127.0.0.1:0"}, extra...)
	go func() { done <- run(ctx, args, nil, h.out, h.log) }()
	var once sync.Once
	code := -1
	h.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Error("serve did not stop")
			}
		})
		return code
	}
	t.Cleanup(func() { h.stop() })
	for i := 0; i < 200 && h.addr == ""; i++ {
		if m := regexp.MustCompile(`https://(127\.0\.0\.1:\d+)\n`).FindStringSubmatch(h.out.String()); m != nil {
			h.addr = m[1]
		}
		time.Sleep(25 * time.Millisecond)
	}
	if m := regexp.MustCompile(`--fingerprint ([0-9a-f]{64})`).FindStringSubmatch(h.out.String()); m != nil {
		h.spki = m[1]
	}
	if h.addr == "" || h.spki == "" {
		t.Fatalf("serve output: %q %q", h.out.String(), h.log.String())
	}
	return h
}

// TestBackupCommand: `backup` copies the database of a running hub into a
// file that opens as a hub database, says how to restore it, is recorded in
// the audit log, and refuses what it must: an existing file, a database
// that does not exist (without creating it), PostgreSQL (pg_dump's job).
func TestBackupCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	if code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lanildut", "--sector", "commune"); code != 0 {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	startServe(t, db) // the hub keeps running during the backup
	copyPath := filepath.Join(dir, "sauvegarde.db")
	code, out, stderr := cli(t, "", "backup", "--db", db, "--out", copyPath)
	if code != 0 || !strings.Contains(out, "Sauvegarde écrite et vérifiée") || !strings.Contains(out, "Pour restaurer") {
		t.Fatalf("backup: %d %q %q", code, out, stderr)
	}
	if !regexp.MustCompile(`\(\d+,\d Mo, `).MatchString(out) { // French decimal comma (issue 14, item 7)
		t.Errorf("size not written the French way: %q", out)
	}
	c, err := store.Open(context.Background(), copyPath)
	if err != nil {
		t.Fatal(err)
	}
	entities, err := c.Entities(context.Background())
	c.Close()
	if err != nil || len(entities) != 1 || entities[0].Name != "Mairie de Lanildut" {
		t.Errorf("backup holds %+v, %v", entities, err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := st.AuditLog(context.Background(), 10)
	st.Close()
	if len(log) == 0 || log[0].Action != "backup" || log[0].Target != copyPath {
		t.Errorf("audit log: %+v", log)
	}

	missing := filepath.Join(dir, "absente.db")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"backup", "--db", db, "--out", copyPath}, exitFail, "existe déjà"},
		{[]string{"backup", "--db", db}, exitUsage, "--out"},
		{[]string{"backup", "--db", missing, "--out", filepath.Join(dir, "x.db")}, exitDB, "n'existe pas"},
		{[]string{"backup", "--db", db, "--out", filepath.Join(dir, "absent", "x.db")}, exitFail, "n'existe pas"},
		{[]string{"backup", "--db", "postgres://vigie@localhost/vigie", "--out", filepath.Join(dir, "y.db")}, exitFail, "pg_dump"},
	} {
		code, _, stderr := cli(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %q, want %d %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup of a missing database created it: %v", err)
	}
}

// mustInit runs `vigie-hub init` on db.
func mustInit(t *testing.T, db string) {
	t.Helper()
	if code, out, stderr := cli(t, "", "init", "--db", db); code != 0 || !strings.Contains(out, "Base du hub prête") {
		t.Fatalf("init: %d %q %q", code, out, stderr)
	}
}
