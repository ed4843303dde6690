//go:build linux

package ad_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/checks/ad/adtest"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// pwdLDIF is a unicodePwd value: the quoted password in UTF-16LE, base64.

// testparmRunner answers "testparm" with the real testparm on the test
// domain controller's smb.conf (the agent runs plain "testparm -s -v" on a
// DC, which reads /etc/samba/smb.conf); every other program is missing.
type testparmRunner struct{ conf string }

func (r testparmRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if name != "testparm" {
		return nil, fmt.Errorf("%s: %w", name, checks.ErrNotFound)
	}
	return livehost.ExecRunner{}.Run(ctx, "testparm", append(args, r.conf)...)
}

const readerPassword = "Lecture-Vigie-2026!"

// scanGPP runs ad.gpp-passwords from a host that is not a DC.
func scanGPP(t *testing.T, dc *adtest.DC, cfg *ad.Config) protocol.Result {
	t.Helper()
	h := checkstest.Host()
	h.Now = time.Now
	h.Dialer = dc.Dialer()
	for _, c := range ad.Checks(cfg) {
		if c.Meta().ID == ad.IDGPPPasswords {
			ctx, cancel := context.WithTimeout(context.Background(), c.Meta().Timeout)
			defer cancel()
			r := c.Run(ctx, h)
			t.Logf("member host: %s %s %s", c.Meta().ID, r.Status, r.Evidence.EN)
			return r
		}
	}
	t.Fatal("no ad.gpp-passwords check")
	return protocol.Result{}
}

func scan(t *testing.T, dc *adtest.DC, cfg *ad.Config) map[string]protocol.Result {
	t.Helper()
	h := checkstest.Host()
	h.Now = time.Now
	h.Dialer = dc.Dialer()
	h.Exec = testparmRunner{conf: dc.SmbConf}
	out := map[string]protocol.Result{}
	t0 := time.Now()
	for _, c := range ad.Checks(cfg) {
		ctx, cancel := context.WithTimeout(context.Background(), c.Meta().Timeout)
		r := c.Run(ctx, h)
		cancel()
		out[c.Meta().ID] = r
		t.Logf("%-40s %-15s %s", c.Meta().ID, r.Status, r.Evidence.EN)
	}
	t.Logf("scan took %v", time.Since(t0))
	return out
}

func expect(t *testing.T, res map[string]protocol.Result, id string, want protocol.Status, mentions ...string) {
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
		if !strings.Contains(r.Evidence.EN, m) || !strings.Contains(r.Evidence.FR, m) {
			t.Errorf("%s evidence does not name %q: %s", id, m, r.Evidence.EN)
		}
	}
}

