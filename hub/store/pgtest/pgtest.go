// Package pgtest gives tests a real, throwaway PostgreSQL database.
//
// With VIGIE_TEST_PG set (a postgres:// URL of a role allowed to create
// databases) it uses that server. Otherwise it starts Debian's cluster
// (pg_ctlcluster <version> main start, package "postgresql" in
// testdata/apt-packages.txt), creates a login role named after the current
// user through `su postgres -c psql`, and connects over the unix socket in
// /var/run/postgresql with peer authentication. When neither works the test
// skips locally and fails in CI (checkstest.Unavailable).
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/vigie-cyber/vigie/checks/checkstest"
)

const socketDir = "/var/run/postgresql"

var (
	once     sync.Once
	adminDSN string
	adminErr error
)

// DSN returns the URL of a new empty database, dropped when the test ends.
// Close stores opened on it in a t.Cleanup registered after DSN returns.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { adminDSN, adminErr = admin() })
	if adminErr != nil {
		checkstest.Unavailable(t, "PostgreSQL: "+adminErr.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", adminDSN)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "vigie_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
		db.Close()
	})
	u, err := url.Parse(adminDSN)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func admin() (string, error) {
	if dsn := os.Getenv("VIGIE_TEST_PG"); dsn != "" {
		return dsn, ping(dsn)
	}
	if err := startCluster(); err != nil {
		return "", err
	}
	me, err := user.Current()
	if err != nil {
		return "", err
	}
	if me.Username != "postgres" {
		if err := createRole(me.Username); err != nil {
			return "", err
		}
	}
	dsn := (&url.URL{Scheme: "postgres", User: url.User(me.Username), Path: "/postgres",
		RawQuery: url.Values{"host": {socketDir}, "sslmode": {"disable"}}.Encode()}).String()
	return dsn, ping(dsn)
}

func ping(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// startCluster starts Debian's default cluster unless a server answers on
// its socket. The socket file alone proves nothing: a server killed with its
// session (or by the machine's snapshot) leaves it behind, and connecting to
// it is refused.
func startCluster() error {
	sock := filepath.Join(socketDir, ".s.PGSQL.5432")
	if listening(sock) {
		return nil
	}
	ctl, err := exec.LookPath("pg_ctlcluster")
	if err != nil {
		return fmt.Errorf("no server at %s and pg_ctlcluster not installed (Debian package postgresql)", socketDir)
	}
	versions, _ := filepath.Glob("/etc/postgresql/*/main")
	if len(versions) == 0 {
		return fmt.Errorf("no Debian cluster in /etc/postgresql/*/main")
	}
	sort.Strings(versions)
	version := filepath.Base(filepath.Dir(versions[len(versions)-1]))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, ctl, version, "main", "start").CombinedOutput()
	// Another test process may be starting it at the same moment: wait for
	// a server to accept connections whatever pg_ctlcluster said.
	for i := 0; i < 150; i++ {
		if listening(sock) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	logTail, _ := exec.Command("tail", "-n", "5", "/var/log/postgresql/postgresql-"+version+"-main.log").CombinedOutput()
	return fmt.Errorf("pg_ctlcluster %s main start: %v: %s; server log: %s", version, err, bytes.TrimSpace(out), bytes.TrimSpace(logTail))
}

// listening reports whether a server accepts connections on the socket.
func listening(sock string) bool {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// createRole makes a login role for the OS user so that peer authentication
// over the socket lets it in, with the right to create test databases.
func createRole(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quoted := `"` + name + `"`
	sqlText := fmt.Sprintf(`DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN CREATEDB; END IF;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;`, name, quoted)
	cmd := exec.CommandContext(ctx, "su", "postgres", "-s", "/bin/sh", "-c", "psql -X -q -v ON_ERROR_STOP=1 -d postgres")
	cmd.Stdin = bytes.NewBufferString(sqlText)
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create role %s via su postgres -c psql: %v: %s", name, err, bytes.TrimSpace(out))
	}
	return nil
}
