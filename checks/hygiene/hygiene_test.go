package hygiene

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/hygiene/guidance"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

const td = "../../testdata/hygiene/"

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(td + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func run(c checks.Check, h *checks.Host) protocol.Result {
	return checks.RunAll(context.Background(), h, []checks.Check{c}, checks.RunOptions{})[0]
}

// want is an expected status and fragments of the English evidence.
type want struct {
	status protocol.Status
	ev     []string
}

func (w want) check(t *testing.T, r protocol.Result) {
	t.Helper()
	if r.Status != w.status {
		t.Errorf("status %s, want %s: %s", r.Status, w.status, r.Evidence.EN)
	}
	for _, e := range w.ev {
		if !strings.Contains(r.Evidence.EN, e) {
			t.Errorf("evidence %q lacks %q", r.Evidence.EN, e)
		}
	}
	if r.Status != protocol.Error && r.Evidence.FR == "" {
		t.Error("no French evidence")
	}
}

// psKey is the fake-runner key of a script; env wraps what a script body
// prints (the fixtures) in the envelope winps adds around it.
func psKey(script string) string { return winps.Key(script) }

func env(items string) string { return winps.Envelope(items, true) }

func winHost(cmds map[string]checkstest.Cmd, reg map[string]map[string]any) *checks.Host {
	h := checkstest.Host()
	h.OS = "windows"
	h.Exec = &checkstest.Runner{Cmds: cmds}
	h.Registry = checkstest.Registry{Values: reg}
	return h
}

func TestGuidanceCoversChecks(t *testing.T) {
	t.Parallel()
	cat, err := guidance.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range Checks(SectorHospital) {
		m := c.Meta()
		ids = append(ids, m.ID)
		if m.Domain != protocol.DomainHygiene || m.Version < 1 {
			t.Errorf("%s: bad meta %+v", m.ID, m)
		}
	}
	slices.Sort(ids)
	if d := cmp.Diff(cat.IDs(), ids); d != "" {
		t.Errorf("guidance and checks differ (-guidance +checks):\n%s", d)
	}
}

// TestOSRestriction: Windows-only checks say so on Linux and vice versa,
// and shared IDs (hygiene.firewall) run on both.
func TestOSRestriction(t *testing.T) {
	t.Parallel()
	winOnly := []string{"hygiene.rdp", "hygiene.smb1", "hygiene.local-admins", "hygiene.guest-account", "hygiene.laps", "hygiene.eventlog-size",
		"hygiene.smb-signing", "hygiene.smb-guest", "hygiene.lsa-protection", "hygiene.wdigest", "hygiene.lm-hash", "hygiene.ntlm-level",
		"hygiene.llmnr", "hygiene.netbios", "hygiene.wpad", "hygiene.powershell-v2", "hygiene.powershell-logging", "hygiene.autorun",
		"hygiene.office-macros", "hygiene.uac", "hygiene.builtin-admin", "hygiene.screen-lock", "hygiene.secure-boot",
		"hygiene.password-policy", "hygiene.lockout-policy"}
	linuxOnly := []string{"hygiene.ssh", "hygiene.uid0", "hygiene.empty-passwords", "hygiene.sudo-nopasswd", "hygiene.logs-persistent"}
	for _, c := range Checks("") {
		m := c.Meta()
		switch {
		case slices.Contains(winOnly, m.ID):
			if d := cmp.Diff([]string{"windows"}, m.OS); d != "" {
				t.Errorf("%s OS: %s", m.ID, d)
			}
		case slices.Contains(linuxOnly, m.ID):
			if d := cmp.Diff([]string{"linux"}, m.OS); d != "" {
				t.Errorf("%s OS: %s", m.ID, d)
			}
		default:
			if len(m.OS) != 0 {
				t.Errorf("%s should run on every OS, has %v", m.ID, m.OS)
			}
		}
		// Whatever the OS, a check never panics or errors on an empty host.
		for _, os := range []string{"linux", "windows", "darwin"} {
			h := checkstest.Host()
			h.OS = os
			if r := run(c, h); r.Status == "" {
				t.Errorf("%s on %s: empty status", m.ID, os)
			}
		}
	}
}

func TestParseNft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		rules   int
		filters bool
	}{
		{"debian12/nft-input-drop.json", 4, true},
		{"debian12/nft-input-reject-rule.json", 2, true},
		{"debian12/nft-nat-only.json", 1, false},
		{"debian12/nft-empty.json", 0, false},
	}
	for _, tt := range tests {
		s, err := parseNftJSON([]byte(fixture(t, tt.file)))
		if err != nil || s.Rules != tt.rules || s.InputFilters != tt.filters {
			t.Errorf("%s: %+v %v; want %d rules, filters %v", tt.file, s, err, tt.rules, tt.filters)
		}
	}
	if _, err := parseNftJSON([]byte("table inet filter {")); err == nil {
		t.Error("text accepted as JSON")
	}
	s := parseIptablesSave([]byte(fixture(t, "rocky9/iptables-save.txt")))
	if !s.InputFilters || s.Rules != 3 {
		t.Errorf("iptables-save: %+v", s)
	}
}

