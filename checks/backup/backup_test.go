package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/backup/guidance"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

const td = "../../testdata/backup/"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(td + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var now = checkstest.Clock

func ago(d time.Duration) time.Time { return now.Add(-d) }

const day = 24 * time.Hour

func run(t *testing.T, c checks.Check, h *checks.Host) protocol.Result {
	t.Helper()
	return checks.RunAll(context.Background(), h, []checks.Check{c}, checks.RunOptions{})[0]
}

func find(cs []checks.Check, id string) checks.Check {
	for _, c := range cs {
		if c.Meta().ID == id {
			return c
		}
	}
	panic("no check " + id)
}

// findAt is find for a per-destination check.
func findAt(cs []checks.Check, id, target string) checks.Check {
	for _, c := range cs {
		if c.Meta().ID == id && c.Meta().Target == target {
			return c
		}
	}
	panic("no check " + id + "@" + target)
}

// TestOneResultPerDestination: recent, size and separate-disk are
// instantiated per configured path with the path as target (like TLS
// endpoints); tool and snapshot once per host; no path gives one result
// each saying so.
func TestOneResultPerDestination(t *testing.T) {
	t.Parallel()
	ids := func(cs []checks.Check) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Meta().ID+"@"+c.Meta().Target)
		}
		return out
	}
	got := ids(Checks([]string{"/srv/backup", "/mnt/nas"}))
	want := []string{"backup.tool@", "backup.recent@/srv/backup", "backup.size@/srv/backup", "backup.separate-disk@/srv/backup",
		"backup.recent@/mnt/nas", "backup.size@/mnt/nas", "backup.separate-disk@/mnt/nas", "backup.snapshot@"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"backup.tool@", "backup.recent@", "backup.size@", "backup.separate-disk@", "backup.snapshot@"}, ids(Checks(nil))); d != "" {
		t.Errorf("no path (-want +got):\n%s", d)
	}
	// A stale destination and a fresh one: two results, each about its own path.
	h := checkstest.Host()
	h.FS = fstest.MapFS{
		"srv/backup/a.tar.gz": {Data: []byte("x"), ModTime: ago(time.Hour)},
		"mnt/nas/b.tar.gz":    {Data: []byte("x"), ModTime: ago(10 * day)},
	}
	rs := checks.RunAll(context.Background(), h, Checks([]string{"/srv/backup", "/mnt/nas"}), checks.RunOptions{})
	byTarget := map[string]protocol.Result{}
	for _, r := range rs {
		if r.ID == "backup.recent" {
			byTarget[r.Target] = r
		}
	}
	if r := byTarget["/srv/backup"]; r.Status != protocol.Pass || strings.Contains(r.Evidence.EN, "/mnt/nas") {
		t.Errorf("/srv/backup: %s %q", r.Status, r.Evidence.EN)
	}
	if r := byTarget["/mnt/nas"]; r.Status != protocol.Fail || !strings.Contains(r.Evidence.EN, "10.0 days") {
		t.Errorf("/mnt/nas: %s %q", r.Status, r.Evidence.EN)
	}
}

