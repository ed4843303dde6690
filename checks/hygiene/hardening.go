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

// Windows hardening checks a town-hall administrator expects: credential
// protection, name-resolution poisoning, PowerShell, autorun, macros, UAC,
// the built-in Administrator, screen lock, Secure Boot, password and lockout
// policies. Registry values are read Group Policy first; a value that
// cannot be read is an error.
//
// Rule for absent values ("défaut seulement sur un registre lu"): an absent
// value is judged on Windows' documented default, and the evidence says so,
// only when the registry around it was read: (1) a witness was read, a key
// or value that every Windows installation has beside the setting (the Lsa
// key's LimitBlankPasswordUse, the DNS client service's Parameters key, the
// AutoPlay handlers...), and (2) the Windows build (CurrentBuild), since
// defaults change with versions. Otherwise the result is the error « valeur
// non lue »: a nearly empty registry (Wine's, a damaged hive, a read refused
// to a non-administrator) is not a Windows with default settings.

const (
	lsaKey      = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa`
	systemPol   = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System`
	explorerPol = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer`
	dnsClientPo = `HKLM\SOFTWARE\Policies\Microsoft\Windows NT\DNSClient`
	netbtKey    = `HKLM\SYSTEM\CurrentControlSet\Services\NetBT\Parameters`
)

// winCheck builds a Windows-only hygiene check from a function.
func winCheck(id string, sev protocol.Severity, refs protocol.Refs, f func(ctx context.Context, h *checks.Host) protocol.Result) checks.Check {
	return checks.Func{M: meta(id, sev, refs, 0, "windows"), F: func(ctx context.Context, h *checks.Host) protocol.Result {
		if h.OS != "windows" {
			return otherOS(h)
		}
		return f(ctx, h)
	}}
}

// hardeningChecks are the checks of this file, in the family's order.
func hardeningChecks() []checks.Check {
	sp := &secpolCache{} // one secedit run per host for both policies
	cred := protocol.Refs{ANSSI: []int{10, 27}, CIS: []string{"4.1"}, NIS2: []string{"i"}}
	name := protocol.Refs{ANSSI: []int{19, 20}, CIS: []string{"4.1", "4.8"}, NIS2: []string{"h"}}
	return []checks.Check{
		winCheck("hygiene.lsa-protection", protocol.Medium, cred, lsaProtection),
		winCheck("hygiene.wdigest", protocol.High, cred, wdigest),
		winCheck("hygiene.lm-hash", protocol.High, cred, lmHash),
		winCheck("hygiene.ntlm-level", protocol.Medium, cred, ntlmLevel),
		winCheck("hygiene.llmnr", protocol.Medium, name, llmnr),
		winCheck("hygiene.netbios", protocol.Medium, name, netbios),
		winCheck("hygiene.wpad", protocol.Medium, name, wpad),
		winCheck("hygiene.powershell-v2", protocol.Low, protocol.Refs{ANSSI: []int{20}, CIS: []string{"4.8", "2.7"}, NIS2: []string{"g"}}, powershellV2),
		winCheck("hygiene.powershell-logging", protocol.Low, protocol.Refs{ANSSI: []int{36}, CIS: []string{"8.2", "8.8"}, NIS2: []string{"b"}}, powershellLogging),
		winCheck("hygiene.autorun", protocol.Medium, protocol.Refs{ANSSI: []int{14, 20}, CIS: []string{"10.3"}, NIS2: []string{"g"}}, autorun),
		winCheck("hygiene.office-macros", protocol.High, protocol.Refs{ANSSI: []int{14, 20}, CIS: []string{"2.7"}, NIS2: []string{"g"}}, officeMacros),
		winCheck("hygiene.uac", protocol.High, protocol.Refs{ANSSI: []int{8, 27}, CIS: []string{"5.4"}, NIS2: []string{"i"}}, uac),
		winCheck("hygiene.builtin-admin", protocol.Medium, protocol.Refs{ANSSI: []int{8, 12}, CIS: []string{"5.4", "4.7"}, NIS2: []string{"i"}}, builtinAdmin),
		winCheck("hygiene.screen-lock", protocol.Low, protocol.Refs{ANSSI: []int{24}, CIS: []string{"4.3"}, NIS2: []string{"i"}}, screenLock),
		winCheck("hygiene.secure-boot", protocol.Low, protocol.Refs{ANSSI: []int{20}, CIS: []string{"4.1"}, NIS2: []string{"g"}}, secureBoot),
		winCheck("hygiene.password-policy", protocol.High, protocol.Refs{ANSSI: []int{9, 10}, CIS: []string{"5.2"}, NIS2: []string{"i", "j"}}, sp.passwordPolicy),
		winCheck("hygiene.lockout-policy", protocol.Medium, protocol.Refs{ANSSI: []int{9, 10}, CIS: []string{"5.2", "4.10"}, NIS2: []string{"i"}}, sp.lockoutPolicy),
	}
}

// witness is a key (Value empty) or a value that every Windows installation
// has: reading it shows that the registry region of a setting is Windows'
// own, so that an absent setting means Windows' default.
type witness struct{ Key, Value string }

func (w witness) String() string {
	if w.Value == "" {
		return w.Key
	}
	return w.Key + `\` + w.Value
}

// Witnesses of the settings below (all present on Windows since Vista /
// Server 2008, checked on Windows 10 22H2 and Server 2022 exports).
var (
	// "Accounts: Limit local account use of blank passwords": DWORD 1 that
	// setup writes in every Lsa key.
	lsaWitness      = witness{lsaKey, "LimitBlankPasswordUse"}
	wdigestWitness  = witness{`HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest`, ""}
	dnscacheWitness = witness{`HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters`, ""}
	psWitness       = witness{`HKLM\SOFTWARE\Microsoft\PowerShell\1\ShellIds`, ""}
	autoplayWitness = witness{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Explorer\AutoplayHandlers\EventHandlers`, ""}
	// UAC's prompt behaviour, written by setup beside EnableLUA.
	systemPolWitness = witness{systemPol, "ConsentPromptBehaviorAdmin"}
)