func TestFirewall(t *testing.T) {
	t.Parallel()
	nft := func(f string) checkstest.Cmd { return checkstest.Cmd{Out: fixture(t, f)} }
	tests := []struct {
		name string
		os   string
		cmds map[string]checkstest.Cmd
		want want
	}{
		{"debian input drop", "linux", map[string]checkstest.Cmd{"nft -j list ruleset": nft("debian12/nft-input-drop.json")},
			want{protocol.Pass, []string{"nftables (inet filter input: policy drop)"}}},
		{"debian nat only", "linux", map[string]checkstest.Cmd{"nft -j list ruleset": nft("debian12/nft-nat-only.json"), "iptables-save": {Out: ""}},
			want{protocol.Warn, []string{"1 firewall rules (nftables, iptables), but none filters"}}},
		{"debian empty", "linux", map[string]checkstest.Cmd{"nft -j list ruleset": nft("debian12/nft-empty.json")},
			want{protocol.Fail, []string{"no active firewall"}}},
		{"nothing installed", "linux", nil, want{protocol.Fail, []string{"no active firewall: no rules (nft, iptables, ufw, firewalld absents)"}}},
		{"ufw active", "linux", map[string]checkstest.Cmd{"nft -j list ruleset": nft("debian12/nft-empty.json"), "ufw status": {Out: "Status: active\n\nTo Action From\n"}},
			want{protocol.Pass, []string{"ufw (active)"}}},
		{"rocky firewalld running, iptables legacy", "linux", map[string]checkstest.Cmd{
			"iptables-save": {Out: fixture(t, "rocky9/iptables-save.txt")}, "firewall-cmd --state": {Out: fixture(t, "rocky9/firewall-cmd-state.txt")}},
			want{protocol.Pass, []string{"iptables INPUT: drop/reject rule", "firewalld (running)"}}},
		{"not root", "linux", map[string]checkstest.Cmd{"nft -j list ruleset": {Code: 1}},
			want{protocol.Error, []string{"administrator rights"}}},
		{"windows 2022 all on", "windows", map[string]checkstest.Cmd{psKey(firewallProfilesScript): {Out: env(fixture(t, "windows/server2022/firewall.json"))}},
			want{protocol.Pass, []string{"Domain, Private, Public"}}},
		{"windows 2019 fr domain off", "windows", map[string]checkstest.Cmd{psKey(firewallProfilesScript): {Out: env(fixture(t, "windows/server2019-fr/firewall.json"))}},
			want{protocol.Fail, []string{"off for profile(s) Domain"}}},
		{"windows allow inbound", "windows", map[string]checkstest.Cmd{psKey(firewallProfilesScript): {Out: env(`{"Name":"Public","Enabled":1,"DefaultInboundAction":2}`)}},
			want{protocol.Warn, []string{"allows all inbound"}}},
		{"windows garbage", "windows", map[string]checkstest.Cmd{psKey(firewallProfilesScript): {Out: "Get-NetFirewallProfile : Accès refusé"}},
			want{protocol.Error, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.OS = tt.os
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			tt.want.check(t, run(firewallCheck{}, h))
		})
	}
}