func TestGuidanceCoversChecks(t *testing.T) {
	t.Parallel()
	cat, err := guidance.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range Checks(nil) {
		ids = append(ids, c.Meta().ID)
		if c.Meta().Domain != protocol.DomainBackup {
			t.Errorf("%s: domain %s", c.Meta().ID, c.Meta().Domain)
		}
	}
	if d := cmp.Diff(cat.IDs(), sortedCopy(ids)); d != "" {
		t.Errorf("guidance and checks differ (-guidance +checks):\n%s", d)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestToolDetection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		os    string
		paths []string
		cmds  map[string]checkstest.Cmd
		procs []checks.Process
		files fstest.MapFS
		reg   map[string]map[string]any
		want  protocol.Status
		tools []string
		ev    string
	}{
		{name: "debian with restic and borg", os: "linux",
			cmds: map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query.txt"))}},
			want: protocol.Warn, tools: []string{"restic", "BorgBackup"}, ev: "tool present, no backup seen: restic (package restic)"},
		// Issue 17: installing restic is not a backup. A scheduled job is
		// not one either; files at a declared destination are.
		{name: "debian with restic and a cron job, no destination", os: "linux",
			cmds:  map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query.txt"))}},
			files: fstest.MapFS{"etc/cron.d/restic": {Data: []byte("0 21 * * * root restic backup /srv\n")}},
			want:  protocol.Warn, ev: "no backup seen: restic (package restic), BorgBackup (package borgbackup); scheduled jobs: etc/cron.d/restic; no destination declared (backup_paths)"},
		{name: "debian with restic, declared destination empty", os: "linux", paths: []string{"/srv/backup"},
			cmds:  map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query.txt"))}},
			files: fstest.MapFS{"srv/backup": {Mode: fs.ModeDir | 0o755}},
			want:  protocol.Warn, ev: "no backup in /srv/backup"},
		{name: "debian with restic, repository at the declared destination", os: "linux", paths: []string{"/srv/restic"},
			cmds: map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query.txt"))}},
			files: fstest.MapFS{"srv/restic/config": {Data: []byte("x"), ModTime: ago(day)}, "srv/restic/keys/k": {Data: []byte("x"), ModTime: ago(day)},
				"srv/restic/data/00/aa": {Data: []byte("x"), ModTime: ago(time.Hour)}, "srv/restic/snapshots/s1": {Data: []byte("x"), ModTime: ago(time.Hour)}},
			want: protocol.Pass, tools: []string{"restic", "BorgBackup"}, ev: "backup seen: restic repository /srv/restic (newest file on"},
		{name: "no known tool, but backup files at the destination", os: "linux", paths: []string{"/mnt/nas"},
			cmds:  map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query-nobackup.txt"))}},
			files: fstest.MapFS{"mnt/nas/mairie-2026-11-23.tar.gz": {Data: []byte("x"), ModTime: ago(time.Hour)}},
			want:  protocol.Pass, ev: "backup seen: /mnt/nas (newest file on"},
		{name: "debian without backup: nothing at all", os: "linux",
			cmds: map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query-nobackup.txt"))}},
			want: protocol.Fail, ev: "no backup tool detected (764 packages"},
		{name: "debian without package but a cron job", os: "linux",
			cmds:  map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Out: string(fixture(t, "debian12/dpkg-query-nobackup.txt"))}},
			files: fstest.MapFS{"etc/cron.d/sauvegarde": {Data: []byte("0 21 * * * root rsync -a /srv/ /mnt/backup/\n")}},
			want:  protocol.Warn, ev: "etc/cron.d/sauvegarde"},
		{name: "rocky falls back to rpm", os: "linux",
			cmds: map[string]checkstest.Cmd{"rpm -qa --qf %{NAME}": {Out: string(fixture(t, "rocky9/rpm-qa.txt"))}},
			want: protocol.Warn, tools: []string{"rsnapshot"}, ev: "no backup seen"},
		{name: "process only (restic running from a script)", os: "linux",
			procs: []checks.Process{{PID: 42, Name: "restic"}},
			want:  protocol.Warn, tools: []string{"restic"}, ev: "no backup seen: restic (process restic)"},
		{name: "windows 2022 veeam agent: present, no backup seen", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2022-services.json"))}},
			want: protocol.Warn, tools: []string{"Veeam"}, ev: "tool present, no backup seen: Veeam (service VeeamEndpointBackupSvc)"},
		{name: "windows veeam agent and backup files on E:", os: "windows", paths: []string{`E:\Sauvegardes`},
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2022-services.json"))},
				`VIGIE_ARG_PATH=E:\Sauvegardes ` + winps.Key(walkScript): {Out: string(fixture(t, "windows/server2022-listing.json"))}},
			want: protocol.Pass, tools: []string{"Veeam"}, ev: `backup seen: E:\Sauvegardes (newest file on 2026-11-22 20:41 UTC); tools: Veeam`},
		{name: "windows 2019 fr, veeam service disabled", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2019-fr-services.json"))}},
			want: protocol.Fail, ev: "no backup tool detected"},
		{name: "windows server backup scheduled and succeeded, wbengine not running", os: "windows",
			cmds: map[string]checkstest.Cmd{
				winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2019-fr-services.json"))},
				winps.Key(wsbScript):      {Out: string(fixture(t, "windows/server2019-fr-wbsummary.json"))},
			},
			want: protocol.Pass, tools: []string{"Windows Server Backup"}, ev: "backup seen: Windows Server Backup: last success on 2026-11-22 20:14 UTC; tools: Windows Server Backup (scheduled at 21:00)"},
		{name: "windows products from Programs and Features", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2019-fr-services.json"))}},
			reg:  noUserHives(loadRegistry(t, "windows/win11-programs.json")),
			want: protocol.Warn, tools: []string{"Synology Active Backup for Business", "Iperius Backup"}, ev: "Synology Active Backup for Business (program Active Backup for Business Agent)"},
		{name: "windows 11 workstation with File History configured, never ran", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2019-fr-services.json"))}},
			files: fstest.MapFS{
				"Users/secretariat/AppData/Local/Microsoft/Windows/FileHistory/Configuration/Config1.xml": {Data: []byte("<DataProtectionUserConfig/>")},
				"Users/Public/Documents/x.txt": {Data: []byte("x")},
			},
			want: protocol.Warn, tools: []string{"Historique des fichiers (File History)"}, ev: "File History) (enabled for secretariat)"},
		{name: "windows 11 File History last run read from the user's hive", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: string(fixture(t, "windows/server2019-fr-services.json"))}},
			reg:  loadRegistry(t, "windows/win11-programs.json"),
			files: fstest.MapFS{
				"Users/secretariat/AppData/Local/Microsoft/Windows/FileHistory/Configuration/Config1.xml": {Data: []byte("<DataProtectionUserConfig/>")},
			},
			want: protocol.Pass, ev: "File History (secretariat): last run on 2026-11-22 17:00 UTC"},
		{name: "windows: PowerShell prints nothing (Wine)", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: ""}},
			want: protocol.Error, ev: "PowerShell printed nothing"},
		{name: "windows: empty service list", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(servicesScript): {Out: winps.Envelope("[]", true)}},
			want: protocol.Error, ev: "empty service list"},
		{name: "nothing can be listed", os: "linux",
			cmds: map[string]checkstest.Cmd{"dpkg-query -W -f=${Package}\t${db:Status-Abbrev}": {Code: 2}},
			want: protocol.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.OS = tt.os
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			h.Facts = checkstest.Facts{Procs: tt.procs}
			h.Registry = checkstest.Registry{Values: tt.reg}
			if tt.files != nil {
				h.FS = tt.files
			}
			if tt.name == "nothing can be listed" {
				h.Facts = checkstest.Facts{Err: os.ErrPermission}
			}
			r := run(t, find(Checks(tt.paths), "backup.tool"), h)
			if r.Status != tt.want {
				t.Fatalf("status %s, want %s: %s", r.Status, tt.want, r.Evidence.EN)
			}
			if tt.tools != nil {
				if d := cmp.Diff(tt.tools, r.Facts["tools"]); d != "" {
					t.Errorf("tools (-want +got):\n%s", d)
				}
			}
			if !strings.Contains(r.Evidence.EN, tt.ev) {
				t.Errorf("evidence %q lacks %q", r.Evidence.EN, tt.ev)
			}
		})
	}
	if m := (toolCheck{}).Meta(); m.Severity != protocol.High {
		t.Errorf("backup.tool severity %s, want high", m.Severity)
	}
}