// errNotRead is an absent value whose default cannot be used (the rule
// above): the result says « valeur non lue ».
var errNotRead = errors.New("valeur non lue / value not read")

// defaultsApply tells whether an absent value may be judged on Windows'
// default: the witness and the build were read. It returns the build.
func defaultsApply(r checks.Registry, w witness) (int, error) {
	var err error
	if w.Value == "" {
		var ok bool
		if ok, err = keyExists(r, w.Key); err == nil && !ok {
			err = fmt.Errorf(`%s: %w`, w.Key, checks.ErrNotFound)
		}
	} else {
		_, err = r.Integer(w.Key, w.Value)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: registre de Windows incomplet, témoin %s absent / incomplete Windows registry, witness %s missing (%v)", errNotRead, w, w, err)
	}
	b, err := currentBuild(r)
	if err != nil {
		return 0, fmt.Errorf("%w: version de Windows (CurrentBuild) illisible / Windows build unreadable (%v)", errNotRead, err)
	}
	return b, nil
}

// notRead is the result of an absent value whose default cannot be used.
func notRead(value string, err error) protocol.Result {
	return checks.Errored(protocol.Textf("%s absent, valeur non lue : défaut de Windows non applicable", "%s absent, value not read: Windows default not applicable", value), err)
}

// readErr turns a registry read error into an error result naming the value.
func readErr(what string, err error) protocol.Result {
	return checks.Errored(protocol.Textf("%s illisible", "%s unreadable", what), err)
}

// setting reads the first of locs; absent is (0, zero regVal, nil, false).
func setting(r checks.Registry, locs ...regVal) (uint64, regVal, bool, error) {
	v, from, err := firstInt(r, locs...)
	if errors.Is(err, checks.ErrNotFound) {
		return 0, regVal{}, false, nil
	}
	return v, from, err == nil, err
}