func TestSSH(t *testing.T) {
	t.Parallel()
	deb := checkstest.DirFS(td + "debian12")
	bad := checkstest.DirFS(td + "debian12/host-bad")
	tests := []struct {
		name string
		fs   fsys
		cmds map[string]checkstest.Cmd
		want want
		fact string
	}{
		{"debian default via sshd -T", nil, map[string]checkstest.Cmd{"sshd -T": {Out: fixture(t, "debian12/sshd-T-default.txt")}},
			want{protocol.Warn, []string{"password login allowed", "permitrootlogin without-password", "(sshd -T)"}}, "without-password"},
		{"rocky root login yes", nil, map[string]checkstest.Cmd{"sshd -T": {Out: fixture(t, "rocky9/sshd-T-excerpt.txt")}},
			want{protocol.Fail, []string{"root login with a password allowed"}}, "yes"},
		{"keys only", nil, map[string]checkstest.Cmd{"sshd -T": {Out: "permitrootlogin no\npasswordauthentication no\npermitemptypasswords no\n"}},
			want{protocol.Pass, []string{"permitrootlogin no, passwordauthentication no"}}, "no"},
		{"sshd -T fails (no /run/sshd): config file with defaults", deb, map[string]checkstest.Cmd{"sshd -T": {Code: 255}},
			want{protocol.Warn, []string{"permitrootlogin prohibit-password, passwordauthentication yes", "(etc/ssh/sshd_config)"}}, "prohibit-password"},
		{"config file says root yes", bad, map[string]checkstest.Cmd{"sshd -T": {Code: 255}},
			want{protocol.Fail, []string{"root login"}}, "yes"},
		{"no ssh server", nil, nil, want{protocol.NotApplicable, []string{"no SSH server"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			if tt.fs != nil {
				h.FS = tt.fs
			}
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			r := run(sshCheck{}, h)
			tt.want.check(t, r)
			if tt.fact != "" && r.Facts["permitrootlogin"] != tt.fact {
				t.Errorf("fact permitrootlogin = %v, want %s", r.Facts["permitrootlogin"], tt.fact)
			}
		})
	}
}

func TestSSHConfigInclude(t *testing.T) {
	t.Parallel()
	fs := fstest.MapFS{
		"etc/ssh/sshd_config":                 {Data: []byte("Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nMatch User backup\n  PasswordAuthentication yes\n")},
		"etc/ssh/sshd_config.d/10-vigie.conf": {Data: []byte("PasswordAuthentication no\nPermitRootLogin=no\n")},
	}
	s, err := parseSshdConfig(fs)
	if err != nil {
		t.Fatal(err)
	}
	if s.PermitRootLogin != "no" || s.PasswordAuthentication != "no" {
		t.Errorf("first value must win, includes first: %+v", s)
	}
}

func TestExposedPorts(t *testing.T) {
	t.Parallel()
	ls := []checks.Listener{
		{Proto: "tcp", Address: "127.0.0.1", Port: 23},
		{Proto: "tcp6", Address: "::1", Port: 3389},
		{Proto: "tcp", Address: "0.0.0.0", Port: 22, Process: "sshd"},
		{Proto: "tcp", Address: "0.0.0.0", Port: 445, Process: "smbd"},
		{Proto: "tcp6", Address: "::", Port: 445, Process: "smbd"},
		{Proto: "udp", Address: "0.0.0.0", Port: 161, Process: "snmpd"},
		{Proto: "tcp", Address: "192.168.10.5", Port: 104, Process: "storescp"},
		{Proto: "tcp", Address: "0.0.0.0", Port: 502, Process: "modbusd"},
	}
	tests := []struct {
		sector string
		ls     []checks.Listener
		want   want
	}{
		{SectorCommune, ls, want{protocol.Warn, []string{"SMB (445/tcp) on 0.0.0.0, ::, smbd", "SNMP (161/udp)", "DICOM (104/tcp) on 192.168.10.5", "Modbus (502/tcp)"}}},
		// the sector's own protocols are left to hygiene.sector-ports
		{SectorHospital, ls, want{protocol.Warn, []string{"SMB (445/tcp)", "Modbus (502/tcp)"}}},
		{SectorPort, ls, want{protocol.Warn, []string{"SMB (445/tcp)", "DICOM (104/tcp)"}}},
		{"", ls[:3], want{protocol.Pass, []string{"no risky port", "3 listening ports examined"}}},
		{SectorOther, []checks.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 23, Process: "inetd"}}, want{protocol.Fail, []string{"Telnet (23/tcp) on 0.0.0.0, inetd: clear-text passwords"}}},
	}
	for _, tt := range tests {
		t.Run(tt.sector, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.Facts = checkstest.Facts{Listen: tt.ls}
			r := run(portsCheck{sector: tt.sector}, h)
			tt.want.check(t, r)
			if tt.sector == SectorHospital && strings.Contains(r.Evidence.EN, "DICOM") || tt.sector == SectorPort && strings.Contains(r.Evidence.EN, "Modbus") {
				t.Errorf("sector protocol reported twice: %s", r.Evidence.EN)
			}
			if strings.Contains(r.Evidence.EN, "(23/tcp) on 127") || strings.Contains(r.Evidence.EN, "3389") {
				t.Errorf("loopback listener reported: %s", r.Evidence.EN)
			}
		})
	}
}

