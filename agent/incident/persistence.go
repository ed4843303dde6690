package incident

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Persist is a way for a program to start again by itself: a cron entry,
// a systemd unit, a scheduled task, a service, a Run key.
type Persist struct {
	Kind     string    `json:"kind"` // cron, systemd, task, service, run-key
	Location string    `json:"location"`
	Name     string    `json:"name,omitempty"`
	Command  string    `json:"command,omitempty"`
	Changed  time.Time `json:"changed,omitzero"`
	// Recent: created or changed in the last 30 days — what the CSIRT
	// reads first.
	Recent bool     `json:"recent"`
	SHA256 string   `json:"sha256,omitempty"`
	Lines  []string `json:"lines,omitempty"`
}

// Persistence is the persistence collector's output; Recent counts the
// entries flagged recent.
type Persistence struct {
	Entries []Persist         `json:"entries"`
	Recent  int               `json:"recent"`
	Errors  map[string]string `json:"errors,omitempty"`
}

// Linux places where persistence lives. System unit directories under
// /usr/lib are included: a package-less unit dropped there stands out by
// its date.
var linuxCronFiles = []string{"etc/crontab", "etc/anacrontab"}
var linuxCronDirs = []string{"etc/cron.d", "etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly", "var/spool/cron/crontabs", "var/spool/cron"}
var linuxUnitDirs = []string{"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/user", "usr/lib/systemd/user", "etc/init.d", "etc/rc.local"}

// maxPersistEntries bounds one collector's listing.
const maxPersistEntries = 20000

