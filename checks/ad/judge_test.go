package ad

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

const domSID = "S-1-5-21-1-2-3"

var now = checkstest.Clock

func acct(name string, rid uint32, uac uint32, mods ...func(*Account)) Account {
	a := Account{DN: "CN=" + name + ",DC=x", Name: name, SID: domSID + "-" + itoa(rid), RID: rid, UAC: uac,
		Created: now.AddDate(-1, 0, 0), LastLogon: now.AddDate(0, 0, -3), PwdLastSet: now.AddDate(0, -1, 0)}
	for _, m := range mods {
		m(&a)
	}
	a.Computer = a.UAC&(uacWorkstation|uacServer) != 0
	return a
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// cleanSnap is a small healthy domain: one admin in Protected Users, a
// krbtgt changed 100 days ago, a DC, two managed workstations.
func cleanSnap() *Snapshot {
	q := 0
	admin := acct("adm-marie", 1105, uacNormal)
	s := &Snapshot{
		Server: Server{DomainFunctionality: 7, ForestFunctionality: 7},
		Domain: Domain{DN: "DC=x", SID: domSID, MachineAccountQuota: &q,
			Backup: BackupStamp{Found: true, Version: 30, Time: now.AddDate(0, 0, -1), Source: "replPropertyMetaData"}},
		Accounts: []Account{
			acct("Administrator", 500, uacNormal|uacDisabled),
			acct("krbtgt", ridKrbtgt, uacNormal|uacDisabled, func(a *Account) { a.PwdLastSet = now.AddDate(0, 0, -100) }),
			admin,
			acct("DC1$", 1000, uacServer|uacTrustedForDeleg, func(a *Account) {
				a.OS, a.OSVersion, a.PrimaryGroupID = "Windows Server 2022 Standard", "10.0 (20348)", ridDCs
			}),
			acct("PC1$", 1101, uacWorkstation, func(a *Account) { a.OS, a.OSVersion, a.LAPSWindows = "Windows 11 Pro", "10.0 (26200)", true }),
			acct("PC2$", 1102, uacWorkstation, func(a *Account) { a.OS, a.OSVersion, a.LAPSWindows = "Windows 11 Pro", "10.0 (26200)", true }),
		},
		Groups:     []PrivilegedGroup{{Name: "Domain Admins", DN: "CN=Domain Admins,DC=x", Members: []string{admin.DN, "CN=Administrator,DC=x"}}},
		Protected:  &PrivilegedGroup{Name: "Protected Users", Members: []string{admin.DN}},
		LAPS:       LAPSSchema{Windows: true},
		RecycleBin: true,
	}
	return s
}

func all(s *state) map[string]verdict {
	out := map[string]verdict{}
	for _, c := range catalogue {
		out[c.meta.ID] = c.judge(s, now)
	}
	out[IDLevel] = judgeLevel(s, now)
	return out
}

func TestCleanSnapshotReachesLevel5(t *testing.T) {
	hard := &DCConfig{LDAPSigning: "required", ChannelBinding: "always", SMBSigningRequired: true, Spooler: "disabled"}
	scan := &GPPScan{Root: "/sysvol", Files: 3}
	res := all(&state{snap: cleanSnap(), dc: hard, gpp: scan})
	for id, v := range res {
		if v.res.Status != protocol.Pass || v.blocks != 0 {
			t.Errorf("%s = %s (blocks %d): %s", id, v.res.Status, v.blocks, v.res.Evidence.EN)
		}
	}
	if res[IDLevel].res.Facts["level"] != 5 {
		t.Errorf("level = %v", res[IDLevel].res.Facts["level"])
	}
}

func TestEachFindingBlocksItsLevel(t *testing.T) {
	for _, c := range []struct {
		name    string
		mod     func(*Snapshot)
		id      string
		status  protocol.Status
		blocks  int
		mention string
		also    []string // findings that rightly come with it
		level   int      // when a companion blocks lower than blocks
	}{
		{"krbtgt 2 years", func(s *Snapshot) { s.Accounts[1].PwdLastSet = now.AddDate(-2, 0, 0) }, IDKrbtgt, protocol.Warn, 2, "days ago", nil, 0},
		{"krbtgt 4 years", func(s *Snapshot) { s.Accounts[1].PwdLastSet = now.AddDate(-4, 0, 0) }, IDKrbtgt, protocol.Fail, 2, "days ago", nil, 0},
		{"admin with SPN", func(s *Snapshot) { s.Accounts[2].SPNs = 1 }, IDPrivRoastable, protocol.Fail, 1, "adm-marie", nil, 0},
		{"admin without preauth", func(s *Snapshot) { s.Accounts[2].UAC |= uacDontReqPreauth }, IDPrivRoastable, protocol.Fail, 1, "adm-marie", []string{IDPreauth}, 0},
		{"admin never expires", func(s *Snapshot) { s.Accounts[2].UAC |= uacDontExpire }, IDPrivNeverExpires, protocol.Fail, 1, "adm-marie", nil, 0},
		{"dormant admin", func(s *Snapshot) { s.Accounts[2].LastLogon = now.AddDate(-1, 0, 0) }, IDPrivGroups, protocol.Fail, 2, "adm-marie", []string{IDDormant}, 1},
		{"delegation on member", func(s *Snapshot) { s.Accounts[4].UAC |= uacTrustedForDeleg }, IDDelegation, protocol.Fail, 2, "PC1$", nil, 0},
		{"windows 7", func(s *Snapshot) { s.Accounts[4].OS, s.Accounts[4].OSVersion = "Windows 7 Professional", "6.1 (7601)" }, IDUnsupportedOS, protocol.Fail, 2, "PC1$", nil, 0},
		{"DC 2008 R2", func(s *Snapshot) {
			s.Accounts[3].OS, s.Accounts[3].OSVersion = "Windows Server 2008 R2 Standard", "6.1 (7601)"
		}, IDUnsupportedOS, protocol.Fail, 1, "DC1$", nil, 0},
		{"one uncovered", func(s *Snapshot) { s.Accounts[5].LAPSWindows = false }, IDLAPS, protocol.Fail, 3, "PC2$", nil, 0},
		{"no LAPS schema", func(s *Snapshot) { s.LAPS = LAPSSchema{} }, IDLAPS, protocol.Fail, 3, "LAPS", nil, 0},
		{"quota", func(s *Snapshot) { q := 10; s.Domain.MachineAccountQuota = &q }, IDMachineQuota, protocol.Fail, 4, "10", nil, 0},
		{"no recycle bin", func(s *Snapshot) { s.RecycleBin = false }, IDRecycleBin, protocol.Warn, 4, "recycle bin", nil, 0},
		{"nobody protected", func(s *Snapshot) { s.Protected.Members = nil }, IDProtectedUsers, protocol.Fail, 3, "adm-marie", nil, 0},
		{"2003 level", func(s *Snapshot) { s.Server.DomainFunctionality = 2 }, IDFunctionalLevel, protocol.Fail, 1, "2003", nil, 0},
		{"backup 200 days", func(s *Snapshot) { s.Domain.Backup.Time = now.AddDate(0, 0, -200) }, IDBackupAge, protocol.Fail, 2, "200 days", nil, 0},
		{"backup 40 days", func(s *Snapshot) { s.Domain.Backup.Time = now.AddDate(0, 0, -40) }, IDBackupAge, protocol.Warn, 3, "40 days", nil, 0},
		{"never backed up", func(s *Snapshot) { s.Domain.Backup.Version = 1 }, IDBackupAge, protocol.Fail, 2, "no directory backup", nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			snap := cleanSnap()
			c.mod(snap)
			res := all(&state{snap: snap, dc: &DCConfig{LDAPSigning: "required", ChannelBinding: "always", SMBSigningRequired: true, Spooler: "disabled"}, gpp: &GPPScan{}})
			v := res[c.id]
			if v.res.Status != c.status || v.blocks != c.blocks || !strings.Contains(v.res.Evidence.EN, c.mention) {
				t.Errorf("%s = %s blocks %d: %s", c.id, v.res.Status, v.blocks, v.res.Evidence.EN)
			}
			lvl := res[IDLevel].res.Facts
			want := c.blocks
			if c.level != 0 {
				want = c.level
			}
			if lvl["level"] != want {
				t.Errorf("level = %v, want %d", lvl["level"], want)
			}
			if b, _ := lvl["blocking_next_level"].([]string); c.level == 0 && !strings.Contains(strings.Join(b, ","), c.id) {
				t.Errorf("blockers %v miss %s", b, c.id)
			}
			// Every other check is unchanged: a finding does not spread.
			for id, o := range res {
				if id != c.id && id != IDLevel && o.res.Status != protocol.Pass && !slices.Contains(c.also, id) {
					t.Errorf("%s also %s: %s", id, o.res.Status, o.res.Evidence.EN)
				}
			}
		})
	}
}

