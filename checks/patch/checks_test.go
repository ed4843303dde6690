package patch

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

const aptSim = "apt-get -s -o Debug::NoLocking=1 dist-upgrade"

var (
	psWUA    = winps.Key(wuaScript)
	psHotFix = winps.Key(hotfixScript)
)

// runAll runs the family through the real runner and returns results by ID.
func runAll(t *testing.T, h *checks.Host) map[string]protocol.Result {
	t.Helper()
	res := checks.RunAll(context.Background(), h, Checks(), checks.RunOptions{Timeout: 5 * time.Second})
	out := map[string]protocol.Result{}
	for _, r := range res {
		if r.Evidence.FR == "" || r.Evidence.EN == "" {
			t.Errorf("%s: evidence missing in a language: %+v", r.ID, r.Evidence)
		}
		out[r.ID] = r
	}
	return out
}

// statuses leaves out patch.office-support: the OS fixtures hold no
// Office, and office_test.go judges it on its own fixtures.
func statuses(res map[string]protocol.Result) map[string]protocol.Status {
	out := map[string]protocol.Status{}
	for id, r := range res {
		if id == IDOfficeSupport {
			continue
		}
		out[id] = r.Status
	}
	return out
}

func file(t *testing.T, rel string) *fstest.MapFile {
	return &fstest.MapFile{Data: fixture(t, rel), ModTime: checkstest.Clock}
}

func fresh() *fstest.MapFile {
	return &fstest.MapFile{ModTime: checkstest.Clock.Add(-6 * time.Hour)}
}

// loadRegistry reads a registry fixture (JSON numbers become integers).
func loadRegistry(t *testing.T, rel string) checkstest.Registry {
	t.Helper()
	var raw map[string]map[string]any
	if err := json.Unmarshal(fixture(t, rel), &raw); err != nil {
		t.Fatal(err)
	}
	r := checkstest.Registry{Values: map[string]map[string]any{}}
	for k, vals := range raw {
		r.Values[k] = map[string]any{}
		for n, v := range vals {
			if f, ok := v.(float64); ok {
				v = uint64(f)
			}
			r.Values[k][n] = v
		}
	}
	return r
}

func debianHost(t *testing.T, sim string, extra fstest.MapFS) (*checks.Host, *checkstest.Runner) {
	fsys := fstest.MapFS{
		"etc/os-release":          file(t, "apt/debian12/os-release"),
		"var/log/apt/history.log": file(t, "apt/debian12/history.log"),
		"var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease": fresh(),
	}
	maps.Copy(fsys, extra)
	r := &checkstest.Runner{Cmds: map[string]checkstest.Cmd{aptSim: {Out: sim}}}
	h := checkstest.Host()
	h.FS, h.Exec = fsys, r
	return h, r
}

