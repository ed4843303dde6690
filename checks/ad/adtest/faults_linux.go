package adtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PlantFaults adds to a clean domain the faults the AD family must find, by
// name: a Domain Admin with an SPN (adm-sql: Kerberoastable), an account
// without Kerberos pre-authentication (compta), unconstrained delegation on
// a member server (SRV-APP$), a Windows 7 computer silent for two years
// (PC-ACCUEIL$), a machine account quota of 10, and the GPP file gppFile
// (a Groups.xml with a cpassword) in SYSVOL's default domain policy.
func (d *DC) PlantFaults(ctx context.Context, gppFile string) error {
	gpp, err := os.ReadFile(gppFile)
	if err != nil {
		return err
	}
	gppDir := filepath.Join(d.Sysvol, "mairie.test", "Policies", "{31B2F340-016D-11D2-945F-00C04FB984F9}", "Machine", "Preferences", "Groups")
	if err := os.MkdirAll(gppDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(gppDir, "Groups.xml"), gpp, 0o644); err != nil {
		return err
	}
	stale := time.Now().AddDate(-2, 0, 0)
	staleFT := (stale.Unix() + 11644473600) * 10_000_000 // AD FILETIME: 100 ns since 1601
	if err := d.Ldbadd(ctx, fmt.Sprintf(`dn: CN=adm-sql,CN=Users,%[1]s
objectClass: user
sAMAccountName: adm-sql
userAccountControl: 512
servicePrincipalName: MSSQLSvc/sql1.mairie.test:1433
unicodePwd:: %[2]s

dn: CN=compta,CN=Users,%[1]s
objectClass: user
sAMAccountName: compta
userAccountControl: 4194816
unicodePwd:: %[2]s

dn: CN=SRV-APP,CN=Computers,%[1]s
objectClass: computer
sAMAccountName: SRV-APP$
userAccountControl: 528384
operatingSystem: Windows Server 2022 Standard
operatingSystemVersion: 10.0 (20348)

dn: CN=PC-ACCUEIL,CN=Computers,%[1]s
objectClass: computer
sAMAccountName: PC-ACCUEIL$
userAccountControl: 4096
operatingSystem: Windows 7 Professional
operatingSystemVersion: 6.1 (7601)
lastLogonTimestamp: %[3]d
`, BaseDN, UnicodePwd("Autre-Mot-2026!"), staleFT)); err != nil {
		return err
	}
	return d.Ldbmodify(ctx, fmt.Sprintf(`dn: CN=Domain Admins,CN=Users,%[1]s
changetype: modify
add: member
member: CN=adm-sql,CN=Users,%[1]s

dn: %[1]s
changetype: modify
replace: ms-DS-MachineAccountQuota
ms-DS-MachineAccountQuota: 10
`, BaseDN))
}
