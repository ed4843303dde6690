package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

// TestAgentReinstateAndLink: `agent revoke`, `agent link OLD NEW` and
// `agent reinstate ID` change the store through hub/app's rules, are
// audited, and say what they did or why they refused.
func TestAgentReinstateAndLink(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hub.db")
	st := storetest.Open(t, db)
	storetest.Enrolled(t, st, "Mairie de Plouarzel", "11111111111111111111111111111111")
	storetest.Enrolled(t, st, "Mairie de Plouarzel", "22222222222222222222222222222222")
	st.Close()
	old, nw := "11111111111111111111111111111111", "22222222222222222222222222222222"
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"agent", "link", "--db", db, old, nw}, exitFail, "n'est pas révoqué"},
		{[]string{"agent", "reinstate", "--db", db, old}, exitFail, "n'est pas révoqué"},
		{[]string{"agent", "revoke", "--db", db, old}, exitOK, "agent link " + old},
		{[]string{"agent", "link", "--db", db, old, nw}, exitOK, "reprend l'historique"},
		{[]string{"agent", "reinstate", "--db", db, old}, exitOK, "annulée"},
		{[]string{"agent", "reinstate", "--db", db, "33333333333333333333333333333333"}, exitFail, "inconnu"},
		{[]string{"agent", "link", "--db", db, old}, exitUsage, "ANCIEN_ID NOUVEL_ID"},
		{[]string{"agent", "frobnicate"}, exitUsage, "revoke | reinstate | link"},
	} {
		code, out, stderr := cli(t, "", c.args...)
		if code != c.code || !strings.Contains(out+stderr, c.want) {
			t.Errorf("%v: exit %d %q %q, want %d %q", c.args, code, out, stderr, c.code, c.want)
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _ := st.Agent(context.Background(), nw)
	b, _ := st.Agent(context.Background(), old)
	if a.PreviousID != old || b.Revoked() {
		t.Errorf("after the commands: new %+v, old %+v", a, b)
	}
	log, _ := st.AuditLog(context.Background(), 10)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Actor+":"+e.Action)
	}
	if got := strings.Join(actions, " "); got != "cli:agent_reinstate cli:agent_link cli:agent_revoke" {
		t.Errorf("audit log: %s", got)
	}
}

// TestTokenCreateUses: `token create --uses N` makes a token for N hosts
// (audited with N); out of 1..10000 is a usage error.
func TestTokenCreateUses(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hub.db")
	mustInit(t, db)
	code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lannilis", "--sector", "commune", "--uses", "30")
	if code != exitOK || !strings.Contains(out, "pour 30 postes") {
		t.Fatalf("token create --uses 30: %d %q %q", code, out, stderr)
	}
	for _, n := range []string{"0", "10001", "x"} {
		if code, _, _ := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lannilis", "--sector", "commune", "--uses", n); code != exitUsage {
			t.Errorf("--uses %s: exit %d, want %d", n, code, exitUsage)
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	toks, _ := st.Tokens(context.Background())
	log, _ := st.AuditLog(context.Background(), 10)
	if len(toks) != 1 || toks[0].Uses != 30 || len(log) != 1 || !strings.Contains(log[0].Detail, "uses 30") {
		t.Errorf("tokens %+v, audit %+v", toks, log)
	}
}

// TestExportFileMode (issue 13, item 8): `export --out` writes a file only
// its owner reads, new or not.
func TestExportFileMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	if code, _, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lanildut", "--sector", "commune"); code != exitOK {
		t.Fatal(stderr)
	}
	fresh, old := filepath.Join(dir, "export.csv"), filepath.Join(dir, "ancien.csv")
	if err := os.WriteFile(old, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fresh, old} {
		if code, _, stderr := cli(t, "", "export", "--db", db, "--out", out); code != exitOK {
			t.Fatalf("export --out %s: %d %s", out, code, stderr)
		}
		fi, err := os.Stat(out)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", out, fi.Mode().Perm(), err)
		}
	}
}