func collectPersistence(ctx context.Context, h *checks.Host, o Options) (any, error) {
	p := &Persistence{Errors: map[string]string{}}
	if h.OS == "windows" {
		windowsPersistence(ctx, h, p)
	} else {
		linuxPersistence(ctx, h, p)
	}
	sort.SliceStable(p.Entries, func(i, j int) bool { return p.Entries[i].Recent && !p.Entries[j].Recent })
	for _, e := range p.Entries {
		if e.Recent {
			p.Recent++
		}
	}
	if len(p.Entries) == 0 && len(p.Errors) > 0 {
		return nil, errors.New(joinErrors(p.Errors))
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	return p, nil
}

func linuxPersistence(ctx context.Context, h *checks.Host, p *Persistence) {
	hs := newHasher(h)
	add := func(kind, name string, info fs.FileInfo, cron bool) {
		if len(p.Entries) >= maxPersistEntries {
			return
		}
		e := Persist{Kind: kind, Location: "/" + name, Name: path.Base(name), Changed: info.ModTime(), Recent: isRecent(h, info.ModTime())}
		if info.Mode().IsRegular() && info.Size() < 1<<20 {
			e.SHA256, _ = hs.sum(ctx, "/"+name)
			if cron || e.Recent {
				e.Lines = activeLines(h.FS, name)
			}
		}
		p.Entries = append(p.Entries, e)
	}
	for _, f := range linuxCronFiles {
		if info, err := fs.Stat(h.FS, f); err == nil {
			add("cron", f, info, true)
		}
	}
	walk := func(kind string, dirs []string, cron bool) {
		for _, d := range dirs {
			err := fs.WalkDir(h.FS, d, func(name string, de fs.DirEntry, err error) error {
				if err != nil {
					if name == d {
						return err
					}
					return nil
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if de.IsDir() {
					// One level of sub-directories (crontabs, *.wants) is
					// enough; deeper trees are not persistence locations.
					if name != d && strings.Count(strings.TrimPrefix(name, d), "/") > 1 {
						return fs.SkipDir
					}
					return nil
				}
				info, err := de.Info()
				if err != nil {
					return nil
				}
				add(kind, name, info, cron)
				return nil
			})
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				p.Errors[d] = err.Error()
			}
		}
	}
	walk("cron", linuxCronDirs, true)
	walk("systemd", linuxUnitDirs, false)
	// Per-user units and autostart entries.
	homes, _ := fs.Glob(h.FS, "home/*")
	homes = append(homes, "root")
	var userDirs []string
	for _, hd := range homes {
		userDirs = append(userDirs, hd+"/.config/systemd/user", hd+"/.config/autostart")
	}
	walk("systemd", userDirs, false)
}

// activeLines returns a file's non-comment, non-empty lines (bounded).
func activeLines(fsys fs.FS, name string) []string {
	b, err := readCapped(fsys, name, 256<<10, false)
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() && len(out) < 200 {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Windows sources. The scheduler gives a task's registration date; Run keys
// and services carry no date PowerShell can read, so they are dated by
// their target binary (a Run key pointing at a fresh executable is exactly
// what the CSIRT looks for).
const psTasks = `Get-ScheduledTask | ForEach-Object { $d = $null; if ($_.Date) { try { $d = ([datetime]$_.Date).ToUniversalTime().ToString('o') } catch {} }; [pscustomobject]@{ path = [string]$_.TaskPath; name = [string]$_.TaskName; date = $d; author = [string]$_.Author; state = [string]$_.State; command = (@($_.Actions | ForEach-Object { ([string]$_.Execute + ' ' + [string]$_.Arguments).Trim() }) -join ' ; ') } }`

const psServices = `Get-CimInstance Win32_Service | ForEach-Object { [pscustomobject]@{ name = [string]$_.Name; display = [string]$_.DisplayName; path = [string]$_.PathName; start = [string]$_.StartMode; state = [string]$_.State; account = [string]$_.StartName } }`

const psRunKeys = `foreach ($k in 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Run','HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce','HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Run','HKCU:\SOFTWARE\Microsoft\Windows\CurrentVersion\Run','HKCU:\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce') { if (Test-Path $k) { $p = Get-ItemProperty -Path $k; foreach ($v in $p.PSObject.Properties) { if ($v.Name -notlike 'PS*') { [pscustomobject]@{ key = $k; name = [string]$v.Name; command = [string]$v.Value } } } } }`

type winTask struct {
	Path, Name, Date, Author, State, Command string
}
type winService struct {
	Name, Display, Path, Start, State, Account string
}
type winRunKey struct {
	Key, Name, Command string
}

func windowsPersistence(ctx context.Context, h *checks.Host, p *Persistence) {
	if out, err := winps.Run(ctx, h, psTasks, nil); err != nil {
		p.Errors["tasks"] = err.Error()
	} else if tasks, _, err := winps.Items[winTask](out); err != nil {
		p.Errors["tasks"] = err.Error()
	} else {
		for _, t := range tasks {
			e := Persist{Kind: "task", Location: t.Path, Name: t.Name, Command: t.Command}
			if d, err := time.Parse(time.RFC3339Nano, t.Date); err == nil {
				e.Changed = d
			}
			e.Changed = laterOf(e.Changed, binaryTime(h, t.Command))
			e.Recent = isRecent(h, e.Changed)
			p.Entries = append(p.Entries, e)
		}
	}
	if out, err := winps.Run(ctx, h, psServices, nil); err != nil {
		p.Errors["services"] = err.Error()
	} else if svcs, _, err := winps.Items[winService](out); err != nil {
		p.Errors["services"] = err.Error()
	} else {
		for _, s := range svcs {
			e := Persist{Kind: "service", Location: s.Start + "/" + s.State, Name: s.Name, Command: s.Path}
			e.Changed = binaryTime(h, s.Path)
			e.Recent = isRecent(h, e.Changed)
			p.Entries = append(p.Entries, e)
		}
	}
	if out, err := winps.Run(ctx, h, psRunKeys, nil); err != nil {
		p.Errors["run-keys"] = err.Error()
	} else if keys, _, err := winps.Items[winRunKey](out); err != nil {
		p.Errors["run-keys"] = err.Error()
	} else {
		for _, k := range keys {
			e := Persist{Kind: "run-key", Location: k.Key, Name: k.Name, Command: k.Command}
			e.Changed = binaryTime(h, k.Command)
			e.Recent = isRecent(h, e.Changed)
			p.Entries = append(p.Entries, e)
		}
	}
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// binaryTime is the modification time of the program a Windows command
// line starts, or zero when it cannot be found.
func binaryTime(h *checks.Host, cmd string) time.Time {
	exe := CommandBinary(cmd)
	if exe == "" {
		return time.Time{}
	}
	p, ok := fsPath(exe)
	if !ok {
		return time.Time{}
	}
	info, err := fs.Stat(h.FS, p)
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}

// CommandBinary extracts the program of a Windows command line: the
// quoted first word, or the longest prefix ending in .exe/.com/.bat/.cmd/.ps1
// (unquoted paths with spaces are common in services), or the first word.
func CommandBinary(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return ""
	}
	if cmd[0] == '"' {
		if end := strings.IndexByte(cmd[1:], '"'); end >= 0 {
			return cmd[1 : 1+end]
		}
		return strings.Trim(cmd, `"`)
	}
	// ASCII-only lowering keeps byte offsets (strings.ToLower may change
	// the length of non-ASCII or invalid text).
	lb := []byte(cmd)
	for i, c := range lb {
		if 'A' <= c && c <= 'Z' {
			lb[i] = c + 'a' - 'A'
		}
	}
	low := string(lb)
	for _, ext := range []string{".exe", ".com", ".bat", ".cmd", ".ps1", ".vbs", ".dll"} {
		if i := strings.Index(low, ext); i >= 0 {
			end := i + len(ext)
			if end == len(cmd) || cmd[end] == ' ' || cmd[end] == ',' {
				return cmd[:end]
			}
		}
	}
	if i := strings.IndexByte(cmd, ' '); i >= 0 {
		return cmd[:i]
	}
	return cmd
}
