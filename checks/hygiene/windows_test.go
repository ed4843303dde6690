package hygiene

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// loadRegistry reads a registry fixture: {"HKLM\\key": {"value": 1 or "s"}}.
func loadRegistry(t *testing.T, rel string) map[string]map[string]any {
	t.Helper()
	var raw map[string]map[string]any
	if err := json.Unmarshal([]byte(fixture(t, rel)), &raw); err != nil {
		t.Fatal(err)
	}
	for _, vals := range raw {
		for n, v := range vals {
			if f, ok := v.(float64); ok {
				vals[n] = uint64(f)
			}
		}
	}
	return raw
}

// with returns a copy of base with the keys of extra replaced.
func with(base map[string]map[string]any, extra map[string]map[string]any) map[string]map[string]any {
	out := maps.Clone(base)
	maps.Copy(out, extra)
	return out
}

func without(base map[string]map[string]any, keys ...string) map[string]map[string]any {
	out := maps.Clone(base)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// TestGroupPolicyWins: on a workstation whose GPO overrides the local
// settings, every check reads the policy first and says so. Before, RDP
// opened by GPO was reported "disabled" from the local switch.
func TestGroupPolicyWins(t *testing.T) {
	t.Parallel()
	gpo := loadRegistry(t, "windows/win10-gpo/registry.json")
	tests := []struct {
		name string
		c    checks.Check
		reg  map[string]map[string]any
		want want
	}{
		{"rdp enabled by GPO, NLA off by GPO", rdpCheck{}, gpo,
			want{protocol.Fail, []string{"remote desktop on (fDenyTSConnections=0, group policy; port 3389)", "WITHOUT Network Level Authentication (UserAuthentication=0, group policy)"}}},
		{"rdp local only", rdpCheck{}, without(gpo, tsPolicyKey),
			want{protocol.Pass, []string{"remote desktop disabled (fDenyTSConnections=1, local setting)"}}},
		{"rdp on locally, NLA by local setting", rdpCheck{}, with(without(gpo, tsPolicyKey), map[string]map[string]any{tsKey: {"fDenyTSConnections": uint64(0)}}),
			want{protocol.Pass, []string{"with Network Level Authentication (UserAuthentication=1, local setting)"}}},
		{"time NT5DS by GPO over local NTP", timeCheck{}, gpo, want{protocol.Pass, []string{"Type=NT5DS, group policy"}}},
		{"time local NTP", timeCheck{}, without(gpo, w32timePolicyKey+`\Parameters`), want{protocol.Pass, []string{"Type=NTP, local setting; server time.windows.com,0x9"}}},
		{"time NTP client disabled by GPO", timeCheck{}, with(without(gpo, w32timePolicyKey+`\Parameters`), map[string]map[string]any{w32timePolicyKey + `\TimeProviders\NtpClient`: {"Enabled": uint64(0)}}),
			want{protocol.Fail, []string{"NTP client disabled"}}},
		{"firewall from the registry: domain profile off by GPO", firewallCheck{}, gpo,
			want{protocol.Fail, []string{"off for profile(s) Domain", "read with registre / registry; set by group policy: Domain"}}},
		{"smb guest allowed by GPO over a local refusal", smbGuestCheck{}, gpo, want{protocol.Fail, []string{"AllowInsecureGuestAuth=1 (group policy)"}}},
		{"smb guest local refusal", smbGuestCheck{}, without(gpo, `HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation`), want{protocol.Pass, []string{"AllowInsecureGuestAuth=0 (local setting)"}}},
		{"smb guest default on Windows 10 Pro", smbGuestCheck{}, with(without(gpo, `HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation`), map[string]map[string]any{workstationKey: {"RequireSecuritySignature": uint64(0)}}),
			want{protocol.Fail, []string{"accepted by default on Professional build 19045"}}},
		{"smb guest default on Windows 11 24H2", smbGuestCheck{}, with(without(gpo, `HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation`), map[string]map[string]any{
			workstationKey: {}, keyCurrentVersion: {"CurrentBuild": "26100", "EditionID": "Professional"}}),
			want{protocol.Pass, []string{"refused by default on Professional build 26100"}}},
		{"smb signing not required", smbSigningCheck{}, gpo, want{protocol.Fail, []string{"server RequireSecuritySignature=0, client RequireSecuritySignature=0"}}},
		{"smb signing server only", smbSigningCheck{}, with(gpo, map[string]map[string]any{lanmanKey: {"RequireSecuritySignature": uint64(1)}}), want{protocol.Warn, []string{"server RequireSecuritySignature=1"}}},
		{"smb signing both", smbSigningCheck{}, with(gpo, map[string]map[string]any{lanmanKey: {"RequireSecuritySignature": uint64(1)}, workstationKey: {"RequireSecuritySignature": uint64(1)}}), want{protocol.Pass, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, run(tt.c, winHost(nil, tt.reg)))
		})
	}
}

