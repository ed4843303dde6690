package hygiene

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
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
	return checks.Func{M: meta(id, sev, refs, "windows"), F: func(ctx context.Context, h *checks.Host) protocol.Result {
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
		if ok, err = checks.KeyExists(r, w.Key); err == nil && !ok {
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
