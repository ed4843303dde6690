package hygiene

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
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
	return meta("hygiene.rdp", protocol.High, protocol.Refs{ANSSI: []int{17}, CIS: []string{"4.1", "6.4"}, NIS2: []string{"j"}}, "windows")
}

const (
	tsKey       = `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`
	rdpKey      = `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp`
	tsPolicyKey = `HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services`
)

// The policy (Computer Configuration > Administrative Templates > Remote
// Desktop Services) overrides the local switch; reading the local value
// alone reported an RDP opened by GPO as "disabled".
var (
	rdpDeny = []regVal{{tsPolicyKey, "fDenyTSConnections", true}, {tsKey, "fDenyTSConnections", false}}
	rdpNLA  = []regVal{{tsPolicyKey, "UserAuthentication", true}, {rdpKey, "UserAuthentication", false}}
)

// rdpState is what was read; each field only when its read succeeded.
type rdpState struct {
	Deny     uint64
	DenyFrom regVal
	NLA      uint64
	NLAFrom  regVal
	NLAErr   error
	Port     uint64
	PortRead bool
}

func judgeRDP(s rdpState) protocol.Result {
	if s.Deny == 1 {
		return checks.Passed(tf("bureau à distance désactivé (fDenyTSConnections=1, %s)", "remote desktop disabled (fDenyTSConnections=1, %s)",
			s.DenyFrom.source()), map[string]any{"rdp_enabled": false, "rdp_source": s.DenyFrom.Key})
	}
	port := protocol.Text{FR: "port non lu", EN: "port not read"}
	if s.PortRead {
		port = protocol.Textf("port %d", "port %d", s.Port)
	}
	facts := map[string]any{"rdp_enabled": true, "rdp_source": s.DenyFrom.Key}
	if s.PortRead {
		facts["port"] = s.Port
	}
	on := protocol.Text{FR: fmt.Sprintf("bureau à distance activé (fDenyTSConnections=%d, %s ; %s)", s.Deny, s.DenyFrom.source().FR, port.FR),
		EN: fmt.Sprintf("remote desktop on (fDenyTSConnections=%d, %s; %s)", s.Deny, s.DenyFrom.source().EN, port.EN)}
	if s.NLAErr != nil {
		return checks.Errored(protocol.Text{FR: on.FR + ", mais l'exigence d'authentification préalable (UserAuthentication) n'a pas pu être lue",
			EN: on.EN + ", but the Network Level Authentication setting (UserAuthentication) could not be read"}, s.NLAErr)
	}
	facts["nla"] = s.NLA == 1
	if s.NLA == 1 {
		return checks.Passed(protocol.Text{FR: on.FR + fmt.Sprintf(" avec authentification préalable (NLA, UserAuthentication=1, %s)", s.NLAFrom.source().FR),
			EN: on.EN + fmt.Sprintf(" with Network Level Authentication (UserAuthentication=1, %s)", s.NLAFrom.source().EN)}, facts)
	}
	return checks.Failed(protocol.Text{FR: on.FR + fmt.Sprintf(" SANS authentification préalable (UserAuthentication=%d, %s)", s.NLA, s.NLAFrom.source().FR),
		EN: on.EN + fmt.Sprintf(" WITHOUT Network Level Authentication (UserAuthentication=%d, %s)", s.NLA, s.NLAFrom.source().EN)}, facts)
}

func (rdpCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	var s rdpState
	var err error
	if s.Deny, s.DenyFrom, err = firstInt(h.Registry, rdpDeny...); err != nil {
		return checks.Errored(protocol.Text{FR: "état du bureau à distance (fDenyTSConnections) illisible", EN: "remote desktop state (fDenyTSConnections) unreadable"}, err)
	}
	if s.Deny != 1 {
		s.NLA, s.NLAFrom, s.NLAErr = firstInt(h.Registry, rdpNLA...)
		if p, err := h.Registry.Integer(rdpKey, "PortNumber"); err == nil {
			s.Port, s.PortRead = p, true
		}
	}
	return judgeRDP(s)
}

// smb1Check: SMBv1 is off. It is the protocol WannaCry and NotPetya spread
// through, deprecated by Microsoft since 2014 (ANSSI 19, 34; CIS 4.8; NIS2
// 21(2)(g)).
type smb1Check struct{}

func (smb1Check) Meta() checks.Meta {
	return meta("hygiene.smb1", protocol.High, protocol.Refs{ANSSI: []int{19, 34}, CIS: []string{"4.8"}, NIS2: []string{"g"}}, "windows")
}

