//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/checks/ad/adtest"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/protocol"
)

// unicodePwd is an LDIF unicodePwd value: the quoted password in UTF-16LE,
// base64.

// TestADScanAgainstSamba is the [ad] section end to end: the real vigie
// binary, run inside a Samba AD DC's network namespace with a
// configuration naming the directory (simple bind as an unprivileged
// account, its password in a 0600 file, the DC's CA in ca_file, SYSVOL as
// a local path), reads the domain over LDAPS and finds each planted fault
// by name, without a false finding on what is clean, and the hub reads
// the domain's level from the scorecard it wrote. The same
// configuration with a password file others can read is refused before
// anything is read. One domain, provisioned once (10-40 s).
func TestADScanAgainstSamba(t *testing.T) {
	t.Parallel() // its own binary, namespace and Samba: runs beside the Wine test
	dc := adtest.Start(t, adtest.Options{})
	gobin, err := exec.LookPath("go")
	if err != nil {
		checkstest.Unavailable(t, "the go command is needed to build vigie")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigie")
	if out, err := exec.CommandContext(ctx, gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// An unprivileged reader, then the faults.
	const readerPassword = "Lecture-Vigie-2026!"
	base := adtest.BaseDN
	if err := dc.Ldbadd(ctx, fmt.Sprintf(`dn: CN=svc-vigie,CN=Users,%[1]s
objectClass: user
sAMAccountName: svc-vigie
userAccountControl: 512
unicodePwd:: %[2]s
`, base, adtest.UnicodePwd(readerPassword))); err != nil {
		t.Fatal(err)
	}
	if err := dc.PlantFaults(ctx, filepath.Join("..", "..", "testdata", "ad", "sysvol", "Groups.xml")); err != nil {
		t.Fatal(err)
	}

	pass := filepath.Join(dir, "ad.pass")
	if err := os.WriteFile(pass, []byte(readerPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "vigie.toml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `[ad]
url = "ldaps://127.0.0.1"
bind = "simple"
user = "svc-vigie@mairie.test"
password_file = %q
ca_file = %q
base_dn = %q
sysvol = %q
`, pass, dc.CAFile, base, dc.Sysvol), 0o644); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(dir, "bilan.json")
	scan := func() (string, error) {
		cmd := dc.Exec(ctx, bin, "scan", "--config", conf, "--only", "ad", "--state-dir", filepath.Join(dir, "state"), "--json", js, "--quiet")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// Readable by others: refused at load, nothing read.
	if out, err := scan(); err == nil || !strings.Contains(out, "password_file") {
		t.Fatalf("a password file readable by others was accepted: %v\n%s", err, out)
	}
	if _, err := os.Stat(js); !os.IsNotExist(err) {
		t.Fatal("a refused configuration wrote a scorecard")
	}
	if err := os.Chmod(pass, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := scan(); err != nil {
		t.Fatalf("vigie scan: %v\n%s", err, out)
	}
	t.Logf("vigie scan --only ad: %v", time.Since(start))
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]protocol.Result{}
	for _, r := range sc.Results {
		if r.Domain != protocol.DomainAD {
			t.Errorf("--only ad ran %s", r.ID)
		}
		res[r.ID] = r
		t.Logf("%-40s %-15s %s", r.ID, r.Status, r.Evidence.EN)
	}
	expect := func(id string, want protocol.Status, mentions ...string) {
		t.Helper()
		r, ok := res[id]
		if !ok {
			t.Errorf("%s: no result", id)
			return
		}
		if r.Status != want {
			t.Errorf("%s = %s, want %s (%s)", id, r.Status, want, r.Evidence.EN)
		}
		for _, m := range mentions {
			if !strings.Contains(r.Evidence.FR, m) || !strings.Contains(r.Evidence.EN, m) {
				t.Errorf("%s evidence does not name %q: %s", id, m, r.Evidence.EN)
			}
		}
	}
	expect(ad.IDGPPPasswords, protocol.Fail, "Groups.xml", "Administrateur")
	expect(ad.IDPrivRoastable, protocol.Fail, "adm-sql")
	expect(ad.IDPreauth, protocol.Fail, "compta")
	expect(ad.IDDelegation, protocol.Fail, "SRV-APP$")
	expect(ad.IDMachineQuota, protocol.Fail, "10")
	expect(ad.IDUnsupportedOS, protocol.Fail, "PC-ACCUEIL$")
	// Clean points stay clean: no finding spreads to them.
	for _, id := range []string{ad.IDKrbtgt, ad.IDPrivGroups, ad.IDPrivNeverExpires} {
		expect(id, protocol.Pass)
	}
	// The level, as the hub reads it from the scorecard: 1, with GPP
	// passwords and the roastable administrator among what blocks level 2.
	expect(ad.IDLevel, protocol.Fail)
	lvl, ok := app.ADLevelOf(sc)
	if !ok || lvl.Level != 1 || lvl.Status != protocol.Fail || !slices.Contains(lvl.Blocking, ad.IDGPPPasswords) || !slices.Contains(lvl.Blocking, ad.IDPrivRoastable) {
		t.Errorf("the hub reads ad.level as %+v (%v), want level 1 blocked by %s and %s", lvl, ok, ad.IDGPPPasswords, ad.IDPrivRoastable)
	}
	// The password is nowhere in what the agent wrote.
	if strings.Contains(string(data), readerPassword) {
		t.Error("the scorecard contains the directory password")
	}
}