// TestSectorPorts: profiles 9 and 10 of the calibration: Modbus in a port,
// DICOM in a hospital, reachable from the network, are critical failures.
func TestSectorPorts(t *testing.T) {
	t.Parallel()
	ls := []checks.Listener{
		{Proto: "tcp", Address: "0.0.0.0", Port: 502, Process: "modbusd"},
		{Proto: "tcp", Address: "127.0.0.1", Port: 104, Process: "storescp"},
		{Proto: "tcp", Address: "0.0.0.0", Port: 445, Process: "smbd"},
	}
	tests := []struct {
		sector string
		ls     []checks.Listener
		want   want
	}{
		{SectorPort, ls, want{protocol.Fail, []string{"Modbus (502/tcp) on 0.0.0.0"}}},
		{SectorHospital, ls, want{protocol.Pass, []string{"DICOM 104/tcp", "3 listening ports examined"}}},
		{SectorHospital, append(ls, checks.Listener{Proto: "tcp6", Address: "::", Port: 11112}), want{protocol.Fail, []string{"DICOM (11112/tcp) on ::"}}},
		{SectorCommune, ls, want{protocol.NotApplicable, []string{"no sensitive protocol"}}},
	}
	for _, tt := range tests {
		h := checkstest.Host()
		h.Facts = checkstest.Facts{Listen: tt.ls}
		r := run(sectorPortsCheck{sector: tt.sector}, h)
		tt.want.check(t, r)
	}
	if m := (sectorPortsCheck{}).Meta(); m.Severity != protocol.Critical {
		t.Errorf("severity %s, want critical", m.Severity)
	}
	h := checkstest.Host()
	h.Facts = checkstest.Facts{Err: errors.New("permission denied")}
	if r := run(sectorPortsCheck{sector: SectorPort}, h); r.Status != protocol.Error {
		t.Errorf("unreadable listeners: %s, want error", r.Status)
	}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	bad := checkstest.DirFS(td + "debian12/host-bad")
	good := checkstest.DirFS(td + "debian12/host-good")
	tests := []struct {
		name string
		c    checks.Check
		fs   fsys
		want want
	}{
		{"uid0 bad", uid0Check{}, bad, want{protocol.Fail, []string{"1 UID 0 account(s) besides root (etc/passwd, line(s) 4)"}}},
		{"uid0 good", uid0Check{}, good, want{protocol.Pass, []string{"only root has UID 0 (5 accounts)"}}},
		{"empty bad", emptyPasswordsCheck{}, bad, want{protocol.Fail, []string{"1 account(s) without a password (etc/shadow, line(s) 4)"}}},
		{"empty good", emptyPasswordsCheck{}, good, want{protocol.Pass, []string{"no account without a password"}}},
		{"empty unreadable", emptyPasswordsCheck{}, denyFS{}, want{protocol.NotApplicable, []string{"without root"}}},
		{"sudo bad", sudoCheck{}, bad, want{protocol.Warn, []string{"2 rule(s)", "etc/sudoers.d/90-cloud-init-users:4 (user)", "etc/sudoers.d/prestataire:1 (%prestataire)"}}},
		{"sudo good", sudoCheck{}, good, want{protocol.Pass, []string{"no \"NOPASSWD: ALL\" rule (2 sudoers file(s))"}}},
		{"no sudo", sudoCheck{}, fstest.MapFS{}, want{protocol.NotApplicable, []string{"sudo is not configured"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.FS = tt.fs
			r := run(tt.c, h)
			tt.want.check(t, r)
			if strings.Contains(r.Evidence.EN, "toor") || strings.Contains(r.Evidence.EN, "agent") {
				t.Errorf("evidence names an account: %s", r.Evidence.EN)
			}
		})
	}
	if got := parseSudoers("x", []byte("Defaults !authenticate\n")); len(got) != 1 {
		t.Errorf("Defaults !authenticate not found: %v", got)
	}
}

func TestDiskEncryption(t *testing.T) {
	t.Parallel()
	lsblk := "lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT"
	ps := psKey(bitlockerScript)
	tests := []struct {
		name string
		os   string
		cmds map[string]checkstest.Cmd
		want want
	}{
		{"debian luks root", "linux", map[string]checkstest.Cmd{lsblk: {Out: fixture(t, "debian12/lsblk-luks.json")}}, want{protocol.Pass, []string{"LUKS-encrypted (nvme0n1p3)"}}},
		{"luks data only", "linux", map[string]checkstest.Cmd{lsblk: {Out: fixture(t, "debian12/lsblk-luks-data-only.json")}}, want{protocol.Warn, []string{"but the system (/) is not encrypted (sda1)"}}},
		{"vm plain", "linux", map[string]checkstest.Cmd{lsblk: {Out: fixture(t, "debian12/lsblk-vm.json")}}, want{protocol.Warn, []string{"no encrypted disk (LUKS); system on vda"}}},
		{"windows 2022 system on, data off", "windows", map[string]checkstest.Cmd{ps: {Out: env(fixture(t, "windows/server2022/bitlocker.json"))}}, want{protocol.Warn, []string{"system C: encrypted, but not the data volumes D:"}}},
		{"windows 2019 fr system off", "windows", map[string]checkstest.Cmd{ps: {Out: env(fixture(t, "windows/server2019-fr/bitlocker.json"))}}, want{protocol.Fail, []string{"system volume C:"}}},
		{"windows server without the feature", "windows", map[string]checkstest.Cmd{ps: {Code: 1, Out: winps.FailureOf(winps.Error{Message: "Le terme « Get-BitLockerVolume » n'est pas reconnu", Category: "ObjectNotFound", Type: commandNotFound, Admin: true})}},
			want{protocol.Warn, []string{"BitLocker is not installed"}}},
		{"windows empty output (Wine)", "windows", map[string]checkstest.Cmd{ps: {Out: ""}}, want{protocol.Error, []string{"printed nothing"}}},
		{"windows zero volumes", "windows", map[string]checkstest.Cmd{ps: {Out: env("[]")}}, want{protocol.Error, []string{"empty list of BitLocker volumes"}}},
		{"windows not elevated", "windows", map[string]checkstest.Cmd{ps: {Code: 1, Out: winps.Failure("Accès refusé", "PermissionDenied", -2147024891, false)}},
			want{protocol.Error, []string{"administrator rights needed"}}},
		{"windows exit code without output", "windows", map[string]checkstest.Cmd{ps: {Code: 1}}, want{protocol.Error, []string{"exit status 1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.OS = tt.os
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			tt.want.check(t, run(encryptionCheck{}, h))
		})
	}
}

func TestTimeSync(t *testing.T) {
	t.Parallel()
	procs := func(names ...string) checkstest.Facts {
		var ps []checks.Process
		for i, n := range names {
			ps = append(ps, checks.Process{PID: int32(i + 1), Name: n})
		}
		return checkstest.Facts{Procs: ps}
	}
	tests := []struct {
		name  string
		cmds  map[string]checkstest.Cmd
		facts checkstest.Facts
		want  want
	}{
		{"rocky synced", map[string]checkstest.Cmd{"timedatectl show": {Out: fixture(t, "rocky9/timedatectl-show.txt")}}, procs("chronyd"), want{protocol.Pass, []string{"NTPSynchronized=yes; chronyd"}}},
		{"daemon but unsynced", map[string]checkstest.Cmd{"timedatectl show": {Out: fixture(t, "rocky9/timedatectl-unsynced.txt")}}, procs("chronyd"), want{protocol.Warn, []string{"not synchronised"}}},
		{"container without systemd, ntpd runs", map[string]checkstest.Cmd{"timedatectl show": {Out: fixture(t, "debian12/timedatectl-nosystemd.txt"), Code: 1}}, procs("ntpd"), want{protocol.Pass, []string{"time service running: ntpd"}}},
		{"nothing", map[string]checkstest.Cmd{"timedatectl show": {Out: fixture(t, "rocky9/timedatectl-unsynced.txt")}}, procs("bash"), want{protocol.Fail, []string{"no time synchronisation"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			h.Facts = tt.facts
			tt.want.check(t, run(timeCheck{}, h))
		})
	}
	params := w32timeKey + `\Parameters`
	for name, tt := range map[string]struct {
		reg  map[string]map[string]any
		want want
	}{
		"domain":   {map[string]map[string]any{w32timeKey: {"Start": 3}, params: {"Type": "NT5DS"}}, want{protocol.Pass, []string{"NT5DS"}}},
		"ntp":      {map[string]map[string]any{w32timeKey: {"Start": 2}, params: {"Type": "NTP", "NtpServer": "time.windows.com,0x9"}}, want{protocol.Pass, []string{"server time.windows.com,0x9"}}},
		"disabled": {map[string]map[string]any{w32timeKey: {"Start": 4}, params: {"Type": "NTP"}}, want{protocol.Fail, []string{"disabled"}}},
		"nosync":   {map[string]map[string]any{w32timeKey: {"Start": 2}, params: {"Type": "NoSync"}}, want{protocol.Fail, []string{"NoSync"}}},
	} {
		t.Run("windows "+name, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, run(timeCheck{}, winHost(nil, tt.reg)))
		})
	}
}

func TestAntivirus(t *testing.T) {
	t.Parallel()
	def, wsc := psKey(defenderScript), psKey(securityCenterScript)
	workstation := map[string]map[string]any{`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`: {"ProductType": "WinNT"}}
	server := map[string]map[string]any{`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`: {"ProductType": "ServerNT"}}
	notFound := winps.FailureOf(winps.Error{Message: "Le terme « Get-MpComputerStatus » n'est pas reconnu", Category: "ObjectNotFound", Type: commandNotFound, Admin: true})
	tests := []struct {
		name  string
		os    string
		reg   map[string]map[string]any
		cmds  map[string]checkstest.Cmd
		procs []string
		want  want
	}{
		{"linux clamav", "linux", nil, nil, []string{"systemd", "clamd", "freshclam"}, want{protocol.Pass, []string{"ClamAV"}}},
		{"linux nothing", "linux", nil, nil, []string{"systemd", "sshd"}, want{protocol.Warn, []string{"2 processes examined"}}},
		{"server 2022 defender fresh", "windows", server, map[string]checkstest.Cmd{def: {Out: env(fixture(t, "windows/server2022/defender.json"))}}, []string{"MsMpEng.exe"},
			want{protocol.Pass, []string{"signatures 1 day(s) old", "tamper protection on", "1 exclusion(s), none broad"}}},
		{"server 2019 fr old signatures", "windows", server, map[string]checkstest.Cmd{def: {Out: env(fixture(t, "windows/server2019-fr/defender.json"))}}, nil,
			want{protocol.Fail, []string{"signatures 12 days old"}}},
		{"server defender off but ESET running", "windows", server, map[string]checkstest.Cmd{def: {Out: env(`{"AntivirusEnabled":false,"RealTimeProtectionEnabled":false,"AntivirusSignatureAge":65535}`)}}, []string{"ekrn.exe"},
			want{protocol.Pass, []string{"ESET"}}},
		{"server defender real time off", "windows", server, map[string]checkstest.Cmd{def: {Out: env(`{"AMServiceEnabled":true,"AntivirusEnabled":true,"RealTimeProtectionEnabled":false,"AntivirusSignatureAge":0,"AMRunningMode":"Normal"}`)}}, nil,
			want{protocol.Fail, []string{"real-time protection off"}}},
		{"server 2016 without Defender and nothing running", "windows", server, map[string]checkstest.Cmd{def: {Out: notFound, Code: 1}}, []string{"explorer.exe"},
			want{protocol.Fail, []string{"Microsoft Defender (not installed)"}}},
		{"workstation: Security Center lists ESET on, Defender passive", "windows", workstation, map[string]checkstest.Cmd{
			wsc: {Out: env(fixture(t, "windows/win11-fr/securitycenter.json"))}, def: {Out: env(fixture(t, "windows/win11-fr/defender-passive.json"))}}, nil,
			want{protocol.Pass, []string{"ESET Security (Security Center)"}}},
		{"workstation: Defender with broad exclusions", "windows", workstation, map[string]checkstest.Cmd{
			wsc: {Out: env(fixture(t, "windows/win10-pro/securitycenter.json"))}, def: {Out: env(fixture(t, "windows/win10-pro/defender-broad.json"))}}, nil,
			want{protocol.Fail, []string{`broad exclusions (C:\, *.exe)`}}},
		{"workstation: Security Center empty, nothing runs", "windows", workstation, map[string]checkstest.Cmd{
			wsc: {Out: env(`[]`)}, def: {Out: notFound}}, []string{"explorer.exe"},
			want{protocol.Fail, []string{"Security Center knows no antivirus"}}},
		{"exclusions hidden from a non-administrator", "windows", server, map[string]checkstest.Cmd{def: {Out: env(fixture(t, "windows/win11-fr/defender-passive.json"))}}, nil,
			want{protocol.Fail, []string{"real-time protection off", "Passive Mode"}}},
		// No data: never "no antivirus".
		{"no PowerShell at all", "windows", server, nil, []string{"explorer.exe"}, want{protocol.Error, []string{"antivirus state unreadable"}}},
		{"PowerShell prints nothing (Wine)", "windows", workstation, map[string]checkstest.Cmd{def: {Out: ""}, wsc: {Out: ""}}, []string{"explorer.exe"},
			want{protocol.Error, []string{"printed nothing"}}},
		{"PowerShell error", "windows", server, map[string]checkstest.Cmd{def: {Out: winps.Failure("Échec de l'opération 0x800106ba", "NotSpecified", -2147416390, true), Code: 1}}, nil,
			want{protocol.Error, []string{"0x800106BA"}}},
		{"constrained language", "windows", server, map[string]checkstest.Cmd{def: {Out: winps.Constrained()}}, nil,
			want{protocol.Error, []string{"ConstrainedLanguage"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.OS = tt.os
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			h.Registry = checkstest.Registry{Values: tt.reg}
			var procs []checks.Process
			for i, p := range tt.procs {
				procs = append(procs, checks.Process{PID: int32(i + 1), Name: p})
			}
			h.Facts = checkstest.Facts{Procs: procs}
			tt.want.check(t, run(antivirusCheck{}, h))
		})
	}
}

func TestLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fs    fsys
		procs []checks.Process
		want  want
	}{
		{"persistent journal", checkstest.DirFS(td + "debian12/host-good"), nil, want{protocol.Pass, []string{"journald persistent (Storage=auto, var/log/journal)"}}},
		{"volatile configured", fstest.MapFS{"var/log/journal/x": {}, "etc/systemd/journald.conf.d/50-volatile.conf": {Data: []byte("[Journal]\nStorage=volatile\n")}}, []checks.Process{{Name: "bash"}},
			want{protocol.Fail, []string{"Storage=volatile"}}},
		{"rsyslog", fstest.MapFS{}, []checks.Process{{Name: "rsyslogd"}}, want{protocol.Pass, []string{"syslog: rsyslogd"}}},
		{"nothing", fstest.MapFS{}, []checks.Process{{Name: "bash"}}, want{protocol.Fail, []string{"logs in memory only"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.FS = tt.fs
			h.Facts = checkstest.Facts{Procs: tt.procs}
			tt.want.check(t, run(logsCheck{}, h))
		})
	}
}

func TestWindowsChecks(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		c    checks.Check
		cmds map[string]checkstest.Cmd
		reg  map[string]map[string]any
		want want
	}
	f := func(s string) checkstest.Cmd { return checkstest.Cmd{Out: env(fixture(t, s))} }
	tests := []tc{
		{"eventlog 2022 small", eventLogCheck{}, map[string]checkstest.Cmd{psKey(eventLogScript): f("windows/server2022/eventlog.json")}, nil,
			want{protocol.Warn, []string{"Application 20 MiB (min. 32)", "System 20 MiB"}}},
		{"eventlog 2019 fr ok", eventLogCheck{}, map[string]checkstest.Cmd{psKey(eventLogScript): f("windows/server2019-fr/eventlog.json")}, nil,
			want{protocol.Pass, []string{"Security 1024 MiB"}}},
		{"smb 2022 off", smb1Check{}, map[string]checkstest.Cmd{psKey(smbScript): f("windows/server2022/smb.json")}, nil, want{protocol.Pass, []string{"SMBv1 server disabled (EnableSMB1Protocol=false)", "feature SMB1Protocol DisabledWithPayloadRemoved"}}},
		{"smb 2019 fr on", smb1Check{}, map[string]checkstest.Cmd{psKey(smbScript): f("windows/server2019-fr/smb.json")}, nil, want{protocol.Fail, []string{"EnableSMB1Protocol=true", "feature SMB1Protocol Enabled"}}},
		{"smb old system registry", smb1Check{}, nil, map[string]map[string]any{lanmanKey: {"SMB1": 0}, `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip`: {}}, want{protocol.Pass, []string{`SMBv1 server disabled (LanmanServer\Parameters\SMB1=0), client driver mrxsmb10 absent`}}},
		{"admins 2022", adminsCheck{}, map[string]checkstest.Cmd{psKey(adminsScript): f("windows/server2022/admins.json")}, nil, want{protocol.Pass, []string{"3 member(s)"}}},
		{"admins 2019 fr domain users", adminsCheck{}, map[string]checkstest.Cmd{psKey(adminsScript): f("windows/server2019-fr/admins.json")}, nil, want{protocol.Fail, []string{"everybody is an administrator", "Domain Users"}}},
		{"admins many", adminsCheck{}, map[string]checkstest.Cmd{psKey(adminsScript): {Out: env(`[{"SID":"S-1-5-21-1-2-3-500","PrincipalSource":1},{"SID":"S-1-5-21-1-2-3-1001","PrincipalSource":1},{"SID":"S-1-5-21-1-2-3-1002","PrincipalSource":1}]`)}}, nil, want{protocol.Warn, []string{"2 besides"}}},
		{"guest 2022 off", guestCheck{}, map[string]checkstest.Cmd{psKey(guestScript): f("windows/server2022/guest.json")}, nil, want{protocol.Pass, []string{"disabled"}}},
		{"guest 2019 fr on", guestCheck{}, map[string]checkstest.Cmd{psKey(guestScript): f("windows/server2019-fr/guest.json")}, nil, want{protocol.Fail, []string{"is enabled"}}},
		{"rdp off", rdpCheck{}, nil, map[string]map[string]any{tsKey: {"fDenyTSConnections": 1}}, want{protocol.Pass, []string{"disabled"}}},
		{"rdp on with nla", rdpCheck{}, nil, map[string]map[string]any{tsKey: {"fDenyTSConnections": 0}, rdpKey: {"UserAuthentication": 1, "PortNumber": 3389}}, want{protocol.Pass, []string{"with Network Level Authentication"}}},
		{"rdp on without nla", rdpCheck{}, nil, map[string]map[string]any{tsKey: {"fDenyTSConnections": 0}, rdpKey: {"UserAuthentication": 0, "PortNumber": 13389}}, want{protocol.Fail, []string{"port 13389", "WITHOUT"}}},
		{"laps windows gpo", lapsCheck{}, nil, map[string]map[string]any{`HKLM\SOFTWARE\Microsoft\Policies\LAPS`: {"BackupDirectory": 2}}, want{protocol.Pass, []string{"Windows LAPS (GPO)"}}},
		{"laps legacy disabled", lapsCheck{}, nil, map[string]map[string]any{`HKLM\SOFTWARE\Policies\Microsoft Services\AdmPwd`: {"AdmPwdEnabled": 0}}, want{protocol.Warn, []string{"present but disabled"}}},
		{"laps none", lapsCheck{}, nil, win10Base(), want{protocol.Warn, []string{"LAPS not configured"}}},
		{"laps dc", lapsCheck{}, nil, map[string]map[string]any{`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`: {"ProductType": "LanmanNT"}}, want{protocol.NotApplicable, []string{"domain controller"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, run(tt.c, winHost(tt.cmds, tt.reg)))
		})
	}
}
