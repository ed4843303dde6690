package patch

import (
	"testing"
	"time"
)

func TestLifecycleTable(t *testing.T) {
	t.Parallel()
	check := func(key string, l Lifecycle) {
		if l.Product == "" || l.Source == "" || l.StandardEnd.IsZero() {
			t.Errorf("%s: incomplete entry %+v", key, l)
		}
		if !l.ExtendedEnd.IsZero() && (!l.ExtendedEnd.After(l.StandardEnd) || l.ExtendedKind == "") {
			t.Errorf("%s: extended support must end after standard support and be named: %+v", key, l)
		}
	}
	for k, l := range linuxTable {
		check(k, l)
	}
	for b := range winClient {
		for _, ed := range []string{"Professional", "Enterprise", "EnterpriseS", "IoTEnterpriseS"} {
			l, err := LookupWindows(WinVersion{CurrentBuild: b, EditionID: ed, InstallationType: "Client"})
			if err != nil {
				t.Fatal(err)
			}
			check(l.Product, l)
		}
	}
	for b := range winServer {
		l, err := LookupWindows(WinVersion{CurrentBuild: b, EditionID: "ServerStandard", InstallationType: "Server"})
		if err != nil {
			t.Fatal(err)
		}
		check(l.Product, l)
	}
}

func date(s string) time.Time { return day(s).Add(10 * time.Hour) }

func TestLifecycleBoundaries(t *testing.T) {
	t.Parallel()
	deb12 := linuxTable["debian 12"] // security 2026-07-11, LTS 2028-06-30
	tests := []struct {
		at    string
		state string
		days  int
	}{
		{"2026-01-11", "supported", 181},
		{"2026-01-12", "ending", 180},
		{"2026-07-11", "ending", 0}, // the end date is still a supported day
		{"2026-07-12", "extended", 719},
		{"2028-06-30", "extended", 0},
		{"2028-07-01", "ended", -1},
	}
	for _, tt := range tests {
		s := deb12.At(date(tt.at))
		if s.State != tt.state || s.DaysLeft != tt.days {
			t.Errorf("Debian 12 on %s: %s (%d days), want %s (%d)", tt.at, s.State, s.DaysLeft, tt.state, tt.days)
		}
	}
}

// TestLifecycleAtFakeClock pins where each release stands on the fake
// clock's day, 2026-11-23.
func TestLifecycleAtFakeClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	linux := []struct {
		id, ver, name, state string
	}{
		{"debian", "9", "", "ended"},
		{"debian", "11", "", "ended"}, // LTS ended 2026-08-31
		{"debian", "12", "", "extended"},
		{"debian", "13", "", "supported"},
		{"ubuntu", "16.04", "", "ended"}, // ESM ended 2026-04-02
		{"ubuntu", "20.04", "", "extended"},
		{"ubuntu", "22.04", "", "ending"}, // 2027-04-01, 129 days
		{"ubuntu", "24.04", "", "supported"},
		{"rhel", "7.9", "", "extended"},
		{"rhel", "9.4", "", "supported"},
		{"centos", "7", "CentOS Linux", "ended"},
		{"centos", "8", "CentOS Linux", "ended"},
		{"centos", "9", "CentOS Stream", "supported"}, // 2027-05-31, 189 days
		{"rocky", "8.10", "", "supported"},
		{"almalinux", "9.6", "", "supported"},
	}
	for _, tt := range linux {
		l, err := LookupLinux(OSRelease{ID: tt.id, VersionID: tt.ver, Name: tt.name})
		if err != nil {
			t.Errorf("%s %s: %v", tt.id, tt.ver, err)
			continue
		}
		if s := l.At(now); s.State != tt.state {
			t.Errorf("%s: %s, want %s", l.Product, s.State, tt.state)
		}
	}
	windows := []struct {
		build        int
		edition, typ string
		product      string
		state        string
	}{
		{7601, "Professional", "Client", "Windows 7 SP1", "ended"},
		{9600, "Core", "Client", "Windows 8.1", "ended"},
		{19045, "Professional", "Client", "Windows 10 22H2 Home/Pro", "extended"},
		{19044, "EnterpriseS", "Client", "Windows 10 Enterprise LTSC 2021", "ending"},
		{19044, "IoTEnterpriseS", "Client", "Windows 10 IoT Enterprise LTSC 2021", "supported"},
		{22631, "Enterprise", "Client", "Windows 11 23H2 Enterprise/Education", "ended"}, // 2026-11-10
		{26100, "Professional", "Client", "Windows 11 24H2 Home/Pro", "ended"},           // 2026-10-13
		{26100, "Education", "Client", "Windows 11 24H2 Enterprise/Education", "supported"},
		{26100, "EnterpriseS", "Client", "Windows 11 Enterprise LTSC 2024", "supported"},
		{26200, "Core", "Client", "Windows 11 25H2 Home/Pro", "supported"},
		{7601, "ServerStandard", "Server", "Windows Server 2008 R2", "ended"},
		{9600, "ServerStandard", "Server", "Windows Server 2012 R2", "ended"}, // ESU ended 2026-10-13
		{14393, "ServerStandard", "Server", "Windows Server 2016", "ending"},
		{17763, "ServerDatacenter", "Server Core", "Windows Server 2019", "supported"},
		{20348, "ServerStandard", "Server", "Windows Server 2022", "supported"},
		{26100, "ServerStandard", "Server", "Windows Server 2025", "supported"},
		{19042, "ServerStandard", "Server Core", "Windows Server semi-annual channel build 19042", "ended"},
	}
	for _, tt := range windows {
		l, err := LookupWindows(WinVersion{CurrentBuild: tt.build, EditionID: tt.edition, InstallationType: tt.typ})
		if err != nil {
			t.Errorf("%d %s: %v", tt.build, tt.edition, err)
			continue
		}
		if s := l.At(now); l.Product != tt.product || s.State != tt.state {
			t.Errorf("build %d %s: %s %s, want %s %s", tt.build, tt.edition, l.Product, s.State, tt.product, tt.state)
		}
	}
	srv25, _ := LookupWindows(WinVersion{CurrentBuild: 26100, EditionID: "ServerDatacenter", InstallationType: "Server"})
	if got := srv25.StandardEnd.Format("2006-01-02"); got != "2034-11-14" {
		t.Errorf("Server 2025 ends %s, want 2034-11-14", got)
	}
}

func TestLifecycleUnknown(t *testing.T) {
	t.Parallel()
	for _, o := range []OSRelease{{ID: "arch"}, {ID: "ubuntu", VersionID: "23.10"}, {ID: "debian"}, {}} {
		if _, err := LookupLinux(o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
	if _, err := LookupWindows(WinVersion{CurrentBuild: 99999}); err == nil {
		t.Error("unknown build: want an error")
	}
}
