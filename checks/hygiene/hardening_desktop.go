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

// The workstation: PowerShell v2 and logging, autorun, Office macros, UAC,
// the built-in Administrator, screen lock, Secure Boot.

// powershellV2: the PowerShell 2.0 engine, which bypasses script-block
// logging and AMSI, is removed.
func powershellV2(ctx context.Context, h *checks.Host) protocol.Result {
	fs, err := psList[struct{ Name, State string }](ctx, h, psV2Script)
	if err != nil {
		return winps.Errored(protocol.Text{FR: "fonctionnalité PowerShell 2.0 illisible", EN: "PowerShell 2.0 feature unreadable"}, err)
	}
	var on, all []string
	for _, f := range fs {
		all = append(all, f.Name+"="+f.State)
		if f.State == "Enabled" || f.State == "EnablePending" {
			on = append(on, f.Name)
		}
	}
	facts := map[string]any{"powershell_v2": len(on) > 0}
	switch {
	case len(fs) == 0:
		return checks.Passed(protocol.Text{FR: "moteur PowerShell 2.0 absent de ce système", EN: "PowerShell 2.0 engine absent from this system"}, facts)
	case len(on) > 0:
		return checks.Failed(protocol.Textf("moteur PowerShell 2.0 installé (%s)", "PowerShell 2.0 engine installed (%s)", strings.Join(all, ", ")), facts)
	}
	return checks.Passed(protocol.Textf("moteur PowerShell 2.0 retiré (%s)", "PowerShell 2.0 engine removed (%s)", strings.Join(all, ", ")), facts)
}

// powershellLogging: script-block logging is on, so that what a script
// ran is in the event log after an incident.
func powershellLogging(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{`HKLM\SOFTWARE\Policies\Microsoft\Windows\PowerShell\ScriptBlockLogging`, "EnableScriptBlockLogging", true})
	if err != nil {
		return readErr("EnableScriptBlockLogging", err)
	}
	if ok && v == 1 {
		return checks.Passed(tf("journalisation des blocs de script PowerShell activée (%s)", "PowerShell script-block logging on (%s)", from.source()), map[string]any{"script_block_logging": true})
	}
	if ok {
		return checks.Failed(tf("journalisation des blocs de script PowerShell désactivée (EnableScriptBlockLogging=%d, %s)", "PowerShell script-block logging off (EnableScriptBlockLogging=%d, %s)", v, from.source()), map[string]any{"script_block_logging": false})
	}
	if _, err := defaultsApply(h.Registry, psWitness); err != nil {
		return notRead("EnableScriptBlockLogging", err)
	}
	return checks.Failed(protocol.Text{FR: "journalisation des blocs de script PowerShell non activée (EnableScriptBlockLogging absent : désactivée par défaut)", EN: "PowerShell script-block logging not on (EnableScriptBlockLogging absent: off by default)"}, map[string]any{"script_block_logging": false})
}

// autorun: AutoRun is off for every drive type (NoDriveTypeAutoRun 0xFF
// or NoAutorun 1), so a USB key or a CD does not start a program.
func autorun(_ context.Context, h *checks.Host) protocol.Result {
	no, from, ok, err := setting(h.Registry, regVal{explorerPol, "NoAutorun", true})
	if err != nil {
		return readErr("NoAutorun", err)
	}
	if ok && no == 1 {
		return checks.Passed(tf("exécution automatique désactivée (NoAutorun=1, %s)", "AutoRun off (NoAutorun=1, %s)", from.source()), map[string]any{"autorun": false})
	}
	t, from, ok, err := setting(h.Registry, regVal{explorerPol, "NoDriveTypeAutoRun", true})
	if err != nil {
		return readErr("NoDriveTypeAutoRun", err)
	}
	if !ok {
		if _, err := defaultsApply(h.Registry, autoplayWitness); err != nil {
			return notRead("NoDriveTypeAutoRun", err)
		}
		return checks.Failed(protocol.Text{FR: "exécution automatique active pour certains lecteurs (NoDriveTypeAutoRun absent : 0x91 par défaut)", EN: "AutoRun on for some drives (NoDriveTypeAutoRun absent: 0x91 by default)"}, map[string]any{"autorun": true})
	}
	if t&0xFF == 0xFF {
		return checks.Passed(tf("exécution automatique désactivée pour tous les lecteurs (NoDriveTypeAutoRun=0x%X, %s)", "AutoRun off for every drive (NoDriveTypeAutoRun=0x%X, %s)", t, from.source()), map[string]any{"autorun": false})
	}
	return checks.Failed(tf("exécution automatique active pour certains lecteurs (NoDriveTypeAutoRun=0x%X, %s)", "AutoRun on for some drives (NoDriveTypeAutoRun=0x%X, %s)", t, from.source()), map[string]any{"autorun": true})
}

// Office versions whose policies live under Office\<n>\ (16.0 covers 2016,
// 2019, 2021, 2024 and Microsoft 365 Apps).
var officeVersions = []string{"16.0", "15.0"}

var officeApps = []string{"word", "excel", "powerpoint"}