func TestNoVerdictWithoutData(t *testing.T) {
	broken := &state{snapEr: errString("LDAPS 127.0.0.1: connection refused"), dcErr: errString("registre illisible"), gppEr: errString("SYSVOL illisible")}
	for id, v := range all(broken) {
		if v.res.Status != protocol.Error {
			t.Errorf("%s = %s without data", id, v.res.Status)
		}
	}
	// A quota that could not be read is an error naming the attribute.
	snap := cleanSnap()
	snap.Domain.MachineAccountQuota = nil
	if v := judgeMachineQuota(&state{snap: snap}, now); v.res.Status != protocol.Error || !strings.Contains(v.res.Evidence.EN, "ms-DS-MachineAccountQuota") {
		t.Errorf("quota unread = %s: %s", v.res.Status, v.res.Evidence.EN)
	}
	// Not configured and not a DC: every check says why it does not apply.
	for id, v := range all(&state{snapNA: notConfigured, gppNA: notConfigured}) {
		if v.res.Status != protocol.NotApplicable || v.res.Evidence.EN == "" {
			t.Errorf("%s = %s (%q) on a plain host", id, v.res.Status, v.res.Evidence.EN)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestDormantThreshold(t *testing.T) {
	snap := cleanSnap()
	// Created long ago and never used: dormant. Created last week: not.
	snap.Accounts = append(snap.Accounts,
		acct("ancien", 1200, uacNormal, func(a *Account) { a.LastLogon = time.Time{}; a.Created = now.AddDate(-2, 0, 0) }),
		acct("nouveau", 1201, uacNormal, func(a *Account) { a.LastLogon = time.Time{}; a.Created = now.AddDate(0, 0, -7) }))
	v := judgeDormant(&state{snap: snap}, now)
	if v.res.Status != protocol.Fail || !strings.Contains(v.res.Evidence.EN, "ancien") || strings.Contains(v.res.Evidence.EN, "nouveau") {
		t.Errorf("dormant = %s: %s", v.res.Status, v.res.Evidence.EN)
	}
}