// TestFirewallPolicyAnnotation: profiles read with PowerShell (ActiveStore)
// are annotated with the ones Group Policy sets.
func TestFirewallPolicyAnnotation(t *testing.T) {
	t.Parallel()
	gpo := loadRegistry(t, "windows/win10-gpo/registry.json")
	h := winHost(map[string]checkstest.Cmd{psKey(firewallProfilesScript): {Out: env(fixture(t, "windows/server2022/firewall.json"))}}, gpo)
	want{protocol.Pass, []string{"Domain, Private, Public", "read with Get-NetFirewallProfile ActiveStore; set by group policy: Domain"}}.check(t, run(firewallCheck{}, h))
}

// TestNoVerdictWithoutData: every Windows collector, given no output, an
// empty list where Windows always has something, a PowerShell error, a
// Constrained Language Mode or a missing registry value, returns an error
// that says what it could not read — never pass, warn or fail.
func TestNoVerdictWithoutData(t *testing.T) {
	t.Parallel()
	outputs := map[string]checkstest.Cmd{
		"no output (Wine)":     {Out: ""},
		"exit 1, nothing":      {Code: 1},
		"PowerShell error":     {Out: winps.Failure("Accès refusé", "PermissionDenied", -2147024891, false), Code: 1},
		"constrained language": {Out: winps.Constrained()},
		"raw text":             {Out: "Get-LocalGroupMember : Impossible de trouver le groupe"},
	}
	collectors := []struct {
		c      checks.Check
		script string
		empty  bool // an empty list is no data for this collector
		what   string
	}{
		{adminsCheck{}, adminsScript, true, "Administrators group"},
		{guestCheck{}, guestScript, true, "Guest account"},
		{encryptionCheck{}, bitlockerScript, true, "BitLocker"},
		{eventLogCheck{}, eventLogScript, true, "event logs"},
		{firewallCheck{}, firewallProfilesScript, true, "Windows firewall"},
		{smb1Check{}, smbScript, true, "SMB server configuration"},
	}
	for _, col := range collectors {
		cases := maps.Clone(outputs)
		if col.empty {
			cases["empty list"] = checkstest.Cmd{Out: env("[]")}
		}
		for name, out := range cases {
			t.Run(col.c.Meta().ID+" "+name, func(t *testing.T) {
				t.Parallel()
				r := run(col.c, winHost(map[string]checkstest.Cmd{psKey(col.script): out}, nil))
				if r.Status != protocol.Error {
					t.Fatalf("status %s on no data: %s", r.Status, r.Evidence.EN)
				}
				if !strings.Contains(r.Evidence.EN, col.what) || r.Evidence.FR == "" {
					t.Errorf("evidence does not say what could not be read (%q): %s", col.what, r.Evidence.EN)
				}
				if name == "PowerShell error" && !strings.Contains(r.Evidence.FR, "droits administrateur nécessaires") {
					t.Errorf("access denied without elevation not reported as such: %s", r.Evidence.FR)
				}
			})
		}
	}
	// Registry-based checks: a missing value is no data.
	for _, c := range []checks.Check{rdpCheck{}, timeCheck{}, smbSigningCheck{}, smbGuestCheck{}} {
		t.Run(c.Meta().ID+" empty registry", func(t *testing.T) {
			t.Parallel()
			r := run(c, winHost(nil, nil))
			if r.Status != protocol.Error {
				t.Fatalf("status %s on an empty registry: %s", r.Status, r.Evidence.EN)
			}
		})
	}
	// RDP on, NLA value unreadable: error, and the evidence names only what was read.
	r := run(rdpCheck{}, winHost(nil, map[string]map[string]any{tsKey: {"fDenyTSConnections": uint64(0)}}))
	if r.Status != protocol.Error || !strings.Contains(r.Evidence.EN, "port not read") || !strings.Contains(r.Evidence.EN, "UserAuthentication) could not be read") {
		t.Errorf("rdp without NLA value: %s %s", r.Status, r.Evidence.EN)
	}
	if strings.Contains(r.Evidence.EN, "3389") {
		t.Errorf("evidence names a port that was never read: %s", r.Evidence.EN)
	}
}