// smbScript reads the SMB server's configuration and the state of the
// SMB1Protocol optional feature (enum names, not localised; reading the
// feature needs administrator rights, so it is optional).
const smbScript = `$c = Get-SmbServerConfiguration
$f = ''
try { $f = [string](Get-WindowsOptionalFeature -Online -FeatureName SMB1Protocol).State } catch { $f = 'unreadable' }
[pscustomobject]@{ EnableSMB1Protocol = [bool]$c.EnableSMB1Protocol; EnableSMB2Protocol = [bool]$c.EnableSMB2Protocol; RequireSecuritySignature = [bool]$c.RequireSecuritySignature; SMB1Feature = $f }`

type smbConfig struct {
	EnableSMB1Protocol       bool
	EnableSMB2Protocol       bool
	RequireSecuritySignature bool
	SMB1Feature              string
}

const (
	lanmanKey      = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters`
	workstationKey = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters`
	mrxsmb10Key    = `HKLM\SYSTEM\CurrentControlSet\Services\mrxsmb10`
)

// smb1State is what was read of SMBv1's three parts: the server, the
// client driver (mrxsmb10) and the optional feature.
type smb1State struct {
	Server       bool
	ServerFrom   string // "Get-SmbServerConfiguration" or the registry value
	Client       string // "absent", "disabled", "enabled (Start=N)", "" unread
	ClientStart  uint64
	Feature      string // Enabled, Disabled, DisabledWithPayloadRemoved, "" unread
	Signing      bool
	SigningKnown bool
}

func judgeSMB1(s smb1State) protocol.Result {
	facts := map[string]any{"smb1_server": s.Server}
	var fr, en []string
	bad := s.Server
	if s.Server {
		fr, en = append(fr, "serveur SMBv1 activé ("+s.ServerFrom+")"), append(en, "SMBv1 server enabled ("+s.ServerFrom+")")
	} else {
		fr, en = append(fr, "serveur SMBv1 désactivé ("+s.ServerFrom+")"), append(en, "SMBv1 server disabled ("+s.ServerFrom+")")
	}
	switch s.Client {
	case "absent":
		fr, en = append(fr, "pilote client mrxsmb10 absent"), append(en, "client driver mrxsmb10 absent")
		facts["smb1_client"] = false
	case "disabled":
		fr, en = append(fr, "pilote client mrxsmb10 désactivé (Start=4)"), append(en, "client driver mrxsmb10 disabled (Start=4)")
		facts["smb1_client"] = false
	case "enabled":
		bad = true
		fr = append(fr, fmt.Sprintf("pilote client mrxsmb10 actif (Start=%d)", s.ClientStart))
		en = append(en, fmt.Sprintf("client driver mrxsmb10 active (Start=%d)", s.ClientStart))
		facts["smb1_client"] = true
	}
	switch s.Feature {
	case "", "unreadable":
	case "Enabled", "EnablePending":
		bad = true
		fallthrough
	default:
		fr, en = append(fr, "fonctionnalité SMB1Protocol "+s.Feature), append(en, "feature SMB1Protocol "+s.Feature)
		facts["smb1_feature"] = s.Feature
	}
	if s.SigningKnown {
		facts["signing_required"] = s.Signing
	}
	ev := protocol.Text{FR: "SMBv1 : " + strings.Join(fr, ", "), EN: "SMBv1: " + strings.Join(en, ", ")}
	if bad {
		return checks.Failed(ev, facts)
	}
	return checks.Passed(ev, facts)
}

func (smb1Check) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	var s smb1State
	c, err := psOne[smbConfig](ctx, h, smbScript)
	if err == nil {
		s.Server, s.ServerFrom, s.Feature = c.EnableSMB1Protocol, fmt.Sprintf("EnableSMB1Protocol=%v", c.EnableSMB1Protocol), c.SMB1Feature
		s.Signing, s.SigningKnown = c.RequireSecuritySignature, true
	} else {
		// Older systems without the cmdlet, or PowerShell unavailable:
		// the SMB1 registry value, which the "Configure SMBv1 server" policy
		// also writes (absent means enabled on those systems, but absent on
		// a recent one means the feature decides: not a value to judge on).
		v, rerr := h.Registry.Integer(lanmanKey, "SMB1")
		if rerr != nil {
			return winps.Errored(protocol.Text{FR: "configuration du serveur SMB illisible", EN: "SMB server configuration unreadable"}, errors.Join(err, rerr))
		}
		s.Server, s.ServerFrom = v != 0, fmt.Sprintf(`LanmanServer\Parameters\SMB1=%d`, v)
	}
	start, err := h.Registry.Integer(mrxsmb10Key, "Start")
	switch {
	case err == nil && start == 4:
		s.Client = "disabled"
	case err == nil:
		s.Client, s.ClientStart = "enabled", start
	case errors.Is(err, checks.ErrNotFound):
		if _, kerr := h.Registry.SubKeys(`HKLM\SYSTEM\CurrentControlSet\Services`); kerr == nil {
			s.Client = "absent" // the services key was read and has no mrxsmb10
		}
	}
	return judgeSMB1(s)
}