// tree builds a backup location with files of given ages and sizes.
func tree(files map[string]struct {
	age  time.Duration
	size int
}) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, f := range files {
		fsys[name] = &fstest.MapFile{Data: make([]byte, f.size), ModTime: ago(f.age)}
	}
	return fsys
}

type file = struct {
	age  time.Duration
	size int
}

func TestRecentAndSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		paths      []string
		files      map[string]file
		recent     protocol.Status
		size       protocol.Status
		recentText string
		sizeText   string
	}{
		{name: "no paths", recent: protocol.NotApplicable, size: protocol.NotApplicable, recentText: "backup.paths"},
		{name: "daily archives, fresh and consistent", paths: []string{"/srv/backup"},
			files: map[string]file{
				"srv/backup/mairie-2026-11-21.tar.gz": {2*day + time.Hour, 1000},
				"srv/backup/mairie-2026-11-22.tar.gz": {day + time.Hour, 1010},
				"srv/backup/mairie-2026-11-23.tar.gz": {time.Hour, 1020},
			},
			recent: protocol.Pass, size: protocol.Pass, recentText: "newest file 0.0 days old (mairie-2026-11-23.tar.gz", sizeText: "mairie-2026-11-23.tar.gz (1020 B) / mairie-2026-11-22.tar.gz (1010 B)"},
		{name: "three days old, newest much smaller", paths: []string{"/srv/backup"},
			files: map[string]file{
				"srv/backup/mairie-2026-11-19.tar.gz": {4 * day, 1000},
				"srv/backup/mairie-2026-11-20.tar.gz": {3 * day, 200},
			},
			recent: protocol.Warn, size: protocol.Warn, recentText: "3.0 days", sizeText: "is 20% of the previous one mairie-2026-11-19.tar.gz"},
		{name: "ten days old", paths: []string{"/srv/backup"},
			files:  map[string]file{"srv/backup/x/y/z.bak": {10 * day, 5}},
			recent: protocol.Fail, size: protocol.NotApplicable, recentText: "10.0 days"},
		{name: "rsnapshot dirs compare by kind, full vs incremental kept apart", paths: []string{"/var/cache/rsnapshot"},
			files: map[string]file{
				"var/cache/rsnapshot/daily.0/srv/a":  {time.Hour, 600},
				"var/cache/rsnapshot/daily.1/srv/a":  {day, 500},
				"var/cache/rsnapshot/weekly.0/srv/a": {5 * day, 1000},
				"var/cache/rsnapshot/full-0001.tar":  {6 * day, 100000},
				"var/cache/rsnapshot/incr-0002.tar":  {2 * time.Hour, 10},
				"var/cache/rsnapshot/incr-0001.tar":  {3 * day, 12},
			},
			recent: protocol.Pass, size: protocol.Pass},
		{name: "empty location", paths: []string{"/srv/backup"},
			files:  map[string]file{"srv/backup/.keep/": {day, 0}},
			recent: protocol.Fail, size: protocol.NotApplicable, recentText: "no backup file"},
		{name: "unplugged disk", paths: []string{"/media/usb"},
			recent: protocol.Warn, size: protocol.NotApplicable, recentText: "/media/usb absent"},
		{name: "relative path is an error", paths: []string{"backup"},
			recent: protocol.Error, size: protocol.Error, recentText: "not absolute"},
		{name: "restic repository: size not compared", paths: []string{"/srv/restic"},
			files: map[string]file{
				"srv/restic/config": {10 * day, 155}, "srv/restic/keys/k": {10 * day, 400},
				"srv/restic/data/00/aa": {time.Hour, 4000}, "srv/restic/snapshots/s1": {time.Hour, 300},
			},
			recent: protocol.Pass, size: protocol.NotApplicable, sizeText: "restic repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			fsys := tree(tt.files)
			for k := range fsys {
				if strings.HasSuffix(k, "/") {
					delete(fsys, k)
					fsys[strings.TrimSuffix(k, "/")] = &fstest.MapFile{Mode: 0o755 | 1<<31, ModTime: ago(day)}
				}
			}
			h.FS = fsys
			cs := Checks(tt.paths)
			rr, rs := run(t, find(cs, "backup.recent"), h), run(t, find(cs, "backup.size"), h)
			if rr.Status != tt.recent || !strings.Contains(rr.Evidence.EN, tt.recentText) {
				t.Errorf("recent = %s %q, want %s containing %q", rr.Status, rr.Evidence.EN, tt.recent, tt.recentText)
			}
			if rs.Status != tt.size || !strings.Contains(rs.Evidence.EN, tt.sizeText) {
				t.Errorf("size = %s %q, want %s containing %q", rs.Status, rs.Evidence.EN, tt.size, tt.sizeText)
			}
			if rr.Evidence.FR == rr.Evidence.EN && rr.Status != protocol.Error {
				t.Errorf("French evidence not translated: %q", rr.Evidence.FR)
			}
		})
	}
}

