package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// errAbsent means a configured backup location does not exist (an external
// disk unplugged, a share not mounted).
var errAbsent = errors.New("backup location absent")

// item is one file or directory below a backup location; Rel is relative to
// the location, slash-separated.
type item struct {
	Rel  string
	Dir  bool
	Size int64
	Mod  time.Time
}

// unit is one backup as the location shows it: a direct child (an archive
// file, a dated directory, rsnapshot's daily.0) with the total size and the
// newest modification time of what it holds.
type unit struct {
	Name  string
	Size  int64
	Mod   time.Time
	Files int
}

// summary is what a bounded walk of a backup location saw.
type summary struct {
	Newest    item // newest regular file
	Files     int
	Entries   int
	Truncated bool // the walk stopped at maxEntries
	Units     []unit
	Repo      string // "restic" or "borg" when the location is a repository
}

// summarize turns walked items into a summary (pure, tested apart).
func summarize(items []item, truncated bool) summary {
	s := summary{Entries: len(items), Truncated: truncated}
	units := map[string]*unit{}
	var order []string
	for _, it := range items {
		top, _, _ := strings.Cut(it.Rel, "/")
		u, ok := units[top]
		if !ok {
			u = &unit{Name: top}
			units[top] = u
			order = append(order, top)
		}
		if it.Mod.After(u.Mod) {
			u.Mod = it.Mod
		}
		if !it.Dir {
			s.Files++
			u.Files++
			u.Size += it.Size
			if s.Newest.Rel == "" || it.Mod.After(s.Newest.Mod) {
				s.Newest = it
			}
		}
	}
	for _, n := range order {
		s.Units = append(s.Units, *units[n])
	}
	sort.SliceStable(s.Units, func(i, j int) bool { return s.Units[i].Mod.After(s.Units[j].Mod) })
	s.Repo = repoKind(units)
	return s
}

// repoKind recognises restic and borg repositories by their layout: their
// size and file dates mean something else than those of plain archives.
func repoKind(units map[string]*unit) string {
	has := func(n string) bool { _, ok := units[n]; return ok }
	switch {
	case has("config") && has("snapshots") && has("keys") && has("data"):
		return "restic"
	case has("config") && has("data") && has("README"):
		for n := range units {
			if strings.HasPrefix(n, "index.") {
				return "borg"
			}
		}
	}
	return ""
}

// walkLocation lists a backup location, bounded in depth and entry count:
// through the host file system on Linux, through PowerShell on Windows (a
// backup drive is rarely the system drive the host file system is rooted at).
func walkLocation(ctx context.Context, h *checks.Host, p string) (summary, error) {
	if h.OS == "windows" {
		return walkWindows(ctx, h, p)
	}
	root, err := fsPath(p)
	if err != nil {
		return summary{}, err
	}
	fi, err := fs.Stat(h.FS, root)
	if errors.Is(err, fs.ErrNotExist) {
		return summary{}, errAbsent
	}
	if err != nil {
		return summary{}, fmt.Errorf("stat %s: %w", p, err)
	}
	if !fi.IsDir() {
		return summarize([]item{{Rel: fi.Name(), Size: fi.Size(), Mod: fi.ModTime()}}, false), nil
	}
	var items []item
	truncated := false
	err = fs.WalkDir(h.FS, root, func(name string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if name == root {
			return err // an unreadable root is an error; below it, skip
		}
		if err != nil {
			return nil
		}
		if len(items) >= maxEntries {
			truncated = true
			return fs.SkipAll
		}
		rel := strings.TrimPrefix(name, root+"/")
		if root == "." {
			rel = name
		}
		if d.IsDir() && strings.Count(rel, "/")+1 >= maxDepth {
			items = append(items, item{Rel: rel, Dir: true})
			return fs.SkipDir
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // never follow links out of the location
		}
		info, ierr := d.Info()
		if ierr != nil {
			return nil
		}
		items = append(items, item{Rel: rel, Dir: d.IsDir(), Size: info.Size(), Mod: info.ModTime()})
		return nil
	})
	if err != nil {
		return summary{}, fmt.Errorf("walk %s: %w", p, err)
	}
	return summarize(items, truncated), nil
}

