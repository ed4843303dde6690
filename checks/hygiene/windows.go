package hygiene

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Windows-only checks. Collection reads the registry or PowerShell objects
// as JSON (numeric enums, SIDs), so that a French Windows reads the same as
// an English one.

// rdpCheck: when Remote Desktop is on, Network Level Authentication is
// required, so nobody reaches a Windows logon screen (and its flaws)
// without first authenticating (ANSSI 17 reinforced, CIS 4.1/12.x, NIS2
// 21(2)(j)).
type rdpCheck struct{}

func (rdpCheck) Meta() checks.Meta {
	return meta("hygiene.rdp", protocol.High, protocol.Refs{ANSSI: []int{17}, CIS: []string{"4.1", "6.4"}, NIS2: []string{"j"}}, 11, "windows")
}

const (
	tsKey  = `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`
	rdpKey = `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp`
)

func judgeRDP(deny uint64, denyErr error, nla uint64, nlaErr error, port uint64) protocol.Result {
	if denyErr != nil && !errors.Is(denyErr, checks.ErrNotFound) {
		return checks.Errored(protocol.Text{FR: "registre Terminal Server illisible", EN: "Terminal Server registry unreadable"}, denyErr)
	}
	if errors.Is(denyErr, checks.ErrNotFound) || deny == 1 {
		return checks.Passed(protocol.Text{FR: "bureau à distance désactivé (fDenyTSConnections=1)", EN: "remote desktop disabled (fDenyTSConnections=1)"},
			map[string]any{"rdp_enabled": false})
	}
	facts := map[string]any{"rdp_enabled": true, "nla": nlaErr == nil && nla == 1, "port": port}
	if nlaErr == nil && nla == 1 {
		return checks.Passed(protocol.Textf("bureau à distance activé (port %d) avec authentification préalable (NLA)",
			"remote desktop on (port %d) with Network Level Authentication", port), facts)
	}
	return checks.Failed(protocol.Textf("bureau à distance activé (port %d) SANS authentification préalable (UserAuthentication=%d)",
		"remote desktop on (port %d) WITHOUT Network Level Authentication (UserAuthentication=%d)", port, nla), facts)
}

func (rdpCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	deny, derr := h.Registry.Integer(tsKey, "fDenyTSConnections")
	nla, nerr := h.Registry.Integer(rdpKey, "UserAuthentication")
	port, perr := h.Registry.Integer(rdpKey, "PortNumber")
	if perr != nil {
		port = 3389
	}
	return judgeRDP(deny, derr, nla, nerr, port)
}

// smb1Check: SMBv1 is off. It is the protocol WannaCry and NotPetya spread
// through, deprecated by Microsoft since 2014 (ANSSI 19, 34; CIS 4.8; NIS2
// 21(2)(g)).
type smb1Check struct{}

func (smb1Check) Meta() checks.Meta {
	return meta("hygiene.smb1", protocol.High, protocol.Refs{ANSSI: []int{19, 34}, CIS: []string{"4.8"}, NIS2: []string{"g"}}, 0, "windows")
}

const smbScript = `Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol,EnableSMB2Protocol,RequireSecuritySignature | ConvertTo-Json -Compress`

type smbConfig struct {
	EnableSMB1Protocol       bool
	EnableSMB2Protocol       bool
	RequireSecuritySignature bool
}

