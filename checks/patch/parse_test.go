package patch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/checks/winps"
)

const fixtures = "../../testdata/patch"

func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func countSecurity(ups []Update) int {
	n := 0
	for _, u := range ups {
		if u.Security {
			n++
		}
	}
	return n
}

func TestParseAptSimulation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		file          string
		pending, sec  int
		first         Update
		mustHave      map[string]bool // name -> security
		wantErrSubstr string
	}{
		{
			name: "debian12 real capture", file: "apt/debian12/dist-upgrade.txt", pending: 136, sec: 81,
			first:    Update{Name: "base-files", From: "12.4+deb12u11", To: "12.4+deb12u15", Origins: []string{"Debian:12.15/oldstable"}},
			mustHave: map[string]bool{"liblzma5": true, "libgcrypt20": true, "bash": false, "libssl-dev": true},
		},
		{
			name: "ubuntu 22.04 with new kernel packages", file: "apt/ubuntu2204/dist-upgrade.txt", pending: 16, sec: 11,
			first: Update{Name: "libssl3", From: "3.0.2-0ubuntu1.18", To: "3.0.2-0ubuntu1.19",
				Origins: []string{"Ubuntu:22.04/jammy-updates", "Ubuntu:22.04/jammy-security"}, Security: true},
			mustHave: map[string]bool{"linux-image-5.15.0-126-generic": true, "tzdata": false, "vim": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ups, err := ParseAptSimulation(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(ups) != tt.pending || countSecurity(ups) != tt.sec {
				t.Errorf("got %d pending, %d security; want %d, %d", len(ups), countSecurity(ups), tt.pending, tt.sec)
			}
			if diff := cmp.Diff(tt.first, ups[0]); diff != "" {
				t.Errorf("first update (-want +got):\n%s", diff)
			}
			got := map[string]bool{}
			for _, u := range ups {
				got[u.Name] = u.Security
			}
			for n, sec := range tt.mustHave {
				if s, ok := got[n]; !ok || s != sec {
					t.Errorf("%s: present=%v security=%v, want security=%v", n, ok, s, sec)
				}
			}
		})
	}
}

func TestParseAptSimulationEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Update
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"nothing to do", "Reading package lists...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", nil, false},
		{"security in the name only", "Inst libsecurity-foo [1] (2 Debian:12.8/stable [amd64])\n",
			[]Update{{Name: "libsecurity-foo", From: "1", To: "2", Origins: []string{"Debian:12.8/stable"}}}, false},
		{"conf and remv lines ignored", "Remv foo [1]\nConf bar (2 Debian:12/stable [all])\n", nil, false},
		{"unclosed bracket", "Inst foo [1.0\n", nil, true},
		{"bare name", "Inst \n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAptSimulation([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAptHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		blocks   int
		lastEnd  string
		upgraded int
	}{
		{"apt/debian12/history.log", 0, "2026-09-22 04:53:17", 1},
		{"apt/ubuntu2204/history.log", 5, "2024-10-22 06:40:21", 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			ts, err := ParseAptHistory(strings.NewReader(string(fixture(t, tt.file))), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if tt.blocks > 0 && len(ts) != tt.blocks {
				t.Errorf("%d blocks, want %d", len(ts), tt.blocks)
			}
			last, ok := LastUpgrade(ts)
			if !ok {
				t.Fatal("no upgrade found")
			}
			if got := last.End.Format("2006-01-02 15:04:05"); got != tt.lastEnd || last.Upgraded != tt.upgraded {
				t.Errorf("last upgrade %s (%d pkgs), want %s (%d)", got, last.Upgraded, tt.lastEnd, tt.upgraded)
			}
		})
	}
	t.Run("failed and interrupted blocks are not successes", func(t *testing.T) {
		t.Parallel()
		ts, _ := ParseAptHistory(strings.NewReader(string(fixture(t, "apt/ubuntu2204/history.log"))), time.UTC)
		var failed, open int
		for _, tr := range ts {
			if tr.Failed {
				failed++
			}
			if tr.End.IsZero() {
				open++
			}
		}
		if failed != 1 || open != 1 {
			t.Errorf("failed=%d open=%d, want 1 and 1", failed, open)
		}
	})
	t.Run("bad date is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := ParseAptHistory(strings.NewReader("Start-Date: yesterday\n"), time.UTC); err == nil {
			t.Error("want an error")
		}
	})
}