// TestSambaDomainCleanThenFaulty provisions a real domain, reads it over
// LDAPS with an unprivileged account, checks that a clean domain has no
// false finding, plants the faults ANSSI's control points look for and
// checks each is found, naming the account or file at fault.
func TestSambaDomainCleanThenFaulty(t *testing.T) {
	dc := adtest.Start(t, adtest.Options{})
	t.Logf("samba: provisioned in %v, LDAPS up %v later", dc.Timings.Provision, dc.Timings.Start)
	ctx := context.Background()
	base := adtest.BaseDN

	// The clean domain: a read account that is not privileged, the
	// remediations a careful administrator applies (no machine quota,
	// the administrator in Protected Users).
	if err := dc.Ldbadd(ctx, fmt.Sprintf(`dn: CN=svc-vigie,CN=Users,%s
objectClass: user
sAMAccountName: svc-vigie
userAccountControl: 512
unicodePwd:: %s
`, base, adtest.UnicodePwd(readerPassword))); err != nil {
		t.Fatal(err)
	}
	if err := dc.Ldbmodify(ctx, fmt.Sprintf(`dn: %s
changetype: modify
replace: ms-DS-MachineAccountQuota
ms-DS-MachineAccountQuota: 0

dn: CN=Protected Users,CN=Users,%s
changetype: modify
add: member
member: CN=Administrator,CN=Users,%s
`, base, base, base)); err != nil {
		t.Fatal(err)
	}

	pem, err := os.ReadFile(dc.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	cfg := &ad.Config{URL: "ldaps://127.0.0.1", Bind: "simple", User: "svc-vigie@" + strings.ToLower(adtest.Realm),
		Password: readerPassword, RootCAs: roots, Sysvol: "smb://127.0.0.1/SYSVOL"}

	// SYSVOL over SMB as the LDAP account (this host plays the DC, whose
	// own folder would otherwise be read: sysvol names the share).
	clean := scan(t, dc, cfg)
	expect(t, clean, ad.IDGPPPasswords, protocol.Pass, "smb://127.0.0.1/SYSVOL")
	if f := clean[ad.IDGPPPasswords].Facts; f["transport"] != "smb" || f["gpos"] != 2 {
		t.Errorf("clean SYSVOL facts = %v, want 2 default policies read over SMB", f)
	}
	sameOverSMB(t, dc, cfg)
	// From a member server with no sysvol setting: the SYSVOL share of
	// the DC that [ad] reads, found alone.
	auto := *cfg
	auto.Sysvol = ""
	member := scanGPP(t, dc, &auto)
	if member.Status != protocol.Pass || member.Facts["transport"] != "smb" || !strings.Contains(member.Evidence.EN, "smb://127.0.0.1/SYSVOL") {
		t.Errorf("member server, sysvol derived: %s %v %s", member.Status, member.Facts, member.Evidence.EN)
	}
	for _, id := range []string{ad.IDKrbtgt, ad.IDPrivGroups, ad.IDPrivRoastable, ad.IDPreauth, ad.IDDelegation, ad.IDDormant,
		ad.IDPrivNeverExpires, ad.IDGPPPasswords, ad.IDMachineQuota, ad.IDDCAuthProtocols, ad.IDProtectedUsers} {
		expect(t, clean, id, protocol.Pass)
	}
	// Not applicable, each with its reason: no Windows computer and no
	// member computer yet; no Print Spooler and no backup stamp on Samba.
	for _, id := range []string{ad.IDUnsupportedOS, ad.IDLAPS, ad.IDDCSpooler, ad.IDBackupAge} {
		expect(t, clean, id, protocol.NotApplicable)
	}
	// Unavoidable on Samba 4.17, and true: its highest functional level is
	// 2008 R2 and it cannot enable the recycle bin. They leave the clean
	// domain at level 3, blocked by the functional level.
	expect(t, clean, ad.IDFunctionalLevel, protocol.Warn, "2008 R2")
	expect(t, clean, ad.IDRecycleBin, protocol.Warn)
	expect(t, clean, ad.IDLevel, protocol.Warn, ad.IDFunctionalLevel)
	if got := clean[ad.IDLevel].Facts["level"]; got != 3 {
		t.Errorf("clean domain level = %v, want 3", got)
	}

	// The faults.
	if err := dc.PlantFaults(ctx, filepath.Join("..", "..", "testdata", "ad", "sysvol", "Groups.xml")); err != nil {
		t.Fatal(err)
	}

	faulty := scan(t, dc, cfg)
	expect(t, faulty, ad.IDGPPPasswords, protocol.Fail, "smb://127.0.0.1/SYSVOL", "mairie.test/Policies/{31B2F340-016D-11D2-945F-00C04FB984F9}/Machine/Preferences/Groups/Groups.xml", "<User>", "Administrateur")
	sameOverSMB(t, dc, cfg)
	expect(t, faulty, ad.IDPrivRoastable, protocol.Fail, "adm-sql")
	expect(t, faulty, ad.IDPreauth, protocol.Fail, "compta")
	expect(t, faulty, ad.IDDelegation, protocol.Fail, "SRV-APP$")
	expect(t, faulty, ad.IDMachineQuota, protocol.Fail, "10")
	expect(t, faulty, ad.IDUnsupportedOS, protocol.Fail, "PC-ACCUEIL$")
	expect(t, faulty, ad.IDLAPS, protocol.Fail, "LAPS")
	expect(t, faulty, ad.IDProtectedUsers, protocol.Warn, "adm-sql")
	if r := faulty[ad.IDDormant]; (r.Status != protocol.Fail && r.Status != protocol.Warn) || !strings.Contains(r.Evidence.EN, "PC-ACCUEIL$") {
		t.Errorf("%s = %s, want the stale computer named: %s", ad.IDDormant, r.Status, r.Evidence.EN)
	}
	// What did not change stays as it was: no finding spreads.
	for _, id := range []string{ad.IDKrbtgt, ad.IDPrivGroups, ad.IDPrivNeverExpires, ad.IDDCAuthProtocols} {
		expect(t, faulty, id, protocol.Pass)
	}
	expect(t, faulty, ad.IDLevel, protocol.Fail)
	if got := faulty[ad.IDLevel].Facts["level"]; got != 1 {
		t.Errorf("faulty domain level = %v, want 1", got)
	}
	lvl := faulty[ad.IDLevel].Facts["blocking_next_level"].([]string)
	for _, id := range []string{ad.IDGPPPasswords, ad.IDPrivRoastable} {
		if !contains(lvl, id) {
			t.Errorf("ad.level blockers %v miss %s", lvl, id)
		}
	}

	// A wrong password: no verdict on SYSVOL, an error saying what could
	// not be read. Through the family, the LDAP refusal stops a second
	// try over SMB (lockout); straight over SMB, the session is refused.
	bad := *cfg
	bad.Password = "Pas-Le-Bon-1!"
	r := scanGPP(t, dc, &bad)
	if r.Status != protocol.Error || !strings.Contains(r.Evidence.FR, "smb://127.0.0.1/SYSVOL") || !strings.Contains(r.Evidence.FR, "pas de seconde tentative") {
		t.Errorf("wrong password through the family: %s %s", r.Status, r.Evidence.FR)
	}
	loc, _ := ad.ParseSysvol("smb://127.0.0.1/SYSVOL")
	if s, err := ad.ScanSysvolAt(ctx, dc.Dialer(), &bad, loc); err == nil || !strings.Contains(err.Error(), "session SMB de svc-vigie@mairie.test refusée") {
		t.Errorf("wrong password over SMB: %+v, %v", s, err)
	} else {
		t.Logf("wrong password over SMB: %v", err)
	}
	// A share that does not exist, a port nothing listens on: errors too.
	for _, addr := range []string{"smb://127.0.0.1/ABSENT", "smb://127.0.0.1:4450/SYSVOL"} {
		l, _ := ad.ParseSysvol(addr)
		if s, err := ad.ScanSysvolAt(ctx, dc.Dialer(), cfg, l); err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("%s: %+v, %v", addr, s, err)
		}
	}
}

// sameOverSMB: SYSVOL read over SMB and from the DC's folder gives the
// same policies, files and findings (one logic, two ways in).
func sameOverSMB(t *testing.T, dc *adtest.DC, cfg *ad.Config) {
	t.Helper()
	loc, err := ad.ParseSysvol("smb://127.0.0.1/SYSVOL")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	remote, err := ad.ScanSysvolAt(t.Context(), dc.Dialer(), cfg, loc)
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("SYSVOL over SMB: %v", err)
	}
	local, err := ad.ScanSysvol(t.Context(), dc.Sysvol)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SYSVOL over SMB: %d entries, %d GPOs, %d Preferences files, %d bytes in %v", remote.Entries, remote.GPOs, remote.Files, remote.Bytes, took)
	if !remote.SMB || remote.GPOs != local.GPOs || remote.Files != local.Files || remote.Bytes != local.Bytes || remote.Entries != local.Entries ||
		fmt.Sprint(remote.Findings) != fmt.Sprint(local.Findings) {
		t.Errorf("over SMB %+v, locally %+v", remote, local)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