// smbSigningCheck: SMB signing is required, by the server and by the
// client, so that nobody in the middle can relay or alter SMB sessions
// (NTLM relay to file shares). ANSSI 19; CIS 3.10, 4.1; NIS2 21(2)(h).
type smbSigningCheck struct{}

func (smbSigningCheck) Meta() checks.Meta {
	return meta("hygiene.smb-signing", protocol.Medium, protocol.Refs{ANSSI: []int{19}, CIS: []string{"3.10", "4.1"}, NIS2: []string{"h"}}, "windows")
}

// Both values are written in place by the security options of Group
// Policy ("Microsoft network server/client: Digitally sign communications
// (always)"): there is no separate policy key.
func (smbSigningCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	srv, serr := h.Registry.Integer(lanmanKey, "RequireSecuritySignature")
	cli, cerr := h.Registry.Integer(workstationKey, "RequireSecuritySignature")
	if serr != nil || cerr != nil {
		return checks.Errored(protocol.Text{FR: "exigence de signature SMB (RequireSecuritySignature) illisible", EN: "SMB signing requirement (RequireSecuritySignature) unreadable"}, errors.Join(serr, cerr))
	}
	return judgeSMBSigning(srv, cli)
}

func judgeSMBSigning(srv, cli uint64) protocol.Result {
	facts := map[string]any{"server_signing_required": srv == 1, "client_signing_required": cli == 1}
	ev := protocol.Textf("signature SMB exigée : serveur RequireSecuritySignature=%d, client RequireSecuritySignature=%d",
		"SMB signing required: server RequireSecuritySignature=%d, client RequireSecuritySignature=%d", srv, cli)
	switch {
	case srv != 1:
		return checks.Failed(ev, facts)
	case cli != 1:
		return checks.Warned(ev, facts)
	}
	return checks.Passed(ev, facts)
}

// smbGuestCheck: the SMB client refuses insecure guest logons, with which
// a rogue share serves files without authentication and without signing
// (ANSSI 19; CIS 4.8; NIS2 21(2)(h)).
type smbGuestCheck struct{}

func (smbGuestCheck) Meta() checks.Meta {
	return meta("hygiene.smb-guest", protocol.Medium, protocol.Refs{ANSSI: []int{19}, CIS: []string{"4.8"}, NIS2: []string{"h"}}, "windows")
}

var smbGuest = []regVal{
	{`HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation`, "AllowInsecureGuestAuth", true},
	{workstationKey, "AllowInsecureGuestAuth", false},
}

func (smbGuestCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	v, from, err := firstInt(h.Registry, smbGuest...)
	if err == nil {
		facts := map[string]any{"insecure_guest": v != 0, "source": from.Key}
		ev := tf("connexions invité non sécurisées : AllowInsecureGuestAuth=%d (%s)", "insecure guest logons: AllowInsecureGuestAuth=%d (%s)", v, from.source())
		if v != 0 {
			return checks.Failed(ev, facts)
		}
		return checks.Passed(ev, facts)
	}
	if !errors.Is(err, checks.ErrNotFound) {
		return checks.Errored(protocol.Text{FR: "réglage AllowInsecureGuestAuth illisible", EN: "AllowInsecureGuestAuth unreadable"}, err)
	}
	// No value: Windows' default, which depends on the edition and build
	// (refused by default on Enterprise, Education and Server since
	// Windows 10 1709 / Server 2019, on every edition since Windows 11 24H2).
	ed, eerr := h.Registry.String(keyCurrentVersion, "EditionID")
	build, berr := currentBuild(h.Registry)
	if eerr != nil || berr != nil {
		return checks.Errored(protocol.Text{FR: "AllowInsecureGuestAuth absent et version de Windows illisible", EN: "AllowInsecureGuestAuth absent and Windows version unreadable"}, errors.Join(eerr, berr))
	}
	facts := map[string]any{"insecure_guest_default": true, "edition": ed, "build": build}
	if build >= 26100 || (build >= 16299 && !strings.HasPrefix(ed, "Core") && !strings.HasPrefix(ed, "Professional")) {
		facts["insecure_guest"] = false
		return checks.Passed(protocol.Textf("AllowInsecureGuestAuth absent : refusé par défaut sur %s build %d", "AllowInsecureGuestAuth absent: refused by default on %s build %d", ed, build), facts)
	}
	facts["insecure_guest"] = true
	return checks.Failed(protocol.Textf("AllowInsecureGuestAuth absent : accepté par défaut sur %s build %d (avant Windows 11 24H2)",
		"AllowInsecureGuestAuth absent: accepted by default on %s build %d (before Windows 11 24H2)", ed, build), facts)
}