func TestParseDnf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		dir           string
		pending       int
		secPkgs, advs int
		last          string
	}{
		{"dnf/rocky9", 18, 14, 5, "2026-11-02 03:15"},
		{"dnf/alma9", 6, 5, 3, ""},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			ups, err := ParseDnfCheckUpdate(fixture(t, tt.dir+"/check-update.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if len(ups) != tt.pending {
				t.Errorf("%d pending, want %d", len(ups), tt.pending)
			}
			advs := ParseDnfUpdateinfo(fixture(t, tt.dir+"/updateinfo-security.txt"))
			pk, ids := map[string]bool{}, map[string]bool{}
			for _, a := range advs {
				pk[a.Package], ids[a.ID] = true, true
			}
			if len(pk) != tt.secPkgs || len(ids) != tt.advs {
				t.Errorf("%d security packages in %d advisories, want %d in %d", len(pk), len(ids), tt.secPkgs, tt.advs)
			}
			for n := range pk {
				found := false
				for _, u := range ups {
					found = found || u.Name == n
				}
				if !found {
					t.Errorf("advisory package %q not among check-update names", n)
				}
			}
			if tt.last == "" {
				return
			}
			ts, err := ParseDnfHistory(fixture(t, tt.dir+"/history-list.txt"), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			last, ok := LastUpgrade(ts)
			if !ok || last.End.Format("2006-01-02 15:04") != tt.last {
				t.Errorf("last upgrade %v (%v), want %s", last.End, ok, tt.last)
			}
		})
	}
	t.Run("check-update rows", func(t *testing.T) {
		t.Parallel()
		ups, _ := ParseDnfCheckUpdate(fixture(t, "dnf/rocky9/check-update.txt"))
		want := []Update{
			{Name: "NetworkManager", To: "1:1.48.10-2.el9_5", Origins: []string{"baseos"}},
			{Name: "xorg-x11-server-Xwayland-libs-extra-modules", To: "23.2.7-1.el9", Origins: []string{"appstream"}},
		}
		if diff := cmp.Diff(want, []Update{ups[0], ups[len(ups)-1]}); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("yum history on CentOS 7", func(t *testing.T) {
		t.Parallel()
		ts, err := ParseDnfHistory(fixture(t, "dnf/centos7/history-list.txt"), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		last, ok := LastUpgrade(ts)
		if len(ts) != 3 || !ok || last.End.Format("2006-01-02 15:04") != "2024-06-20 08:41" {
			t.Errorf("%d rows, last %v %v", len(ts), last.End, ok)
		}
	})
	t.Run("dnf5 updateinfo", func(t *testing.T) {
		t.Parallel()
		in := "Name                 Type     Severity  Package                              Issued\nFEDORA-2025-1a2b3c security Moderate  curl-8.9.1-3.fc41.x86_64 2025-02-01 01:02:03\n"
		got := ParseDnfUpdateinfo([]byte(in))
		want := []Advisory{{ID: "FEDORA-2025-1a2b3c", Severity: "Moderate", Package: "curl"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		t.Parallel()
		if _, err := ParseDnfCheckUpdate([]byte("a b c d e\n")); err == nil {
			t.Error("check-update: want an error")
		}
		if _, err := ParseDnfHistory([]byte("no | table | here\n"), time.UTC); err == nil {
			t.Error("history: want an error")
		}
	})
}

func TestNevraName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"glibc-2.34-125.el9_5.8.x86_64":                    "glibc",
		"NetworkManager-1:1.48.10-2.el9_5.x86_64":          "NetworkManager",
		"kernel-modules-core-5.14.0-503.40.1.el9_5.x86_64": "kernel-modules-core",
		"openssh-clients-8.7p1-45.el9_6.alma.1.x86_64":     "openssh-clients",
	} {
		if got := nevraName(in); got != want {
			t.Errorf("nevraName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseWUA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir          string
		pending, sec int
		oldestSec    string
	}{
		{"windows/server2022", 3, 2, "2026-10-14"},
		{"windows/win11-fr", 1, 1, "2026-11-10"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			ups, err := ParseWUA(fixture(t, tt.dir+"/wua.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(ups) != tt.pending || countSecurity(ups) != tt.sec {
				t.Errorf("%d pending, %d security; want %d, %d", len(ups), countSecurity(ups), tt.pending, tt.sec)
			}
			var oldest time.Time
			for _, u := range ups {
				if u.Security && (oldest.IsZero() || u.Published.Before(oldest)) {
					oldest = u.Published
				}
			}
			if oldest.Format("2006-01-02") != tt.oldestSec {
				t.Errorf("oldest security update %v, want %s", oldest, tt.oldestSec)
			}
		})
	}
	errs := []struct {
		name, in, substr string
	}{
		{"wine prints nothing", string(fixture(t, "windows/wine/wua.json")), "printed nothing"},
		{"blank lines only", "\r\n\r\n", "printed nothing"},
		{"agent error", winps.Envelope(`{"Schema":"vigie.wua/1","Error":"Exception from HRESULT: 0x8024402C","HResult":-2145107924}`, true), "0x8024402C"},
		{"search failed", winps.Envelope(`{"Schema":"vigie.wua/1","ResultCode":4,"Updates":[]}`, true), "result code 4"},
		{"not our JSON", winps.Envelope(`{"foo":1}`, true), "schema"},
		{"truncated", `{"vigie":"vigie.ps/1","admin":true,"items":[{"Schema":"vigie.wua/1","Updates":[{`, "envelope"},
		{"constrained language", winps.Constrained(), "ConstrainedLanguage"},
		{"PowerShell error", winps.Failure("Accès refusé", "PermissionDenied", -2147024891, false), "PermissionDenied"},
		{"two objects", winps.Envelope(`[{"Schema":"vigie.wua/1"},{"Schema":"vigie.wua/1"}]`, true), "2 objects"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseWUA([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("err = %v, want it to mention %q", err, tt.substr)
			}
		})
	}
	t.Run("empty is winps.ErrNoOutput", func(t *testing.T) {
		t.Parallel()
		if _, err := ParseWUA(nil); !errors.Is(err, winps.ErrNoOutput) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestParseHotFix(t *testing.T) {
	t.Parallel()
	last, id, ok, err := ParseHotFix(fixture(t, "windows/server2022/hotfix.json"))
	if err != nil || !ok || id != "KB5065432" || last.Format("2006-01-02") != "2026-09-17" {
		t.Errorf("got %v %q %v %v", last, id, ok, err)
	}
	if _, _, _, err := ParseHotFix(fixture(t, "windows/wine/hotfix.json")); !errors.Is(err, winps.ErrNoOutput) {
		t.Errorf("wine: err = %v", err)
	}
	if _, _, ok, err := ParseHotFix([]byte(winps.Envelope(`{"Schema":"vigie.hotfix/1","Count":0,"LastInstalled":null}`, true))); ok || err != nil {
		t.Errorf("none: ok=%v err=%v", ok, err)
	}
}

func TestParseOSRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want OSRelease
	}{
		{"apt/debian12/os-release", OSRelease{ID: "debian", VersionID: "12", Codename: "bookworm", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 12 (bookworm)"}},
		{"apt/ubuntu2204/os-release", OSRelease{ID: "ubuntu", IDLike: []string{"debian"}, VersionID: "22.04", Codename: "jammy", Name: "Ubuntu", PrettyName: "Ubuntu 22.04.5 LTS"}},
		{"dnf/rocky9/os-release", OSRelease{ID: "rocky", IDLike: []string{"rhel", "centos", "fedora"}, VersionID: "9.5", Name: "Rocky Linux", PrettyName: "Rocky Linux 9.5 (Blue Onyx)"}},
	}
	for _, tt := range tests {
		got, err := ParseOSRelease(fixture(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
	got, err := ParseOSRelease([]byte("# c\nID='centos'\nNAME=\"CentOS \\\"Stream\\\"\"\nVERSION_ID=9\n"))
	if err != nil || got.ID != "centos" || got.Name != `CentOS "Stream"` {
		t.Errorf("quoting: %+v %v", got, err)
	}
	if _, err := ParseOSRelease([]byte("NAME=x\n")); err == nil {
		t.Error("no ID: want an error")
	}
}

func TestParseAptConf(t *testing.T) {
	t.Parallel()
	conf := map[string]string{}
	ParseAptConf([]byte("APT::Periodic::Update-Package-Lists \"1\";\n// APT::Periodic::Unattended-Upgrade \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\"; // off\n"), conf)
	ParseAptConf([]byte("APT::Periodic::Unattended-Upgrade \"1\";\n"), conf)
	want := map[string]string{"apt::periodic::update-package-lists": "1", "apt::periodic::unattended-upgrade": "1"}
	if diff := cmp.Diff(want, conf); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"6.1.0-28-amd64", "6.1.0-9-amd64", 1},
		{"6.1.0-9-amd64", "6.1.0-28-amd64", -1},
		{"5.14.0-503.40.1.el9_5.x86_64", "5.14.0-427.13.1.el9_4.x86_64", 1},
		{"6.1.0-28-amd64", "6.1.0-28-amd64", 0},
		{"5.15.0-126-generic", "5.15.0-0126-generic", 0},
	} {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestKernelFlavour(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"6.1.0-28-amd64":               "amd64",
		"6.1.0-28-cloud-amd64":         "cloud-amd64",
		"5.15.0-126-generic":           "generic",
		"5.14.0-503.40.1.el9_5.x86_64": "",
		"0-rescue-0123abcd":            "rescue-0123abcd",
	} {
		if got := kernelFlavour(in); got != want {
			t.Errorf("kernelFlavour(%q) = %q, want %q", in, got, want)
		}
	}
}