func TestDebian12RealCapture(t *testing.T) {
	t.Parallel()
	h, r := debianHost(t, string(fixture(t, "apt/debian12/dist-upgrade.txt")), nil)
	res := runAll(t, h)
	want := map[string]protocol.Status{
		IDPending:         protocol.Fail, // 136 >= 50
		IDSecurityPending: protocol.Fail, // 81 from Debian-Security
		IDLastUpdate:      protocol.Fail, // 2026-09-22, 62 days
		IDRebootPending:   protocol.Pass, // no flag, no kernel in /boot
		IDAutoUpdates:     protocol.Fail, // unattended-upgrades not installed
		IDOSSupport:       protocol.Warn, // Debian 12 in LTS
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if f := res[IDPending].Facts; f["pending"] != 136 || f["security"] != 81 {
		t.Errorf("pending facts %v", f)
	}
	if ev := res[IDLastUpdate].Evidence.EN; !strings.Contains(ev, "62 days") {
		t.Errorf("last-update evidence %q", ev)
	}
	if ev := res[IDOSSupport].Evidence; !strings.Contains(ev.EN, "LTS") || !strings.Contains(ev.FR, "2028-06-30") {
		t.Errorf("os-support evidence %+v", ev)
	}
	n := 0
	for _, c := range r.Calls {
		if c == aptSim {
			n++
		}
	}
	if n != 1 {
		t.Errorf("apt-get ran %d times, want once per scan (calls %v)", n, r.Calls)
	}
}

func TestUbuntu2204(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"etc/os-release":                            file(t, "apt/ubuntu2204/os-release"),
		"var/log/apt/history.log":                   file(t, "apt/ubuntu2204/history.log"),
		"var/lib/apt/periodic/update-success-stamp": fresh(),
		"var/run/reboot-required":                   {Data: []byte("*** System restart required ***\n")},
		"var/run/reboot-required.pkgs":              {Data: []byte("linux-image-5.15.0-125-generic\nlibc6\nlibc6\n")},
		"usr/bin/unattended-upgrade":                {Data: []byte("#!/usr/bin/python3\n")},
		"etc/apt/apt.conf.d/20auto-upgrades":        {Data: []byte("APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n")},
	}
	h := checkstest.Host()
	h.FS = fsys
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{aptSim: {Out: string(fixture(t, "apt/ubuntu2204/dist-upgrade.txt"))}}}
	res := runAll(t, h)
	want := map[string]protocol.Status{
		IDPending: protocol.Warn, IDSecurityPending: protocol.Fail, IDLastUpdate: protocol.Fail,
		IDRebootPending: protocol.Fail, IDAutoUpdates: protocol.Pass, IDOSSupport: protocol.Warn,
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := res[IDRebootPending].Facts["packages"]; !cmp.Equal(got, []string{"linux-image-5.15.0-125-generic", "libc6"}) {
		t.Errorf("reboot packages %v", got)
	}
	if ev := res[IDOSSupport].Evidence.EN; !strings.Contains(ev, "129 days") {
		t.Errorf("os-support evidence %q", ev)
	}
}