const lanmanKey = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters`

func judgeSMB(c smbConfig) protocol.Result {
	facts := map[string]any{"smb1": c.EnableSMB1Protocol, "signing_required": c.RequireSecuritySignature}
	if c.EnableSMB1Protocol {
		return checks.Failed(protocol.Text{FR: "SMBv1 activé sur le serveur de fichiers (EnableSMB1Protocol=True)", EN: "SMBv1 enabled on the file server (EnableSMB1Protocol=True)"}, facts)
	}
	return checks.Passed(protocol.Textf("SMBv1 désactivé (signature SMB exigée : %v)", "SMBv1 disabled (SMB signing required: %v)", c.RequireSecuritySignature), facts)
}

func (smb1Check) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	out, err := powershell(ctx, h, smbScript)
	if err == nil {
		cs, perr := unmarshalList[smbConfig](out)
		if perr != nil {
			return checks.Errored(protocol.Text{FR: "sortie SMB illisible", EN: "unreadable SMB output"}, perr)
		}
		if len(cs) == 1 {
			return judgeSMB(cs[0])
		}
	}
	// Older systems without the cmdlet: the SMB1 registry value (absent
	// means enabled there).
	v, rerr := h.Registry.Integer(lanmanKey, "SMB1")
	switch {
	case rerr == nil:
		return judgeSMB(smbConfig{EnableSMB1Protocol: v != 0})
	case errors.Is(rerr, checks.ErrNotFound) && err != nil:
		return checks.Errored(protocol.Text{FR: "configuration SMB illisible", EN: "SMB configuration unreadable"}, err)
	}
	return checks.Errored(protocol.Text{FR: "configuration SMB illisible", EN: "SMB configuration unreadable"}, errors.Join(err, rerr))
}

// adminsCheck: the local Administrators group (SID S-1-5-32-544, whatever
// its localised name) holds few members and never everybody. "Every user is
// an administrator" lets one phishing mail take the whole machine (ANSSI 8,
// 27; CIS 5.4; NIS2 21(2)(i); MonAideCyber rank 6).
type adminsCheck struct{}

func (adminsCheck) Meta() checks.Meta {
	return meta("hygiene.local-admins", protocol.High, protocol.Refs{ANSSI: []int{8, 27}, CIS: []string{"5.4"}, NIS2: []string{"i"}}, 6, "windows")
}

// adminsScript lists members by SID and PrincipalSource (0 Unknown, 1 Local,
// 2 ActiveDirectory, 3 AzureAD, 4 MicrosoftAccount). ObjectClass and Name
// are left out: the first is localised, the second personal.
const adminsScript = `Get-LocalGroupMember -SID S-1-5-32-544 | ForEach-Object { [pscustomobject]@{SID=$_.SID.Value; PrincipalSource=[int]$_.PrincipalSource} } | ConvertTo-Json -Compress`

type member struct {
	SID             string
	PrincipalSource int
}

// broadSIDs are groups that make everybody an administrator.
var broadSIDs = map[string]string{
	"S-1-1-0":      "Everyone / Tout le monde",
	"S-1-5-11":     "Authenticated Users / Utilisateurs authentifiés",
	"S-1-5-32-545": "Users / Utilisateurs",
	"S-1-5-4":      "Interactive / Interactif",
}

// judgeAdmins: the built-in Administrator (-500) and Domain Admins (-512)
// are expected; beyond them one extra member passes, two or three warn,
// four or more fail, and a broad group fails at once.
func judgeAdmins(ms []member) protocol.Result {
	extra := 0
	var broad []string
	bySource := map[string]int{}
	for _, m := range ms {
		bySource[[]string{"unknown", "local", "active_directory", "azure_ad", "microsoft_account"}[min(max(m.PrincipalSource, 0), 4)]]++
		if name, ok := broadSIDs[m.SID]; ok {
			broad = append(broad, name)
			continue
		}
		if strings.HasSuffix(m.SID, "-500") || strings.HasSuffix(m.SID, "-512") {
			continue
		}
		if strings.HasPrefix(m.SID, "S-1-5-21-") && strings.HasSuffix(m.SID, "-513") {
			broad = append(broad, "Domain Users / Utilisateurs du domaine")
			continue
		}
		extra++
	}
	facts := map[string]any{"members": len(ms), "extra_members": extra, "by_source": bySource}
	switch {
	case len(broad) > 0:
		return checks.Failed(protocol.Textf("tout le monde est administrateur : le groupe Administrateurs (S-1-5-32-544) contient %s",
			"everybody is an administrator: the Administrators group (S-1-5-32-544) contains %s", strings.Join(broad, ", ")), facts)
	case extra >= 4:
		return checks.Failed(protocol.Textf("%d membres dans Administrateurs, dont %d en plus du compte intégré et des Admins du domaine",
			"%d members in Administrators, %d besides the built-in account and Domain Admins", len(ms), extra), facts)
	case extra >= 2:
		return checks.Warned(protocol.Textf("%d membres dans Administrateurs, dont %d en plus du compte intégré et des Admins du domaine",
			"%d members in Administrators, %d besides the built-in account and Domain Admins", len(ms), extra), facts)
	}
	return checks.Passed(protocol.Textf("%d membre(s) dans Administrateurs (S-1-5-32-544)", "%d member(s) in Administrators (S-1-5-32-544)", len(ms)), facts)
}

func (adminsCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	out, err := powershell(ctx, h, adminsScript)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "membres du groupe Administrateurs illisibles", EN: "cannot read the Administrators group"}, err)
	}
	ms, err := unmarshalList[member](out)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "sortie illisible", EN: "unreadable output"}, err)
	}
	return judgeAdmins(ms)
}

// guestCheck: the built-in Guest account (RID 501) is disabled; enabled, it
// opens the machine to anyone (ANSSI 8; CIS 4.7, 5.3; NIS2 21(2)(i)).
type guestCheck struct{}

func (guestCheck) Meta() checks.Meta {
	return meta("hygiene.guest-account", protocol.Medium, protocol.Refs{ANSSI: []int{8}, CIS: []string{"4.7", "5.3"}, NIS2: []string{"i"}}, 0, "windows")
}

const guestScript = `Get-LocalUser | Where-Object { $_.SID.Value -like 'S-1-5-21-*-501' } | ForEach-Object { [pscustomobject]@{SID=$_.SID.Value; Enabled=$_.Enabled} } | ConvertTo-Json -Compress`

type localUser struct {
	SID     string
	Enabled bool
}

func judgeGuest(us []localUser) protocol.Result {
	if len(us) == 0 {
		return checks.Passed(protocol.Text{FR: "pas de compte Invité local (RID 501)", EN: "no local Guest account (RID 501)"}, nil)
	}
	if us[0].Enabled {
		return checks.Failed(protocol.Text{FR: "le compte Invité intégré (RID 501) est activé", EN: "the built-in Guest account (RID 501) is enabled"}, map[string]any{"guest_enabled": true})
	}
	return checks.Passed(protocol.Text{FR: "compte Invité intégré (RID 501) désactivé", EN: "built-in Guest account (RID 501) disabled"}, map[string]any{"guest_enabled": false})
}

func (guestCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	out, err := powershell(ctx, h, guestScript)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "comptes locaux illisibles", EN: "cannot read local accounts"}, err)
	}
	us, err := unmarshalList[localUser](out)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "sortie illisible", EN: "unreadable output"}, err)
	}
	return judgeGuest(us)
}

// lapsCheck: the local administrator password is managed by LAPS (Windows
// LAPS or legacy Microsoft LAPS), so it differs on every machine and
// rotates; one shared password lets an attacker hop from one PC to all
// (ANSSI 8, 12; CIS 5.2, 4.7; NIS2 21(2)(i)).
type lapsCheck struct{}

func (lapsCheck) Meta() checks.Meta {
	return meta("hygiene.laps", protocol.Medium, protocol.Refs{ANSSI: []int{8, 12}, CIS: []string{"5.2", "4.7"}, NIS2: []string{"i"}}, 10, "windows")
}

// lapsKeys are where LAPS policies land: Windows LAPS by GPO, by Intune/CSP,
// and legacy LAPS (AdmPwd).
var lapsKeys = []struct{ Key, Value, Name string }{
	{`HKLM\SOFTWARE\Microsoft\Policies\LAPS`, "BackupDirectory", "Windows LAPS (GPO)"},
	{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\LAPS`, "BackupDirectory", "Windows LAPS (Intune/CSP)"},
	{`HKLM\SOFTWARE\Policies\Microsoft Services\AdmPwd`, "AdmPwdEnabled", "Microsoft LAPS (legacy)"},
}