// lsaProtection: LSASS runs as a protected process (RunAsPPL 1 or 2), so
// that credential-dumping tools (Mimikatz) cannot read its memory.
func lsaProtection(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{lsaKey, "RunAsPPL", false})
	if err != nil {
		return readErr(`Lsa\RunAsPPL`, err)
	}
	facts := map[string]any{"run_as_ppl": v}
	switch {
	case ok && (v == 1 || v == 2):
		return checks.Passed(tf("LSASS protégé (RunAsPPL=%d, %s)", "LSASS protected (RunAsPPL=%d, %s)", v, from.source()), facts)
	case ok:
		return checks.Failed(tf("LSASS non protégé (RunAsPPL=%d, %s)", "LSASS not protected (RunAsPPL=%d, %s)", v, from.source()), facts)
	}
	if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
		return notRead("RunAsPPL", err)
	}
	return checks.Failed(protocol.Text{FR: "LSASS non protégé (RunAsPPL absent : désactivé par défaut)", EN: "LSASS not protected (RunAsPPL absent: off by default)"}, facts)
}

// wdigest: WDigest does not keep passwords in clear text in memory.
func wdigest(_ context.Context, h *checks.Host) protocol.Result {
	const key = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest`
	v, from, ok, err := setting(h.Registry, regVal{key, "UseLogonCredential", false})
	if err != nil {
		return readErr("WDigest UseLogonCredential", err)
	}
	if ok {
		facts := map[string]any{"use_logon_credential": v}
		if v == 1 {
			return checks.Failed(tf("WDigest garde les mots de passe en clair en mémoire (UseLogonCredential=1, %s)", "WDigest keeps passwords in clear text in memory (UseLogonCredential=1, %s)", from.source()), facts)
		}
		return checks.Passed(tf("WDigest ne garde pas les mots de passe (UseLogonCredential=%d, %s)", "WDigest keeps no passwords (UseLogonCredential=%d, %s)", v, from.source()), facts)
	}
	// Absent: off by default since Windows 8.1 / Server 2012 R2 (build 9600).
	b, err := defaultsApply(h.Registry, wdigestWitness)
	if err != nil {
		return notRead("UseLogonCredential", err)
	}
	if b >= 9600 {
		return checks.Passed(protocol.Textf("UseLogonCredential absent : WDigest ne garde pas les mots de passe par défaut (build %d)", "UseLogonCredential absent: WDigest keeps no passwords by default (build %d)", b), map[string]any{"use_logon_credential": "default"})
	}
	return checks.Failed(protocol.Textf("UseLogonCredential absent : WDigest garde les mots de passe par défaut sur ce système (build %d)", "UseLogonCredential absent: WDigest keeps passwords by default on this system (build %d)", b), nil)
}

// lmHash: Windows does not store LAN Manager hashes (cracked in minutes).
func lmHash(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{lsaKey, "NoLMHash", false})
	if err != nil {
		return readErr(`Lsa\NoLMHash`, err)
	}
	switch {
	case ok && v == 1:
		return checks.Passed(tf("empreintes LM non stockées (NoLMHash=1, %s)", "LM hashes not stored (NoLMHash=1, %s)", from.source()), map[string]any{"no_lm_hash": true})
	case ok:
		return checks.Failed(tf("empreintes LM stockées (NoLMHash=%d, %s)", "LM hashes stored (NoLMHash=%d, %s)", v, from.source()), map[string]any{"no_lm_hash": false})
	}
	if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
		return notRead("NoLMHash", err)
	}
	return checks.Passed(protocol.Text{FR: "NoLMHash absent : empreintes LM non stockées par défaut depuis Windows Vista", EN: "NoLMHash absent: LM hashes not stored by default since Windows Vista"}, map[string]any{"no_lm_hash": "default"})
}

// ntlmLevel: only NTLMv2 is sent and LM/NTLMv1 refused (level 5).
func ntlmLevel(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{lsaKey, "LmCompatibilityLevel", false})
	if err != nil {
		return readErr(`Lsa\LmCompatibilityLevel`, err)
	}
	src := from.source()
	if !ok {
		if _, err := defaultsApply(h.Registry, lsaWitness); err != nil {
			return notRead("LmCompatibilityLevel", err)
		}
		v, src = 3, protocol.Text{FR: "valeur absente, défaut de Windows", EN: "value absent, Windows default"}
	}
	facts := map[string]any{"lm_compatibility_level": v}
	ev := tf("LmCompatibilityLevel=%d (%s)", "LmCompatibilityLevel=%d (%s)", v, src)
	switch {
	case v >= 5:
		return checks.Passed(ev, facts)
	case v >= 3:
		ev.FR += " : NTLMv2 seulement envoyé, mais LM et NTLMv1 encore acceptés (5 les refuse)"
		ev.EN += ": only NTLMv2 sent, but LM and NTLMv1 still accepted (5 refuses them)"
		return checks.Warned(ev, facts)
	}
	ev.FR += " : LM ou NTLMv1 encore envoyés"
	ev.EN += ": LM or NTLMv1 still sent"
	return checks.Failed(ev, facts)
}

// llmnr: multicast name resolution is off, so that a machine on the LAN
// cannot answer for any name and collect NTLM hashes (Responder).
func llmnr(_ context.Context, h *checks.Host) protocol.Result {
	v, from, ok, err := setting(h.Registry, regVal{dnsClientPo, "EnableMulticast", true},
		regVal{`HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters`, "EnableMulticast", false})
	if err != nil {
		return readErr("EnableMulticast", err)
	}
	switch {
	case ok && v == 0:
		return checks.Passed(tf("LLMNR désactivé (EnableMulticast=0, %s)", "LLMNR off (EnableMulticast=0, %s)", from.source()), map[string]any{"llmnr": false})
	case ok:
		return checks.Failed(tf("LLMNR activé (EnableMulticast=%d, %s)", "LLMNR on (EnableMulticast=%d, %s)", v, from.source()), map[string]any{"llmnr": true})
	}
	if _, err := defaultsApply(h.Registry, dnscacheWitness); err != nil {
		return notRead("EnableMulticast", err)
	}
	return checks.Failed(protocol.Text{FR: "LLMNR activé (EnableMulticast absent : activé par défaut)", EN: "LLMNR on (EnableMulticast absent: on by default)"}, map[string]any{"llmnr": true})
}

// netbios: NetBIOS over TCP/IP is off on every interface (NetbiosOptions
// 2), or the node type is P-node (2: no broadcast), or the DNS client
// policy disables it.
func netbios(_ context.Context, h *checks.Host) protocol.Result {
	if v, from, ok, err := setting(h.Registry, regVal{dnsClientPo, "EnableNetbios", true}); err != nil {
		return readErr("EnableNetbios", err)
	} else if ok && v == 0 {
		return checks.Passed(tf("NetBIOS désactivé (EnableNetbios=0, %s)", "NetBIOS off (EnableNetbios=0, %s)", from.source()), map[string]any{"netbios": false})
	}
	if nt, err := h.Registry.Integer(netbtKey, "NodeType"); err == nil && nt == 2 {
		return checks.Passed(protocol.Text{FR: "NetBIOS sans diffusion (NodeType=2, P-node)", EN: "NetBIOS without broadcast (NodeType=2, P-node)"}, map[string]any{"netbios": false})
	}
	ifs, err := h.Registry.SubKeys(netbtKey + `\Interfaces`)
	if err != nil {
		return readErr(`NetBT\Parameters\Interfaces`, err)
	}
	var on []string
	n := 0
	for _, i := range ifs {
		if !strings.HasPrefix(i, "Tcpip_") {
			continue
		}
		n++
		v, err := h.Registry.Integer(netbtKey+`\Interfaces\`+i, "NetbiosOptions")
		if err != nil && !errors.Is(err, checks.ErrNotFound) {
			return readErr(`NetbiosOptions`, err)
		}
		if err != nil || v != 2 {
			on = append(on, fmt.Sprintf("%s=%d", strings.TrimPrefix(i, "Tcpip_"), v))
		}
	}
	facts := map[string]any{"interfaces": n, "netbios_interfaces": len(on)}
	if n == 0 {
		return checks.Errored(protocol.Text{FR: "aucune interface NetBT lue", EN: "no NetBT interface read"}, errors.New("no Tcpip_ interface"))
	}
	if len(on) > 0 {
		return checks.Failed(protocol.Textf("NetBIOS sur TCP/IP actif sur %d interface(s) sur %d (NetbiosOptions ≠ 2)", "NetBIOS over TCP/IP on for %d of %d interface(s) (NetbiosOptions ≠ 2)", len(on), n), facts)
	}
	return checks.Passed(protocol.Textf("NetBIOS sur TCP/IP désactivé sur les %d interfaces (NetbiosOptions=2)", "NetBIOS over TCP/IP off on all %d interfaces (NetbiosOptions=2)", n), facts)
}

// wpad: automatic proxy discovery is off (DisableWpad, or the WinHTTP
// auto-proxy service disabled), so a rogue "wpad" host cannot proxy the
// machine's web traffic.
func wpad(_ context.Context, h *checks.Host) protocol.Result {
	d, _, ok, err := setting(h.Registry, regVal{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp`, "DisableWpad", false})
	if err != nil {
		return readErr("DisableWpad", err)
	}
	if ok && d == 1 {
		return checks.Passed(protocol.Text{FR: "découverte WPAD désactivée (WinHttp DisableWpad=1)", EN: "WPAD discovery off (WinHttp DisableWpad=1)"}, map[string]any{"wpad": false})
	}
	start, err := h.Registry.Integer(`HKLM\SYSTEM\CurrentControlSet\Services\WinHttpAutoProxySvc`, "Start")
	if err != nil && !errors.Is(err, checks.ErrNotFound) {
		return readErr(`WinHttpAutoProxySvc\Start`, err)
	}
	if err == nil && start == 4 {
		return checks.Passed(protocol.Text{FR: "service de découverte de proxy WinHTTP désactivé (Start=4)", EN: "WinHTTP auto-proxy service disabled (Start=4)"}, map[string]any{"wpad": false})
	}
	if err != nil {
		// Every Windows since Vista has the WinHTTP auto-proxy service: its
		// absence means the registry was not read, not that WPAD is on.
		return notRead(`DisableWpad et WinHttpAutoProxySvc\Start / DisableWpad and WinHttpAutoProxySvc\Start`, fmt.Errorf("%w: %v", errNotRead, err))
	}
	return checks.Failed(protocol.Textf("découverte WPAD active (DisableWpad absent, service WinHttpAutoProxySvc Start=%d)", "WPAD discovery on (DisableWpad absent, WinHttpAutoProxySvc Start=%d)", start), map[string]any{"wpad": true})
}

// psV2Script reads the Windows PowerShell 2.0 optional features (enum
// names). Windows 11 24H2 and Server 2025 removed them: nothing printed.
const psV2Script = `foreach ($n in 'MicrosoftWindowsPowerShellV2Root','MicrosoftWindowsPowerShellV2') { $f = Get-WindowsOptionalFeature -Online -FeatureName $n; if ($f) { [pscustomobject]@{ Name = $n; State = [string]$f.State } } }`

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
		if ok, err := keyExists(h.Registry, `HKLM\SOFTWARE\Microsoft\Office\`+v); err != nil {
			return readErr(`HKLM\SOFTWARE\Microsoft\Office`, err)
		} else if ok {
			ver = v
			break
		}
	}
	if c2r, err := keyExists(h.Registry, `HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration`); err == nil && c2r && ver == "" {
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

// keyExists tells whether a registry key exists.
func keyExists(r checks.Registry, key string) (bool, error) {
	_, err := r.SubKeys(key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, checks.ErrNotFound):
		return false, nil
	}
	return false, err
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