// powershell runs a script with PowerShell through winps (full path, UTF-8,
// envelope) and returns its output; env carries configuration values as
// data.
func powershell(ctx context.Context, h *checks.Host, script string, env winps.Env) ([]byte, error) {
	return winps.Run(ctx, h, script, env)
}

// walkScript lists a location on Windows with UTC times in ISO 8601,
// never localised text. Depth and count are bounded as on Linux. The path
// comes from the configuration: it reaches PowerShell as data in
// $env:VIGIE_ARG_PATH, never in the script text, where a quote (ASCII or
// the typographic U+2018-U+201B PowerShell also accepts) could end the
// string and run the rest as code.
var walkScript = fmt.Sprintf(`$ErrorActionPreference='SilentlyContinue'; $p=$env:VIGIE_ARG_PATH; `+
	`if (-not $p) { throw 'VIGIE_ARG_PATH is empty' }; `+
	`if (-not (Test-Path -LiteralPath $p)) { [pscustomobject]@{exists=$false}; return }; `+
	`$root=(Get-Item -LiteralPath $p -Force).FullName.TrimEnd('\'); `+
	`$items=@(Get-ChildItem -LiteralPath $p -Recurse -Depth %d -Force | Select-Object -First %d | ForEach-Object { `+
	`[pscustomobject]@{p=$_.FullName.Substring($root.Length).TrimStart('\'); d=[bool]$_.PSIsContainer; `+
	`s=$(if ($_.PSIsContainer) {0} else {$_.Length}); t=$_.LastWriteTimeUtc.ToString('o')} }); `+
	`[pscustomobject]@{exists=$true; truncated=($items.Count -ge %d); items=$items}`,
	maxDepth-1, maxEntries, maxEntries)

type winListing struct {
	Exists    bool `json:"exists"`
	Truncated bool `json:"truncated"`
	Items     []struct {
		P string `json:"p"`
		D bool   `json:"d"`
		S int64  `json:"s"`
		T string `json:"t"`
	} `json:"items"`
}

// parseWinListing parses walkScript's output (winps' envelope around one
// listing object).
func parseWinListing(out []byte) (items []item, exists, truncated bool, err error) {
	l, _, err := winps.One[winListing](out)
	if err != nil {
		return nil, false, false, fmt.Errorf("parse listing: %w", err)
	}
	for _, it := range l.Items {
		t, err := time.Parse(time.RFC3339Nano, it.T)
		if err != nil {
			return nil, false, false, fmt.Errorf("parse listing time %q: %w", it.T, err)
		}
		items = append(items, item{Rel: strings.ReplaceAll(it.P, `\`, "/"), Dir: it.D, Size: it.S, Mod: t})
	}
	return items, l.Exists, l.Truncated, nil
}

func walkWindows(ctx context.Context, h *checks.Host, p string) (summary, error) {
	out, err := powershell(ctx, h, walkScript, winps.Env{"PATH": p})
	if err != nil {
		return summary{}, fmt.Errorf("list %s: %w", p, err)
	}
	items, exists, truncated, err := parseWinListing(out)
	if err != nil {
		return summary{}, err
	}
	if !exists {
		return summary{}, errAbsent
	}
	return summarize(items, truncated), nil
}

var digits = regexp.MustCompile(`[0-9]+`)

// kind is a unit's name with its numbers blanked, so that daily.0 and
// daily.1, or backup-2026-11-20.tar.gz and backup-2026-11-21.tar.gz, are the
// same kind, and a full archive is never compared with an incremental one.
func kind(name string) string { return digits.ReplaceAllString(name, "#") }

// base is the last element of a slash path.
func base(p string) string { return path.Base(p) }