func (lapsCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	// Domain controllers have no local accounts for LAPS to manage.
	if pt, err := h.Registry.String(`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`, "ProductType"); err == nil && pt == "LanmanNT" {
		return checks.Skipped(protocol.Text{FR: "contrôleur de domaine : LAPS ne s'applique pas", EN: "domain controller: LAPS does not apply"})
	}
	var on, seen []string
	for _, k := range lapsKeys {
		v, err := h.Registry.Integer(k.Key, k.Value)
		if err != nil {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s=%d", k.Name, v))
		if v != 0 {
			on = append(on, k.Name)
		}
	}
	facts := map[string]any{"laps": len(on) > 0}
	if len(on) > 0 {
		return checks.Passed(protocol.Textf("mot de passe administrateur local géré par %s", "local administrator password managed by %s", strings.Join(on, ", ")), facts)
	}
	if len(seen) > 0 {
		return checks.Warned(protocol.Textf("LAPS présent mais désactivé (%s)", "LAPS present but disabled (%s)", strings.Join(seen, ", ")), facts)
	}
	return checks.Warned(protocol.Text{FR: "LAPS non configuré : le mot de passe administrateur local est peut-être le même sur tous les postes",
		EN: "LAPS not configured: the local administrator password may be the same on every machine"}, facts)
}
