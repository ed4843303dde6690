package hygiene

import (
	"maps"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

func hardening(id string) checks.Check {
	for _, c := range hardeningChecks() {
		if c.Meta().ID == id {
			return c
		}
	}
	panic("no check " + id)
}

type reg = map[string]map[string]any

func TestHardeningChecks(t *testing.T) {
	t.Parallel()
	cv := win10Base()
	office := reg{`HKLM\SOFTWARE\Microsoft\Office\16.0`: {}, `HKLM\SOFTWARE\Microsoft\Office\16.0\Common`: {}}
	user := `HKU\S-1-5-21-1-2-3-1001\Software\Policies\Microsoft\Office\16.0\`
	tests := []struct {
		id   string
		reg  reg
		want want
	}{
		{"hygiene.lsa-protection", reg{lsaKey: {"RunAsPPL": uint64(1)}}, want{protocol.Pass, []string{"RunAsPPL=1"}}},
		{"hygiene.lsa-protection", reg{lsaKey: {"RunAsPPL": uint64(0)}}, want{protocol.Fail, []string{"RunAsPPL=0"}}},
		{"hygiene.lsa-protection", cv, want{protocol.Fail, []string{"absent: off by default"}}},
		{"hygiene.lsa-protection", reg{lsaKey: {}, keyCurrentVersion: {"CurrentBuild": "19045"}}, want{protocol.Error, []string{"RunAsPPL absent, value not read", "LimitBlankPasswordUse missing"}}},
		{"hygiene.wdigest", reg{`HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest`: {"UseLogonCredential": uint64(1)}}, want{protocol.Fail, []string{"clear text"}}},
		{"hygiene.wdigest", cv, want{protocol.Pass, []string{"absent: WDigest keeps no passwords by default (build 19045)"}}},
		{"hygiene.wdigest", merge(cv, reg{keyCurrentVersion: {"CurrentBuild": "7601"}}), want{protocol.Fail, []string{"keeps passwords by default"}}},
		{"hygiene.wdigest", without(cv, keyCurrentVersion), want{protocol.Error, []string{"CurrentBuild"}}},
		{"hygiene.lm-hash", reg{lsaKey: {"NoLMHash": uint64(0)}}, want{protocol.Fail, []string{"LM hashes stored"}}},
		{"hygiene.lm-hash", reg{lsaKey: {"NoLMHash": uint64(1)}}, want{protocol.Pass, nil}},
		{"hygiene.lm-hash", cv, want{protocol.Pass, []string{"NoLMHash absent"}}},
		{"hygiene.ntlm-level", reg{lsaKey: {"LmCompatibilityLevel": uint64(5)}}, want{protocol.Pass, []string{"LmCompatibilityLevel=5"}}},
		{"hygiene.ntlm-level", cv, want{protocol.Warn, []string{"LmCompatibilityLevel=3 (value absent, Windows default)"}}},
		{"hygiene.ntlm-level", reg{lsaKey: {"LmCompatibilityLevel": uint64(1)}}, want{protocol.Fail, []string{"NTLMv1 still sent"}}},
		{"hygiene.llmnr", reg{dnsClientPo: {"EnableMulticast": uint64(0)}}, want{protocol.Pass, []string{"EnableMulticast=0, group policy"}}},
		{"hygiene.llmnr", cv, want{protocol.Fail, []string{"on by default"}}},
		{"hygiene.llmnr", without(cv, `HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters`), want{protocol.Error, []string{"EnableMulticast absent, value not read"}}},
		{"hygiene.netbios", reg{netbtKey + `\Interfaces\Tcpip_{A}`: {"NetbiosOptions": uint64(2)}, netbtKey + `\Interfaces\Tcpip_{B}`: {"NetbiosOptions": uint64(0)}}, want{protocol.Fail, []string{"1 of 2 interface(s)"}}},
		{"hygiene.netbios", reg{netbtKey + `\Interfaces\Tcpip_{A}`: {"NetbiosOptions": uint64(2)}}, want{protocol.Pass, []string{"all 1 interfaces"}}},
		{"hygiene.netbios", reg{dnsClientPo: {"EnableNetbios": uint64(0)}}, want{protocol.Pass, []string{"group policy"}}},
		{"hygiene.netbios", nil, want{protocol.Error, []string{"Interfaces"}}},
		{"hygiene.wpad", reg{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp`: {"DisableWpad": uint64(1)}}, want{protocol.Pass, nil}},
		{"hygiene.wpad", reg{`HKLM\SYSTEM\CurrentControlSet\Services\WinHttpAutoProxySvc`: {"Start": uint64(3)}}, want{protocol.Fail, []string{"Start=3"}}},
		{"hygiene.wpad", nil, want{protocol.Error, []string{"value not read"}}},
		{"hygiene.powershell-logging", reg{`HKLM\SOFTWARE\Policies\Microsoft\Windows\PowerShell\ScriptBlockLogging`: {"EnableScriptBlockLogging": uint64(1)}}, want{protocol.Pass, []string{"group policy"}}},
		{"hygiene.powershell-logging", cv, want{protocol.Fail, []string{"absent: off by default"}}},
		{"hygiene.powershell-logging", reg{`HKLM\SOFTWARE\Policies\Microsoft\Windows\PowerShell\ScriptBlockLogging`: {"EnableScriptBlockLogging": uint64(0)}}, want{protocol.Fail, []string{"EnableScriptBlockLogging=0, group policy"}}},
		{"hygiene.powershell-logging", nil, want{protocol.Error, []string{"value not read"}}},
		{"hygiene.autorun", reg{explorerPol: {"NoDriveTypeAutoRun": uint64(0xFF)}}, want{protocol.Pass, []string{"0xFF"}}},
		{"hygiene.autorun", reg{explorerPol: {"NoDriveTypeAutoRun": uint64(0x91)}}, want{protocol.Fail, []string{"0x91"}}},
		{"hygiene.autorun", cv, want{protocol.Fail, []string{"absent: 0x91 by default"}}},
		{"hygiene.autorun", nil, want{protocol.Error, []string{"NoDriveTypeAutoRun absent, value not read"}}},
		{"hygiene.uac", reg{systemPol: {"EnableLUA": uint64(0)}}, want{protocol.Fail, []string{"UAC) off"}}},
		{"hygiene.uac", reg{systemPol: {"EnableLUA": uint64(1), "ConsentPromptBehaviorAdmin": uint64(0)}}, want{protocol.Fail, []string{"without prompt"}}},
		{"hygiene.uac", reg{systemPol: {"EnableLUA": uint64(1), "ConsentPromptBehaviorAdmin": uint64(5)}}, want{protocol.Pass, nil}},
		{"hygiene.uac", nil, want{protocol.Error, []string{"EnableLUA unreadable"}}},
		{"hygiene.uac", reg{systemPol: {"EnableLUA": uint64(1)}}, want{protocol.Error, []string{"ConsentPromptBehaviorAdmin absent, value not read"}}},
		{"hygiene.screen-lock", reg{systemPol: {"InactivityTimeoutSecs": uint64(600)}}, want{protocol.Pass, []string{"600 s"}}},
		{"hygiene.screen-lock", reg{systemPol: {"InactivityTimeoutSecs": uint64(3600)}}, want{protocol.Warn, nil}},
		{"hygiene.screen-lock", cv, want{protocol.Fail, []string{"absent or 0"}}},
		{"hygiene.screen-lock", reg{systemPol: {"InactivityTimeoutSecs": uint64(0)}}, want{protocol.Fail, []string{"absent or 0"}}},
		{"hygiene.screen-lock", nil, want{protocol.Error, []string{"value not read"}}},
		{"hygiene.secure-boot", reg{`HKLM\SYSTEM\CurrentControlSet\Control\SecureBoot\State`: {"UEFISecureBootEnabled": uint64(1)}}, want{protocol.Pass, nil}},
		{"hygiene.secure-boot", reg{`HKLM\SYSTEM\CurrentControlSet\Control\SecureBoot\State`: {"UEFISecureBootEnabled": uint64(0)}}, want{protocol.Fail, nil}},
		{"hygiene.secure-boot", reg{`HKLM\SYSTEM\CurrentControlSet\Control`: {"PEFirmwareType": uint64(1)}}, want{protocol.Warn, []string{"legacy BIOS"}}},
		{"hygiene.secure-boot", reg{`HKLM\SYSTEM\CurrentControlSet\Control`: {"PEFirmwareType": uint64(2)}}, want{protocol.Error, []string{"not published"}}},
		{"hygiene.secure-boot", nil, want{protocol.Error, []string{"value not read"}}},
		{"hygiene.office-macros", nil, want{protocol.NotApplicable, []string{"not installed"}}},
		{"hygiene.office-macros", with(office, reg{user + `word\security`: {"blockcontentexecutionfrominternet": uint64(1)}, user + `excel\security`: {"vbawarnings": uint64(1)}, user + `powerpoint\security`: {"blockcontentexecutionfrominternet": uint64(1)}}),
			want{protocol.Fail, []string{"1001/excel vbawarnings=1"}}},
		{"hygiene.office-macros", with(office, reg{user + `word\security`: {"blockcontentexecutionfrominternet": uint64(1)}, user + `excel\security`: {"blockcontentexecutionfrominternet": uint64(1)}, user + `powerpoint\security`: {"blockcontentexecutionfrominternet": uint64(1)}}),
			want{protocol.Pass, []string{"1 logged-on user(s) (Office 16.0)"}}},
		{"hygiene.office-macros", with(office, reg{`HKU\S-1-5-21-1-2-3-1001\Software`: {}}), want{protocol.Warn, []string{"not enforced by policy (1001/word"}}},
		{"hygiene.office-macros", office, want{protocol.Error, []string{"no user logged on"}}},
	}
	for _, tt := range tests {
		t.Run(tt.id+" "+strings.Join(tt.want.ev, ","), func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, run(hardening(tt.id), winHost(nil, tt.reg)))
		})
	}
}