// wideFS is a synthetic tree: srv/backup/d holds n files, and a deep chain
// srv/backup/a/b/c/d/e/deep holds the newest file.
type wideFS struct{ n int }

type synthInfo struct {
	name string
	dir  bool
	mod  time.Time
}

func (i synthInfo) Name() string { return i.name }
func (i synthInfo) Size() int64  { return 1 }
func (i synthInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i synthInfo) ModTime() time.Time { return i.mod }
func (i synthInfo) IsDir() bool        { return i.dir }
func (i synthInfo) Sys() any           { return nil }

func (w wideFS) children(name string) ([]fs.DirEntry, bool) {
	dir := func(n string) fs.DirEntry { return fs.FileInfoToDirEntry(synthInfo{n, true, ago(time.Hour)}) }
	switch name {
	case "srv", "srv/backup":
		if name == "srv" {
			return []fs.DirEntry{dir("backup")}, true
		}
		return []fs.DirEntry{dir("a"), dir("d")}, true
	case "srv/backup/a", "srv/backup/a/b", "srv/backup/a/b/c", "srv/backup/a/b/c/d":
		next := map[string]string{"srv/backup/a": "b", "srv/backup/a/b": "c", "srv/backup/a/b/c": "d", "srv/backup/a/b/c/d": "e"}[name]
		return []fs.DirEntry{dir(next)}, true
	case "srv/backup/a/b/c/d/e":
		return []fs.DirEntry{fs.FileInfoToDirEntry(synthInfo{"deep", false, ago(time.Minute)})}, true
	case "srv/backup/d":
		out := make([]fs.DirEntry, w.n)
		for i := range out {
			out[i] = fs.FileInfoToDirEntry(synthInfo{fmt.Sprintf("f%06d", i), false, ago(time.Hour)})
		}
		return out, true
	}
	return nil, false
}