// adminsCheck: the local Administrators group (SID S-1-5-32-544, whatever
// its localised name) holds few members and never everybody. "Every user is
// an administrator" lets one phishing mail take the whole machine (ANSSI 8,
// 27; CIS 5.4; NIS2 21(2)(i); MonAideCyber rank 6).
type adminsCheck struct{}

func (adminsCheck) Meta() checks.Meta {
	return meta("hygiene.local-admins", protocol.High, protocol.Refs{ANSSI: []int{8, 27}, CIS: []string{"5.4"}, NIS2: []string{"i"}}, "windows")
}

// adminsScript lists members by SID and PrincipalSource (0 Unknown, 1 Local,
// 2 ActiveDirectory, 3 AzureAD, 4 MicrosoftAccount). ObjectClass and Name
// are left out: the first is localised, the second personal.
const adminsScript = `Get-LocalGroupMember -SID S-1-5-32-544 | ForEach-Object { [pscustomobject]@{SID=$_.SID.Value; PrincipalSource=[int]$_.PrincipalSource} }`

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
	ms, err := psNonEmpty[member](ctx, h, adminsScript, "Administrators (S-1-5-32-544)")
	if err != nil {
		return winps.Errored(protocol.Text{FR: "membres du groupe Administrateurs illisibles", EN: "cannot read the Administrators group"}, err)
	}
	return judgeAdmins(ms)
}

// guestCheck: the built-in Guest account (RID 501) is disabled; enabled, it
// opens the machine to anyone (ANSSI 8; CIS 4.7, 5.3; NIS2 21(2)(i)).
type guestCheck struct{}

func (guestCheck) Meta() checks.Meta {
	return meta("hygiene.guest-account", protocol.Medium, protocol.Refs{ANSSI: []int{8}, CIS: []string{"4.7", "5.3"}, NIS2: []string{"i"}}, "windows")
}

const guestScript = `Get-LocalUser | Where-Object { $_.SID.Value -like 'S-1-5-21-*-501' } | ForEach-Object { [pscustomobject]@{SID=$_.SID.Value; Enabled=$_.Enabled} }`

type localUser struct {
	SID     string
	Enabled bool
}

func judgeGuest(us []localUser) protocol.Result {
	if us[0].Enabled {
		return checks.Failed(protocol.Text{FR: "le compte Invité intégré (RID 501) est activé", EN: "the built-in Guest account (RID 501) is enabled"}, map[string]any{"guest_enabled": true})
	}
	return checks.Passed(protocol.Text{FR: "compte Invité intégré (RID 501) désactivé", EN: "built-in Guest account (RID 501) disabled"}, map[string]any{"guest_enabled": false})
}

func (guestCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	us, err := psNonEmpty[localUser](ctx, h, guestScript, "RID 501")
	if err != nil {
		return winps.Errored(protocol.Text{FR: "compte Invité intégré (RID 501) illisible", EN: "cannot read the built-in Guest account (RID 501)"}, err)
	}
	return judgeGuest(us)
}

// lapsCheck: the local administrator password is managed by LAPS (Windows
// LAPS or legacy Microsoft LAPS), so it differs on every machine and
// rotates; one shared password lets an attacker hop from one PC to all
// (ANSSI 8, 12; CIS 5.2, 4.7; NIS2 21(2)(i)).
type lapsCheck struct{}

func (lapsCheck) Meta() checks.Meta {
	return meta("hygiene.laps", protocol.Medium, protocol.Refs{ANSSI: []int{8, 12}, CIS: []string{"5.2", "4.7"}, NIS2: []string{"i"}}, "windows")
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
	// No LAPS policy anywhere: meaningful only on a registry read as Windows'
	// own (hardening.go's rule for absent values).
	if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
		return notRead("LAPS (BackupDirectory, AdmPwdEnabled)", err)
	}
	return checks.Warned(protocol.Text{FR: "LAPS non configuré : le mot de passe administrateur local est peut-être le même sur tous les postes",
		EN: "LAPS not configured: the local administrator password may be the same on every machine"}, facts)
}