// win10Base is the part of a Windows 10 22H2 registry the rule for absent
// values reads (witnesses and build), with none of the settings set:
// reconstructed from a default installation's keys as documented by
// Microsoft (Lsa LimitBlankPasswordUse=1, UAC's ConsentPromptBehaviorAdmin=5).
func win10Base() reg {
	return reg{
		keyCurrentVersion: {"CurrentBuild": "19045"},
		lsaKey:            {"LimitBlankPasswordUse": uint64(1)},
		`HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest`:                        {"Debuglevel": uint64(0)},
		`HKLM\SYSTEM\CurrentControlSet\Services\Dnscache\Parameters`:                             {},
		`HKLM\SOFTWARE\Microsoft\PowerShell\1\ShellIds`:                                          {},
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Explorer\AutoplayHandlers\EventHandlers`: {},
		systemPol: {"EnableLUA": uint64(1), "ConsentPromptBehaviorAdmin": uint64(5)},
		`HKLM\SYSTEM\CurrentControlSet\Services\WinHttpAutoProxySvc`: {"Start": uint64(3)},
	}
}

// merge is with at the value level: extra's values replace base's.
func merge(base, extra reg) reg {
	out := reg{}
	for k, v := range base {
		out[k] = maps.Clone(v)
	}
	for k, v := range extra {
		if out[k] == nil {
			out[k] = map[string]any{}
		}
		maps.Copy(out[k], v)
	}
	return out
}

// wineRegistry is what Wine 8.0 (Debian 12, a prefix made by
// tools/wine/setup.sh) has in the keys these checks read, captured with
// `wine reg query`: an Lsa key with only "Security Packages", EnableLUA=0
// alone in Policies\System, the version winecfg sets. The settings' other
// keys and every witness are absent.
func wineRegistry() reg {
	return reg{
		keyCurrentVersion:    {"CurrentBuild": "18362", "CurrentVersion": "10.0", "ProductName": "Microsoft Windows 10"},
		lsaKey:               {"Security Packages": "kerberos schannel"},
		lsaKey + `\Kerberos`: {}, lsaKey + `\MSV1_0`: {},
		`HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel`: {},
		systemPol: {"EnableLUA": uint64(0)},
		`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`:                     {"ProductType": "WinNT"},
		`HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`:                  {"Hostname": "vm"},
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Explorer\AutoplayHandlers`: {},
	}
}