func TestDebianUpToDate(t *testing.T) {
	t.Parallel()
	t.Run("fresh lists", func(t *testing.T) {
		t.Parallel()
		h, _ := debianHost(t, "Reading package lists...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", fstest.MapFS{
			"boot/vmlinuz-6.1.0-28-amd64":       {},
			"boot/vmlinuz-6.1.0-9-amd64":        {},
			"boot/vmlinuz-6.1.0-30-cloud-amd64": {}, // another flavour, not an upgrade
		})
		h.Facts = checkstest.Facts{HostInfo: protocol.HostInfo{KernelVersion: "6.1.0-28-amd64"}}
		got := statuses(runAll(t, h))
		want := map[string]protocol.Status{
			IDPending: protocol.Pass, IDSecurityPending: protocol.Pass,
			IDLastUpdate:    protocol.Pass, // 62 days, but nothing pending
			IDRebootPending: protocol.Pass, IDAutoUpdates: protocol.Fail, IDOSSupport: protocol.Warn,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
	t.Run("stale lists cannot be trusted", func(t *testing.T) {
		t.Parallel()
		h, _ := debianHost(t, "", fstest.MapFS{
			"var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease": {ModTime: checkstest.Clock.AddDate(0, 0, -40)},
			"boot/vmlinuz-6.1.0-28-amd64": {},
		})
		h.Facts = checkstest.Facts{HostInfo: protocol.HostInfo{KernelVersion: "6.1.0-27-amd64"}}
		res := runAll(t, h)
		got := statuses(res)
		want := map[string]protocol.Status{
			IDPending: protocol.Warn, IDSecurityPending: protocol.Warn, IDLastUpdate: protocol.Fail,
			IDRebootPending: protocol.Fail, IDAutoUpdates: protocol.Fail, IDOSSupport: protocol.Warn,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if ev := res[IDPending].Evidence.EN; !strings.Contains(ev, "40 days") {
			t.Errorf("pending evidence %q", ev)
		}
	})
	t.Run("rotated history", func(t *testing.T) {
		t.Parallel()
		var gz strings.Builder
		zw := newGzip(&gz)
		zw.Write([]byte("Start-Date: 2026-11-20  06:00:00\nUpgrade: bash:amd64 (1, 2)\nEnd-Date: 2026-11-20  06:00:05\n"))
		zw.Close()
		h, _ := debianHost(t, "", fstest.MapFS{
			"var/log/apt/history.log":      {Data: []byte("Start-Date: 2026-11-21  06:00:00\nInstall: vim:amd64 (1)\nEnd-Date: 2026-11-21  06:00:01\n")},
			"var/log/apt/history.log.1.gz": {Data: []byte(gz.String())},
		})
		res := runAll(t, h)
		if r := res[IDLastUpdate]; r.Status != protocol.Pass || !strings.Contains(r.Evidence.EN, "history.log.1.gz") {
			t.Errorf("last-update %s %q", r.Status, r.Evidence.EN)
		}
	})
	t.Run("auto-updates disabled or masked", func(t *testing.T) {
		t.Parallel()
		for name, extra := range map[string]fstest.MapFS{
			"disabled": {"usr/bin/unattended-upgrade": {}, "etc/apt/apt.conf.d/20auto-upgrades": {Data: []byte("APT::Periodic::Unattended-Upgrade \"0\";\n")}},
			"masked": {"usr/bin/unattended-upgrade": {}, "etc/apt/apt.conf.d/20auto-upgrades": {Data: []byte("APT::Periodic::Unattended-Upgrade \"1\";\nAPT::Periodic::Update-Package-Lists \"1\";\n")},
				"etc/systemd/system/apt-daily-upgrade.timer": {Data: []byte("/dev/null"), Mode: 0o777 | 1<<27 /* fs.ModeSymlink */}},
		} {
			h, _ := debianHost(t, "", extra)
			if r := runAll(t, h)[IDAutoUpdates]; r.Status != protocol.Fail {
				t.Errorf("%s: %s %q", name, r.Status, r.Evidence.EN)
			}
		}
	})
}

func TestAptErrors(t *testing.T) {
	t.Parallel()
	h, r := debianHost(t, "", nil)
	r.Cmds[aptSim] = checkstest.Cmd{Code: 100}
	res := runAll(t, h)
	for _, id := range []string{IDPending, IDSecurityPending} {
		if res[id].Status != protocol.Error {
			t.Errorf("%s: %s, want error", id, res[id].Status)
		}
	}
	h, _ = debianHost(t, "", fstest.MapFS{"var/log/apt/history.log": {Data: []byte("Start-Date: garbage\n")}})
	if r := runAll(t, h)[IDLastUpdate]; r.Status != protocol.Error {
		t.Errorf("bad history: %s", r.Status)
	}
}

func rhelHost(t *testing.T, dir string, cmds map[string]checkstest.Cmd, extra fstest.MapFS) *checks.Host {
	fsys := fstest.MapFS{"etc/os-release": file(t, dir+"/os-release")}
	maps.Copy(fsys, extra)
	all := map[string]checkstest.Cmd{
		"dnf --version":                     {Out: "4.14.0\n"},
		"dnf -q check-update":               {Out: string(fixture(t, dir+"/check-update.txt")), Code: 100},
		"dnf -q updateinfo list --security": {Out: string(fixture(t, dir+"/updateinfo-security.txt"))},
	}
	maps.Copy(all, cmds)
	h := checkstest.Host()
	h.FS, h.Exec = fsys, &checkstest.Runner{Cmds: all}
	return h
}

func TestRocky9(t *testing.T) {
	t.Parallel()
	h := rhelHost(t, "dnf/rocky9", map[string]checkstest.Cmd{
		"dnf -q history list": {Out: string(fixture(t, "dnf/rocky9/history-list.txt"))},
		"needs-restarting -r": {Out: "Core libraries or services have been updated since boot-up:\n  * kernel\n\nReboot is required to fully utilize these updates.\n", Code: 1},
	}, fstest.MapFS{
		"etc/dnf/automatic.conf":                                     {Data: []byte("[commands]\nupgrade_type = default\napply_updates = yes\n")},
		"etc/systemd/system/timers.target.wants/dnf-automatic.timer": {},
	})
	res := runAll(t, h)
	want := map[string]protocol.Status{
		IDPending: protocol.Warn, IDSecurityPending: protocol.Fail,
		IDLastUpdate:    protocol.Warn, // 2026-11-02, 21 days
		IDRebootPending: protocol.Fail, IDAutoUpdates: protocol.Pass, IDOSSupport: protocol.Pass,
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if f := res[IDSecurityPending].Facts; f["security"] != 14 || f["advisories"] != 5 || f["pending"] != 18 {
		t.Errorf("security facts %v", f)
	}
}

func TestAlma9(t *testing.T) {
	t.Parallel()
	h := rhelHost(t, "dnf/alma9", map[string]checkstest.Cmd{
		"dnf -q history list": {Out: "ID     | Command line | Date and time    | Action(s)      | Altered\n-----\n     2 | upgrade      | 2026-11-20 03:00 | Upgrade        |    4\n"},
	}, fstest.MapFS{
		"boot/vmlinuz-5.14.0-570.12.1.el9_6.x86_64":      {},
		"boot/vmlinuz-5.14.0-503.40.1.el9_5.x86_64":      {},
		"boot/vmlinuz-0-rescue-0123456789abcdef":         {},
		"etc/dnf/automatic.conf":                         {Data: []byte("[commands]\napply_updates = no\n")},
		"etc/systemd/system/timers.target.wants/x.timer": {},
	})
	h.Facts = checkstest.Facts{HostInfo: protocol.HostInfo{KernelVersion: "5.14.0-503.40.1.el9_5.x86_64"}}
	res := runAll(t, h)
	want := map[string]protocol.Status{
		IDPending: protocol.Warn, IDSecurityPending: protocol.Fail, IDLastUpdate: protocol.Pass,
		IDRebootPending: protocol.Fail, // newer kernel in /boot, needs-restarting absent
		IDAutoUpdates:   protocol.Fail, // installed, no timer
		IDOSSupport:     protocol.Pass,
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := res[IDRebootPending].Facts["newest_kernel"]; got != "5.14.0-570.12.1.el9_6.x86_64" {
		t.Errorf("newest kernel %v", got)
	}
}

func TestCentOS7Yum(t *testing.T) {
	t.Parallel()
	h := checkstest.Host()
	h.FS = fstest.MapFS{
		"etc/os-release":        {Data: []byte("NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n")},
		"etc/yum/yum-cron.conf": {Data: []byte("[commands]\napply_updates = yes\n")},
		"etc/systemd/system/multi-user.target.wants/yum-cron.service": {},
	}
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{
		"yum -q check-update":        {},
		"yum -q updateinfo list sec": {Out: "updateinfo list done\n"},
		"yum -q history list":        {Out: string(fixture(t, "dnf/centos7/history-list.txt"))},
		"needs-restarting -r":        {Out: "No core libraries or services have been updated.\nReboot is probably not necessary.\n"},
	}}
	want := map[string]protocol.Status{
		IDPending: protocol.Pass, IDSecurityPending: protocol.Pass, IDLastUpdate: protocol.Pass,
		IDRebootPending: protocol.Pass, IDAutoUpdates: protocol.Pass, IDOSSupport: protocol.Fail,
	}
	if diff := cmp.Diff(want, statuses(runAll(t, h))); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func windowsHost(t *testing.T, dir string) *checks.Host {
	h := checkstest.Host()
	h.OS = "windows"
	h.FS = fstest.MapFS{}
	h.Registry = loadRegistry(t, dir+"/registry.json")
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{
		psWUA:    {Out: string(fixture(t, dir+"/wua.json"))},
		psHotFix: {Out: string(fixture(t, dir+"/hotfix.json"))},
	}}
	return h
}

func TestWindowsServer2022(t *testing.T) {
	t.Parallel()
	res := runAll(t, windowsHost(t, "windows/server2022"))
	want := map[string]protocol.Status{
		IDPending: protocol.Warn, IDSecurityPending: protocol.Fail,
		IDLastUpdate:    protocol.Fail, // last hotfix 2026-09-17
		IDRebootPending: protocol.Fail, // WindowsUpdate\Auto Update\RebootRequired
		IDAutoUpdates:   protocol.Warn, // AUOptions 3 through WSUS policy
		IDOSSupport:     protocol.Pass,
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if f := res[IDSecurityPending].Facts; f["security"] != 2 || f["oldest_security_days"] != 39 {
		t.Errorf("security facts %v", f)
	}
	if f := res[IDAutoUpdates].Facts; f["wsus"] != "http://wsus.mairie.local:8530" {
		t.Errorf("auto-update facts %v", f)
	}
	if ev := res[IDOSSupport].Evidence.EN; !strings.Contains(ev, "Windows Server 2022") || !strings.Contains(ev, "2031-10-14") {
		t.Errorf("os-support evidence %q", ev)
	}
}

func TestWindows11French(t *testing.T) {
	t.Parallel()
	res := runAll(t, windowsHost(t, "windows/win11-fr"))
	want := map[string]protocol.Status{
		IDPending: protocol.Warn, IDSecurityPending: protocol.Fail, IDLastUpdate: protocol.Pass,
		IDRebootPending: protocol.Pass, IDAutoUpdates: protocol.Pass,
		IDOSSupport: protocol.Fail, // Windows 11 Pro 24H2 ended 2026-10-13
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got := res[IDOSSupport].Facts["os"]; got != "Windows 11 Pro 24H2 (build 26100.7171)" {
		t.Errorf("os fact %v", got)
	}
}

// TestWine: PowerShell prints nothing and exits 0. Nothing that depends on
// it may pass.
func TestWine(t *testing.T) {
	t.Parallel()
	h := windowsHost(t, "windows/win11-fr")
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{psWUA: {}, psHotFix: {}}}
	res := runAll(t, h)
	for _, id := range []string{IDPending, IDSecurityPending, IDLastUpdate} {
		if r := res[id]; r.Status != protocol.Error || !strings.Contains(r.Evidence.EN, "printed nothing") {
			t.Errorf("%s: %s %q, want an error saying PowerShell printed nothing", id, r.Status, r.Evidence.EN)
		}
	}
	// The registry's LastSuccessTime (older Windows) still gives a date.
	h.Registry.(checkstest.Registry).Values[keyAUResults] = map[string]any{"LastSuccessTime": "2026-11-20 03:12:44"}
	if r := runAll(t, h)[IDLastUpdate]; r.Status != protocol.Pass {
		t.Errorf("LastSuccessTime fallback: %s %q", r.Status, r.Evidence.EN)
	}
}

func TestWindowsPolicies(t *testing.T) {
	t.Parallel()
	base := func() checkstest.Registry { return loadRegistry(t, "windows/win11-fr/registry.json") }
	tests := []struct {
		name string
		set  map[string]map[string]any
		want protocol.Status
	}{
		{"default client", nil, protocol.Pass},
		{"service disabled", map[string]map[string]any{keyWuauserv: {"Start": uint64(4)}}, protocol.Fail},
		{"NoAutoUpdate", map[string]map[string]any{keyAUPolicy: {"NoAutoUpdate": uint64(1)}}, protocol.Fail},
		{"AUOptions 4", map[string]map[string]any{keyAUPolicy: {"AUOptions": uint64(4)}}, protocol.Pass},
		{"AUOptions 2", map[string]map[string]any{keyAUPolicy: {"AUOptions": uint64(2)}}, protocol.Warn},
		{"local AUOptions 1", map[string]map[string]any{keyAULocal: {"AUOptions": uint64(1)}}, protocol.Fail},
		{"server default", map[string]map[string]any{keyCurrentVersion: {"ProductName": "Windows Server 2019 Standard", "CurrentBuild": "17763", "EditionID": "ServerStandard", "InstallationType": "Server"}}, protocol.Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := base()
			maps.Copy(r.Values, tt.set)
			if got := windowsAutoUpdates(r); got.Status != tt.want {
				t.Errorf("%s %q, want %s", got.Status, got.Evidence.EN, tt.want)
			}
		})
	}
	// Wine's registry: neither a policy nor the keys every Windows has.
	t.Run("no Windows Update key", func(t *testing.T) {
		t.Parallel()
		r := base()
		delete(r.Values, keyAULocal)
		if got := windowsAutoUpdates(r); got.Status != protocol.Error || !strings.Contains(got.Evidence.EN, "value not read") {
			t.Errorf("%s %q, want an error: the default cannot be assumed", got.Status, got.Evidence.EN)
		}
	})
	t.Run("reboot flags unreadable", func(t *testing.T) {
		t.Parallel()
		for _, parent := range []string{keyCBS, keyAULocal} {
			h := windowsHost(t, "windows/win11-fr")
			delete(h.Registry.(checkstest.Registry).Values, parent)
			if r := runAll(t, h)[IDRebootPending]; r.Status != protocol.Error {
				t.Errorf("without %s: %s %q, want error", parent, r.Status, r.Evidence.EN)
			}
		}
	})
	t.Run("reboot flags", func(t *testing.T) {
		t.Parallel()
		for key, val := range map[string]map[string]any{
			keyCBSReboot:      {},
			keySessionManager: {"PendingFileRenameOperations": []string{`\??\C:\x.tmp`, ""}},
		} {
			h := windowsHost(t, "windows/win11-fr")
			h.Registry.(checkstest.Registry).Values[key] = val
			if r := runAll(t, h)[IDRebootPending]; r.Status != protocol.Fail {
				t.Errorf("%s: %s", key, r.Status)
			}
		}
	})
}

func TestNotApplicable(t *testing.T) {
	t.Parallel()
	for name, h := range map[string]*checks.Host{
		"arch linux": func() *checks.Host {
			h := checkstest.Host()
			h.FS = fstest.MapFS{"etc/os-release": {Data: []byte("NAME=\"Arch Linux\"\nID=arch\n")}}
			return h
		}(),
		"darwin": func() *checks.Host { h := checkstest.Host(); h.OS = "darwin"; return h }(),
	} {
		for id, r := range runAll(t, h) {
			if r.Status != protocol.NotApplicable {
				t.Errorf("%s %s: %s %q, want not-applicable", name, id, r.Status, r.Evidence.EN)
			}
		}
	}
	// A missing os-release on Linux is an error, not a silent skip.
	h := checkstest.Host()
	if r := runAll(t, h)[IDOSSupport]; r.Status != protocol.Error {
		t.Errorf("no os-release: %s", r.Status)
	}
}

func newGzip(w *strings.Builder) *gzip.Writer { return gzip.NewWriter(w) }

// TestCollectionShared: the checks of one list share one collection per
// host, reused for memoTTL only.
func TestCollectionShared(t *testing.T) {
	t.Parallel()
	h, r := debianHost(t, "", nil)
	now := checkstest.Clock
	h.Now = func() time.Time { return now }
	list := Checks()
	calls := func() int {
		n := 0
		for _, c := range r.Calls {
			if c == aptSim {
				n++
			}
		}
		return n
	}
	checks.RunAll(context.Background(), h, list, checks.RunOptions{})
	checks.RunAll(context.Background(), h, list, checks.RunOptions{})
	if n := calls(); n != 1 {
		t.Errorf("apt-get ran %d times within the TTL, want 1", n)
	}
	now = now.Add(memoTTL + time.Minute)
	checks.RunAll(context.Background(), h, list, checks.RunOptions{})
	if n := calls(); n != 2 {
		t.Errorf("apt-get ran %d times after the TTL, want 2", n)
	}
	// Another host gets its own collection.
	h2, r2 := debianHost(t, "", nil)
	checks.RunAll(context.Background(), h2, list, checks.RunOptions{})
	if len(r2.Calls) == 0 {
		t.Error("second host not collected")
	}
}

// TestSlowCollection: a collection that outlives a check's deadline gives
// an error result, not a hang, and is not cached.
func TestSlowCollection(t *testing.T) {
	t.Parallel()
	h, r := debianHost(t, "", nil)
	r.Cmds[aptSim] = checkstest.Cmd{Wait: time.Hour}
	list := Checks()
	var pending []checks.Check
	for _, c := range list {
		if c.Meta().ID == IDPending {
			pending = append(pending, overrideTimeout{c, 100 * time.Millisecond})
		}
	}
	res := checks.RunAll(context.Background(), h, pending, checks.RunOptions{})
	if res[0].Status != protocol.Error {
		t.Errorf("%s %q, want error", res[0].Status, res[0].Evidence.EN)
	}
}

type overrideTimeout struct {
	checks.Check
	d time.Duration
}

func (o overrideTimeout) Meta() checks.Meta {
	m := o.Check.Meta()
	m.Timeout = o.d
	return m
}

// TestWindows10ESU: past 2025-10-14 Windows 10 22H2 is supported only with
// an active ESU licence: licensed warns (extended), none or inactive fails,
// unreadable is an error; LTSC keeps its own date and asks nothing.
func TestWindows10ESU(t *testing.T) {
	t.Parallel()
	esu := winps.Key(esuScript)
	active := string(fixture(t, "windows/win10-22h2/esu-active.json"))
	tests := []struct {
		name    string
		out     checkstest.Cmd
		edition string
		want    protocol.Status
		ev      string
	}{
		{"active ESU", checkstest.Cmd{Out: active}, "", protocol.Warn, "covered by an active ESU licence (Windows(R), Client-ESU-Year2"},
		{"no ESU", checkstest.Cmd{Out: winps.Envelope("[]", true)}, "", protocol.Fail, "gets no security fixes since 2025-10-14: no ESU licence installed"},
		{"ESU key not activated", checkstest.Cmd{Out: strings.Replace(active, `"LicenseStatus":1`, `"LicenseStatus":0`, 1)}, "", protocol.Fail, "ESU licence not active"},
		{"unreadable (Wine)", checkstest.Cmd{Out: ""}, "", protocol.Error, "ESU licence (SoftwareLicensingProduct) unreadable"},
		{"not elevated", checkstest.Cmd{Out: winps.Failure("Accès refusé", "PermissionDenied", -2147217405, false), Code: 1}, "", protocol.Error, "administrator rights needed"},
		{"LTSC 2021 keeps its date", checkstest.Cmd{}, "EnterpriseS", protocol.Warn, "Windows 10 Enterprise LTSC 2021: support ends on 2027-01-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.OS = "windows"
			h.FS = fstest.MapFS{}
			reg := loadRegistry(t, "windows/win10-22h2/registry.json")
			if tt.edition != "" {
				reg.Values[keyCurrentVersion]["EditionID"] = tt.edition
				reg.Values[keyCurrentVersion]["CurrentBuild"] = "19044"
			}
			h.Registry = reg
			r := &checkstest.Runner{Cmds: map[string]checkstest.Cmd{}}
			if tt.edition == "" {
				r.Cmds[esu] = tt.out
			}
			h.Exec = r
			res := runAll(t, h)[IDOSSupport]
			if res.Status != tt.want || !strings.Contains(res.Evidence.EN, tt.ev) {
				t.Errorf("%s %q, want %s with %q", res.Status, res.Evidence.EN, tt.want, tt.ev)
			}
			if tt.edition != "" && slices.Contains(r.Calls, esu) {
				t.Error("LTSC asked for an ESU licence")
			}
		})
	}
}