func (w wideFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if c, ok := w.children(name); ok {
		return c, nil
	}
	return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
}

func (w wideFS) Stat(name string) (fs.FileInfo, error) {
	if _, ok := w.children(name); ok {
		return synthInfo{path.Base(name), true, ago(time.Hour)}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

func (w wideFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
}

func TestWalkIsBounded(t *testing.T) {
	t.Parallel()
	h := checkstest.Host()
	h.FS = wideFS{n: maxEntries + 500}
	s, err := walkLocation(context.Background(), h, "/srv/backup")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Truncated || s.Entries > maxEntries {
		t.Errorf("walk saw %d entries, truncated=%v; want at most %d and truncated", s.Entries, s.Truncated, maxEntries)
	}
	if s.Newest.Rel == "a/b/c/d/e/deep" {
		t.Error("walk went deeper than maxDepth")
	}
	s, err = walkLocation(context.Background(), h, "/srv/backup/a/b")
	if err != nil || s.Newest.Rel != "c/d/e/deep" {
		t.Errorf("within depth: newest %q, %v", s.Newest.Rel, err)
	}
}

func TestWindowsListing(t *testing.T) {
	t.Parallel()
	h := checkstest.Host()
	h.OS = "windows"
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{
		`VIGIE_ARG_PATH=E:\Sauvegardes ` + winps.Key(walkScript): {Out: string(fixture(t, "windows/server2022-listing.json"))},
		`VIGIE_ARG_PATH=F:\ ` + winps.Key(walkScript):            {Out: string(fixture(t, "windows/listing-absent.json"))},
	}}
	cs := Checks([]string{`E:\Sauvegardes`, `F:\`})
	// One result per destination: the adviser sees that F:\ is the missing one.
	rr := run(t, findAt(cs, "backup.recent", `E:\Sauvegardes`), h)
	if rr.Status != protocol.Pass || !strings.Contains(rr.Evidence.EN, `E:\Sauvegardes: newest file 0.6 days old (WindowsImageBackup/SRV-MAIRIE/Backup 2026-11-22 200012/`) {
		t.Errorf("recent E: = %s %q", rr.Status, rr.Evidence.EN)
	}
	if rf := run(t, findAt(cs, "backup.recent", `F:\`), h); rf.Status != protocol.Warn || !strings.Contains(rf.Evidence.EN, `F:\ absent`) || strings.Contains(rf.Evidence.EN, "Sauvegardes") {
		t.Errorf("recent F: = %s %q", rf.Status, rf.Evidence.EN)
	}
	rs := run(t, findAt(cs, "backup.size", `E:\Sauvegardes`), h)
	if rs.Status != protocol.Warn || !strings.Contains(rs.Evidence.EN, "export-compta-2026-11-22.zip (5.0 MiB) is 5% of the previous one export-compta-2026-11-15.zip (100.0 MiB)") {
		t.Errorf("size = %s %q", rs.Status, rs.Evidence.EN)
	}
	// The paths reached PowerShell as data, never in the script text.
	r := h.Exec.(*checkstest.Runner)
	if len(r.Envs) != 2 {
		t.Fatalf("environments %q", r.Envs)
	}
	for _, e := range r.Envs {
		if e[0] != `VIGIE_ARG_PATH=E:\Sauvegardes` && e[0] != `VIGIE_ARG_PATH=F:\` {
			t.Errorf("environment %q", e)
		}
	}
}

func TestParseLsblkAndMountinfo(t *testing.T) {
	t.Parallel()
	disks, _, err := parseLsblk(fixture(t, "debian12/lsblk-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"8:0": {"sda"}, "8:1": {"sda"}, "8:2": {"sda"}, "254:0": {"sda"}, "254:1": {"sda"},
		"254:2": {"sda"}, "8:16": {"sdb"}, "8:17": {"sdb"}, "11:0": {"sr0"}}
	if d := cmp.Diff(want, disks); d != "" {
		t.Errorf("disks (-want +got):\n%s", d)
	}
	if _, _, err := parseLsblk([]byte("lsblk: unknown column")); err == nil {
		t.Error("garbage accepted")
	}
	ms := parseMountinfo(fixture(t, "debian12/mountinfo-server"))
	for p, want := range map[string]string{"/": "/", "/srv/data": "/srv", "/mnt/backup disk/x": "/mnt/backup disk", "/srvx": "/", "/mnt/nas": "/mnt/nas"} {
		if m, ok := mountOf(ms, p); !ok || m.Point != want {
			t.Errorf("mountOf(%q) = %q, want %q", p, m.Point, want)
		}
	}
	vm := parseMountinfo(fixture(t, "debian12/mountinfo-vm"))
	if m, _ := mountOf(vm, "/root"); m.Dev != "254:0" || m.FSType != "ext4" {
		t.Errorf("vm root mount = %+v", m)
	}
}

func TestSeparateDisk(t *testing.T) {
	t.Parallel()
	base := fstest.MapFS{
		"proc/self/mountinfo": {Data: fixture(t, "debian12/mountinfo-server")},
		"srv/data/f":          {},
		"home/u/f":            {},
		"var/lib/x":           {},
		"srv/backup/f":        {},
		"var/backups/local/f": {},
		"mnt/backup disk/f":   {},
		"mnt/nas/f":           {},
	}
	lsblk := map[string]checkstest.Cmd{"lsblk -J -o NAME,MAJ:MIN,TYPE": {Out: string(fixture(t, "debian12/lsblk-server.json"))}}
	tests := []struct {
		path string
		cmds map[string]checkstest.Cmd
		want protocol.Status
		ev   string
	}{
		{"/srv/backup", lsblk, protocol.Warn, "/srv/backup is on the same file system as /srv (device 254:1"},
		{"/var/backups/local", lsblk, protocol.Warn, "same physical disk (sda) as /"},
		{"/var/backups/local", nil, protocol.Pass, "another disk (/dev/mapper/vg0-backup)"}, // without lsblk only file systems compare
		{"/mnt/backup disk", lsblk, protocol.Pass, "another disk (sdb)"},
		{"/mnt/nas", lsblk, protocol.Pass, "network share nas.mairie.local:/export/backup (nfs4)"},
		{"/media/usb", lsblk, protocol.NotApplicable, "absent"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			h.FS = base
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			r := run(t, diskCheck{paths: []string{tt.path}}, h)
			if r.Status != tt.want || !strings.Contains(r.Evidence.EN, tt.ev) {
				t.Errorf("%s %q, want %s containing %q", r.Status, r.Evidence.EN, tt.want, tt.ev)
			}
		})
	}
}

func TestSeparateDiskWindows(t *testing.T) {
	t.Parallel()
	parts, err := parseWinPartitions(fixture(t, "windows/server2022-partitions.json"))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]protocol.Status{`C:\Backup`: protocol.Warn, `D:\Backup`: protocol.Warn, `e:\WindowsImageBackup`: protocol.Pass,
		`\\nas\sauvegardes`: protocol.Pass, `Z:\`: protocol.Pass, `Backup`: protocol.Error} {
		if got, ev := judgeWinDisk(p, parts); got != want {
			t.Errorf("%s: %s (%s), want %s", p, got, ev.EN, want)
		}
	}
	h := checkstest.Host()
	h.OS = "windows"
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{winps.Key(partitionsScript): {Out: string(fixture(t, "windows/server2022-partitions.json"))}}}
	r := run(t, diskCheck{paths: []string{`D:\Backup`}}, h)
	if r.Status != protocol.Warn || !strings.Contains(r.Evidence.FR, "même disque physique (disque 0) que le système C:") {
		t.Errorf("%s %q", r.Status, r.Evidence.FR)
	}
}

func TestParseSnapshots(t *testing.T) {
	t.Parallel()
	rt, rn, err := parseResticSnapshots(fixture(t, "debian12/restic-snapshots.json"))
	if err != nil || rn != 2 || !rt.Equal(time.Date(2026, 11, 23, 12, 36, 2, 542220282, time.UTC)) {
		t.Errorf("restic: %v %d %v", rt, rn, err)
	}
	bt, bn, err := parseBorgList(fixture(t, "debian12/borg-list.json"), time.UTC)
	if err != nil || bn != 2 || !bt.Equal(time.Date(2026, 11, 23, 12, 36, 5, 0, time.UTC)) {
		t.Errorf("borg: %v %d %v", bt, bn, err)
	}
	for name, want := range map[string]struct {
		t time.Time
		n int
	}{
		"windows/server2022-wbadmin-en.txt":      {time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), 2},
		"windows/server2019-fr-wbadmin.txt":      {time.Date(2026, 11, 2, 20, 0, 0, 0, time.UTC), 1},
		"windows/server2019-fr-wbadmin-none.txt": {time.Time{}, 0},
	} {
		got, n := parseWbadmin(fixture(t, name))
		if !got.Equal(want.t) || n != want.n {
			t.Errorf("%s: %v %d, want %v %d", name, got, n, want.t, want.n)
		}
	}
	st, sn, err := parseShadowCopies(fixture(t, "windows/server2022-shadowcopies.json"))
	if err != nil || sn != 2 || st.Day() != 23 {
		t.Errorf("shadow copies: %v %d %v", st, sn, err)
	}
	if _, n, err := parseShadowCopies(fixture(t, "windows/server2019-fr-shadowcopy-one.json")); err != nil || n != 1 {
		t.Errorf("single shadow copy: %d %v", n, err)
	}
	for _, bad := range []string{"{", "Fatal: wrong password", `[{"time":"yesterday"}]`} {
		if _, _, err := parseResticSnapshots([]byte(bad)); err == nil {
			t.Errorf("restic accepted %q", bad)
		}
	}
}

func TestSnapshotCheck(t *testing.T) {
	t.Parallel()
	repo := fstest.MapFS{
		"srv/restic/config":       {ModTime: ago(30 * day)},
		"srv/restic/snapshots/aa": {ModTime: ago(9 * day)},
		"srv/restic/snapshots/bb": {ModTime: ago(3 * day)},
		"srv/borg/README":         {Data: []byte("This is a Borg Backup repository.\nSee https://borgbackup.readthedocs.io/\n")},
		"srv/borg/config":         {},
		"srv/borg/index.42":       {ModTime: ago(8 * day)},
	}
	tests := []struct {
		name  string
		os    string
		paths []string
		cmds  map[string]checkstest.Cmd
		want  protocol.Status
		ev    []string
	}{
		{name: "restic readable", paths: []string{"/srv/restic"},
			cmds: map[string]checkstest.Cmd{"restic -r /srv/restic snapshots --json --no-lock --no-cache": {Out: string(fixture(t, "debian12/restic-snapshots.json"))}},
			want: protocol.Pass, ev: []string{"restic /srv/restic: latest 0.0 days ago (2026-11-23 12:36 UTC, 2 snapshots)"}},
		{name: "restic without password falls back on file dates", paths: []string{"/srv/restic"},
			cmds: map[string]checkstest.Cmd{"restic -r /srv/restic snapshots --json --no-lock --no-cache": {Code: 1}},
			want: protocol.Warn, ev: []string{"latest 3.0 days ago", "2 snapshots) (read from the repository's file dates"}},
		{name: "borg without passphrase falls back on index date", paths: []string{"/srv/borg"},
			cmds: map[string]checkstest.Cmd{"borg --bypass-lock list --json /srv/borg": {Code: 2}},
			want: protocol.Fail, ev: []string{"borg /srv/borg: latest 8.0 days ago", "count unknown"}},
		{name: "nothing to read", paths: []string{"/srv/other"}, want: protocol.NotApplicable, ev: []string{"no readable backup repository"}},
		{name: "windows 2022: wbadmin and shadow copies", os: "windows",
			cmds: map[string]checkstest.Cmd{
				"wbadmin get versions":  {Out: string(fixture(t, "windows/server2022-wbadmin-en.txt"))},
				winps.Key(shadowScript): {Out: string(fixture(t, "windows/server2022-shadowcopies.json"))},
			},
			want: protocol.Pass, ev: []string{"wbadmin: latest 0.6 days ago (2026-11-22 20:00 UTC, 2 snapshots)", "shadow copies: latest"}},
		{name: "windows 2019 fr: old wbadmin backup", os: "windows",
			cmds: map[string]checkstest.Cmd{
				"wbadmin get versions":  {Out: string(fixture(t, "windows/server2019-fr-wbadmin.txt"))},
				winps.Key(shadowScript): {Out: string(fixture(t, "windows/server2019-fr-shadowcopy-one.json"))},
			},
			want: protocol.Fail, ev: []string{"wbadmin: latest 20.6 days ago"}},
		{name: "windows: Windows Server Backup summary, last attempt failed", os: "windows",
			cmds: map[string]checkstest.Cmd{
				winps.Key(wsbScript):    {Out: winps.Envelope(`{"Installed":true,"Schedule":["21:00"],"LastSuccess":"2026-11-13T20:10:00Z","LastBackup":"2026-11-22T20:00:00Z","LastResultHR":-2147024784,"Versions":9}`, true)},
				winps.Key(shadowScript): {Out: winps.Envelope(`[]`, true)},
			},
			want: protocol.Fail, ev: []string{"Windows Server Backup: latest 9.6 days ago (2026-11-13 20:10 UTC, 9 snapshots); last attempt failed (HRESULT 0x80070070)"}},
		{name: "windows: Windows Server Backup installed, never configured", os: "windows",
			cmds: map[string]checkstest.Cmd{
				winps.Key(wsbScript):    {Out: winps.Envelope(`{"Installed":true,"Schedule":[],"LastResultHR":0,"Versions":0}`, true)},
				winps.Key(shadowScript): {Out: winps.Envelope(`[]`, true)},
			},
			want: protocol.NotApplicable, ev: []string{"no readable backup repository"}},
		{name: "windows: nothing readable", os: "windows",
			cmds: map[string]checkstest.Cmd{winps.Key(wsbScript): {Out: ""}, winps.Key(shadowScript): {Out: ""}},
			want: protocol.Error, ev: []string{"printed nothing"}},
		{name: "windows 2019 fr: shadow copies only", os: "windows",
			cmds: map[string]checkstest.Cmd{
				"wbadmin get versions":  {Out: string(fixture(t, "windows/server2019-fr-wbadmin-none.txt")), Code: 1},
				winps.Key(shadowScript): {Out: string(fixture(t, "windows/server2019-fr-shadowcopy-one.json"))},
			},
			want: protocol.Warn, ev: []string{"only shadow copies"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := checkstest.Host()
			if tt.os != "" {
				h.OS = tt.os
			}
			h.FS = repo
			h.Exec = &checkstest.Runner{Cmds: tt.cmds}
			r := run(t, snapshotCheck{paths: tt.paths}, h)
			if r.Status != tt.want {
				t.Errorf("status %s, want %s: %s", r.Status, tt.want, r.Evidence.EN)
			}
			for _, e := range tt.ev {
				if !strings.Contains(r.Evidence.EN, e) {
					t.Errorf("evidence %q lacks %q", r.Evidence.EN, e)
				}
			}
		})
	}
}

// loadRegistry reads a registry fixture: {"HKLM\\key": {"value": 1 or "s"}}.
func loadRegistry(t *testing.T, rel string) map[string]map[string]any {
	t.Helper()
	var raw map[string]map[string]any
	d := json.NewDecoder(bytes.NewReader(fixture(t, rel)))
	d.UseNumber() // FILETIMEs exceed float64's exact integers
	if err := d.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, vals := range raw {
		for n, v := range vals {
			if num, ok := v.(json.Number); ok {
				u, err := strconv.ParseUint(string(num), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				vals[n] = u
			}
		}
	}
	return raw
}

// noUserHives drops the HKU keys: nobody logged on.
func noUserHives(r map[string]map[string]any) map[string]map[string]any {
	for k := range r {
		if strings.HasPrefix(k, `HKU\`) {
			delete(r, k)
		}
	}
	return r
}