// TestNoVerdictOnWineRegistry: on Wine's nearly empty registry no
// registry-read hardening check passes, warns or fails on an absent value
// (before the rule, llmnr, wpad, autorun, screen-lock, lsa-protection,
// lm-hash, ntlm-level, wdigest, powershell-logging, laps and secure-boot
// did). UAC reads a value Wine really holds (EnableLUA=0).
func TestNoVerdictOnWineRegistry(t *testing.T) {
	t.Parallel()
	cs := append(hardeningChecks(), lapsCheck{})
	for _, c := range cs {
		id := c.Meta().ID
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			h := winHost(nil, wineRegistry())
			r := run(c, h)
			if id == "hygiene.uac" {
				want{protocol.Fail, []string{"EnableLUA=0"}}.check(t, r)
				return
			}
			if r.Status != protocol.Error && r.Status != protocol.NotApplicable {
				t.Errorf("%s on Wine's registry: %s %q, want error or not applicable", id, r.Status, r.Evidence.EN)
			}
		})
	}
}

func TestHardeningPowerShell(t *testing.T) {
	t.Parallel()
	sec := fixture(t, "windows/win10-gpo/secedit-system-access.txt")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(sec), "\n") {
		lines = append(lines, `"`+strings.ReplaceAll(l, `"`, `\"`)+`"`)
	}
	secOut := env("[" + strings.Join(lines, ",") + "]")
	tests := []struct {
		id   string
		cmds map[string]checkstest.Cmd
		want want
	}{
		{"hygiene.password-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: secOut}}, want{protocol.Fail, []string{"minimum length 7, complexity 1"}}},
		{"hygiene.lockout-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: secOut}}, want{protocol.Fail, []string{"LockoutBadCount=0"}}},
		{"hygiene.password-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: env(`["MinimumPasswordLength = 14","PasswordComplexity = 1","ClearTextPassword = 0"]`)}}, want{protocol.Pass, nil}},
		{"hygiene.lockout-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: env(`["LockoutBadCount = 5","LockoutDuration = 15"]`)}}, want{protocol.Pass, []string{"after 5 failed"}}},
		{"hygiene.password-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: winps.Failure("secedit /export: exit code 1", "OperationStopped", 0, false)}}, want{protocol.Error, []string{"secedit"}}},
		{"hygiene.lockout-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: env(`[]`)}}, want{protocol.Error, []string{"empty [System Access]"}}},
		{"hygiene.password-policy", map[string]checkstest.Cmd{psKey(seceditScript): {Out: ""}}, want{protocol.Error, []string{"printed nothing"}}},
		{"hygiene.powershell-v2", map[string]checkstest.Cmd{psKey(psV2Script): {Out: env(`[{"Name":"MicrosoftWindowsPowerShellV2Root","State":"Enabled"},{"Name":"MicrosoftWindowsPowerShellV2","State":"Enabled"}]`)}}, want{protocol.Fail, []string{"installed"}}},
		{"hygiene.powershell-v2", map[string]checkstest.Cmd{psKey(psV2Script): {Out: env(`[{"Name":"MicrosoftWindowsPowerShellV2Root","State":"Disabled"}]`)}}, want{protocol.Pass, []string{"removed"}}},
		{"hygiene.powershell-v2", map[string]checkstest.Cmd{psKey(psV2Script): {Out: env(`[]`)}}, want{protocol.Pass, []string{"absent"}}},
		{"hygiene.powershell-v2", map[string]checkstest.Cmd{psKey(psV2Script): {Out: winps.Failure("Access denied", "PermissionDenied", 0, false)}}, want{protocol.Error, []string{"administrator rights needed"}}},
		{"hygiene.builtin-admin", map[string]checkstest.Cmd{psKey(builtinAdminScript): {Out: env(`{"SID":"S-1-5-21-1-2-3-500","Enabled":true}`)}}, want{protocol.Fail, []string{"is enabled"}}},
		{"hygiene.builtin-admin", map[string]checkstest.Cmd{psKey(builtinAdminScript): {Out: env(`{"SID":"S-1-5-21-1-2-3-500","Enabled":false}`)}}, want{protocol.Pass, nil}},
		{"hygiene.builtin-admin", map[string]checkstest.Cmd{psKey(builtinAdminScript): {Out: env(`[]`)}}, want{protocol.Error, []string{"RID 500"}}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, run(hardening(tt.id), winHost(tt.cmds, nil)))
		})
	}
}

func TestParseSystemAccess(t *testing.T) {
	t.Parallel()
	v, err := parseSystemAccess(strings.Split(fixture(t, "windows/win10-gpo/secedit-system-access.txt"), "\n"))
	if err != nil || v["MinimumPasswordLength"] != 7 || v["LockoutBadCount"] != 0 || v["MaximumPasswordAge"] != 42 {
		t.Fatalf("%v %v", v, err)
	}
	if _, ok := v["NewAdministratorName"]; ok {
		t.Error("string value parsed as a number")
	}
	if _, err := parseSystemAccess([]string{"MinimumPasswordLength = sept"}); err == nil {
		t.Error("non-number accepted")
	}
}

// FuzzParseSystemAccess: whatever secedit prints, parsing either fails or
// yields keys that appear, with their value, in the input.
func FuzzParseSystemAccess(f *testing.F) {
	f.Add("MinimumPasswordLength = 7\nLockoutBadCount = 0")
	f.Add(`NewGuestName = "Invité"`)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseSystemAccess(strings.Split(s, "\n"))
		if err != nil {
			return
		}
		for k := range v {
			if !strings.Contains(s, k) {
				t.Fatalf("key %q not in the input", k)
			}
		}
	})
}