// officeMacros: macros in files from the Internet are blocked, by policy,
// for every logged-on user. Read from the loaded user hives (HKU): the
// policy is a user policy.
func officeMacros(_ context.Context, h *checks.Host) protocol.Result {
	ver := ""
	for _, v := range officeVersions {
		if ok, err := checks.KeyExists(h.Registry, `HKLM\SOFTWARE\Microsoft\Office\`+v); err != nil {
			return readErr(`HKLM\SOFTWARE\Microsoft\Office`, err)
		} else if ok {
			ver = v
			break
		}
	}
	if c2r, err := checks.KeyExists(h.Registry, `HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration`); err == nil && c2r && ver == "" {
		ver = "16.0"
	}
	if ver == "" {
		return checks.Skipped(protocol.Text{FR: "Microsoft Office n'est pas installé", EN: "Microsoft Office is not installed"})
	}
	sids, err := h.Registry.SubKeys(`HKU`)
	if err != nil && !errors.Is(err, checks.ErrNotFound) {
		return readErr("HKU", err)
	}
	users, blocked := 0, 0
	var open, unset []string
	for _, sid := range sids {
		if !strings.HasPrefix(sid, "S-1-5-21-") || strings.HasSuffix(sid, "_Classes") {
			continue
		}
		users++
		rid := sid[strings.LastIndex(sid, "-")+1:]
		all := true
		for _, app := range officeApps {
			base := `HKU\` + sid + `\Software\Policies\Microsoft\Office\` + ver + `\` + app + `\security`
			if w, err := h.Registry.Integer(base, "vbawarnings"); err == nil && w == 1 {
				open = append(open, fmt.Sprintf("%s/%s vbawarnings=1", rid, app))
				all = false
				continue
			}
			b, err := h.Registry.Integer(base, "blockcontentexecutionfrominternet")
			switch {
			case err == nil && b == 1:
			case err == nil:
				open = append(open, fmt.Sprintf("%s/%s blockcontentexecutionfrominternet=%d", rid, app, b))
				all = false
			case errors.Is(err, checks.ErrNotFound):
				unset = append(unset, rid+"/"+app)
				all = false
			default:
				return readErr("blockcontentexecutionfrominternet", err)
			}
		}
		if all {
			blocked++
		}
	}
	facts := map[string]any{"office": ver, "users": users, "users_blocked_by_policy": blocked}
	switch {
	case users == 0:
		return checks.Errored(protocol.Text{FR: "aucun utilisateur connecté : stratégies Office par utilisateur illisibles", EN: "no user logged on: per-user Office policies unreadable"}, errors.New("no S-1-5-21 hive loaded under HKU"))
	case len(open) > 0:
		return checks.Failed(protocol.Textf("macros des fichiers venant d'Internet autorisées par stratégie : %s", "macros in files from the Internet allowed by policy: %s", strings.Join(open, ", ")), facts)
	case len(unset) > 0:
		return checks.Warned(protocol.Textf("blocage des macros venant d'Internet non imposé par stratégie (%s) : seul le réglage par défaut des versions récentes d'Office protège",
			"blocking macros from the Internet not enforced by policy (%s): only recent Office versions' default protects", strings.Join(unset, ", ")), facts)
	}
	return checks.Passed(protocol.Textf("macros des fichiers venant d'Internet bloquées par stratégie pour %d utilisateur(s) connecté(s) (Office %s)",
		"macros in files from the Internet blocked by policy for %d logged-on user(s) (Office %s)", users, ver), facts)
}

// uac: User Account Control is on, and administrators are asked before
// elevation (ConsentPromptBehaviorAdmin not 0).
func uac(_ context.Context, h *checks.Host) protocol.Result {
	lua, err := h.Registry.Integer(systemPol, "EnableLUA")
	if err != nil {
		return readErr("EnableLUA", err)
	}
	facts := map[string]any{"enable_lua": lua}
	if lua != 1 {
		return checks.Failed(protocol.Textf("contrôle de compte d'utilisateur (UAC) désactivé (EnableLUA=%d)", "User Account Control (UAC) off (EnableLUA=%d)", lua), facts)
	}
	c, err := h.Registry.Integer(systemPol, "ConsentPromptBehaviorAdmin")
	if err != nil && !errors.Is(err, checks.ErrNotFound) {
		return readErr("ConsentPromptBehaviorAdmin", err)
	}
	if err == nil {
		facts["consent_prompt_admin"] = c
		if c == 0 {
			return checks.Failed(protocol.Text{FR: "UAC actif mais élévation sans demande pour les administrateurs (ConsentPromptBehaviorAdmin=0)", EN: "UAC on but elevation without prompt for administrators (ConsentPromptBehaviorAdmin=0)"}, facts)
		}
		return checks.Passed(protocol.Textf("UAC actif (EnableLUA=1, ConsentPromptBehaviorAdmin=%d)", "UAC on (EnableLUA=1, ConsentPromptBehaviorAdmin=%d)", c), facts)
	}
	// Setup writes ConsentPromptBehaviorAdmin beside EnableLUA: a key without
	// it was not written by Windows, and its default cannot be assumed.
	return notRead("ConsentPromptBehaviorAdmin", fmt.Errorf("%w: %v", errNotRead, err))
}

// builtinAdminScript reads the built-in Administrator (RID 500, whatever
// its name) by SID.
const builtinAdminScript = `Get-LocalUser | Where-Object { $_.SID.Value -like 'S-1-5-21-*-500' } | ForEach-Object { [pscustomobject]@{ SID = $_.SID.Value; Enabled = [bool]$_.Enabled } }`

// builtinAdmin: the built-in Administrator is disabled (named accounts
// are used instead); domain controllers have none of their own.
func builtinAdmin(ctx context.Context, h *checks.Host) protocol.Result {
	if pt, err := productType(h.Registry); err == nil && pt == "LanmanNT" {
		return checks.Skipped(protocol.Text{FR: "contrôleur de domaine : pas de comptes locaux", EN: "domain controller: no local accounts"})
	}
	us, err := psNonEmpty[localUser](ctx, h, builtinAdminScript, "RID 500")
	if err != nil {
		return winps.Errored(protocol.Text{FR: "compte Administrateur intégré (RID 500) illisible", EN: "cannot read the built-in Administrator (RID 500)"}, err)
	}
	if us[0].Enabled {
		return checks.Failed(protocol.Text{FR: "le compte Administrateur intégré (RID 500) est activé", EN: "the built-in Administrator account (RID 500) is enabled"}, map[string]any{"builtin_admin_enabled": true})
	}
	return checks.Passed(protocol.Text{FR: "compte Administrateur intégré (RID 500) désactivé", EN: "built-in Administrator account (RID 500) disabled"}, map[string]any{"builtin_admin_enabled": false})
}

// maxInactivity is the longest acceptable idle time before the session
// locks (ANSSI and CIS: 15 minutes).
const maxInactivity = 900

// screenLock: the machine locks itself after at most 15 minutes idle
// ("Interactive logon: Machine inactivity limit").
func screenLock(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{systemPol, "InactivityTimeoutSecs", true})
	if err != nil {
		return readErr("InactivityTimeoutSecs", err)
	}
	facts := map[string]any{"inactivity_timeout_s": v}
	if !ok {
		if _, err := defaultsApply(h.Registry, systemPolWitness); err != nil {
			return notRead("InactivityTimeoutSecs", err)
		}
	}
	switch {
	case !ok || v == 0:
		return checks.Failed(protocol.Text{FR: "aucun verrouillage automatique imposé (InactivityTimeoutSecs absent ou 0)", EN: "no automatic lock enforced (InactivityTimeoutSecs absent or 0)"}, facts)
	case v > maxInactivity:
		return checks.Warned(tf("verrouillage après %d s d'inactivité (plus de 15 minutes, %s)", "lock after %d s idle (more than 15 minutes, %s)", v, from.source()), facts)
	}
	return checks.Passed(tf("verrouillage après %d s d'inactivité (%s)", "lock after %d s idle (%s)", v, from.source()), facts)
}

// secureBoot: UEFI Secure Boot is on, so a boot-kit cannot load before
// Windows.
func secureBoot(_ context.Context, h *checks.Host) protocol.Result {
	v, err := h.Registry.Integer(`HKLM\SYSTEM\CurrentControlSet\Control\SecureBoot\State`, "UEFISecureBootEnabled")
	switch {
	case errors.Is(err, checks.ErrNotFound):
		// No Secure Boot state: the firmware type Windows 8+ records tells a
		// legacy BIOS (1) from a UEFI machine that did not publish it.
		fw, ferr := h.Registry.Integer(`HKLM\SYSTEM\CurrentControlSet\Control`, "PEFirmwareType")
		switch {
		case ferr != nil:
			return notRead("UEFISecureBootEnabled", fmt.Errorf("%w: PEFirmwareType: %v", errNotRead, ferr))
		case fw == 1:
			return checks.Warned(protocol.Text{FR: "démarrage en BIOS ancien (PEFirmwareType=1) : pas de démarrage sécurisé possible", EN: "legacy BIOS boot (PEFirmwareType=1): no Secure Boot possible"}, map[string]any{"secure_boot": false, "firmware": "bios"})
		}
		return checks.Errored(protocol.Textf("micrologiciel UEFI (PEFirmwareType=%d) mais état du démarrage sécurisé non publié", "UEFI firmware (PEFirmwareType=%d) but Secure Boot state not published", fw), err)
	case err != nil:
		return readErr("UEFISecureBootEnabled", err)
	case v == 1:
		return checks.Passed(protocol.Text{FR: "démarrage sécurisé UEFI actif (UEFISecureBootEnabled=1)", EN: "UEFI Secure Boot on (UEFISecureBootEnabled=1)"}, map[string]any{"secure_boot": true})
	}
	return checks.Failed(protocol.Textf("démarrage sécurisé UEFI désactivé (UEFISecureBootEnabled=%d)", "UEFI Secure Boot off (UEFISecureBootEnabled=%d)", v), map[string]any{"secure_boot": false})
}
