package incident

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
)

// RecentFile is an executable modified in the last 30 days somewhere any
// user can write: where droppers and ransomware binaries land.
type RecentFile struct {
	Path     string    `json:"path"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	SHA256   string    `json:"sha256,omitempty"`
}

// RecentFiles is the recent-executables output; Truncated says a bound
// stopped the walk (the CSIRT must know the list may be incomplete).
type RecentFiles struct {
	Files     []RecentFile      `json:"files"`
	Visited   int               `json:"visited"`
	Truncated bool              `json:"truncated,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
}

const (
	maxVisited     = 200000
	maxRecentFiles = 2000
	maxDepth       = 8
)

var linuxWritable = []string{"tmp", "var/tmp", "dev/shm", "home", "root", "run/user", "var/www"}
var windowsWritable = []string{"Users", "ProgramData", "Windows/Temp", "PerfLogs"}

var winExecExt = map[string]bool{".exe": true, ".dll": true, ".scr": true, ".ps1": true, ".bat": true, ".cmd": true, ".vbs": true, ".js": true, ".hta": true, ".msi": true, ".lnk": true, ".sys": true}

func collectRecentExecutables(ctx context.Context, h *checks.Host, o Options) (any, error) {
	r := &RecentFiles{Errors: map[string]string{}}
	roots := linuxWritable
	if h.OS == "windows" {
		roots = windowsWritable
	}
	hs := newHasher(h)
	stop := errors.New("stop")
	for _, root := range roots {
		err := fs.WalkDir(h.FS, root, func(name string, de fs.DirEntry, err error) error {
			if err != nil {
				if name == root {
					return err
				}
				return nil // unreadable sub-folder: skip, keep walking
			}
			if ctx.Err() != nil {
				r.Truncated = true
				return ctx.Err()
			}
			r.Visited++
			if r.Visited > maxVisited || len(r.Files) >= maxRecentFiles {
				r.Truncated = true
				return stop
			}
			if de.IsDir() {
				if strings.Count(name, "/") >= maxDepth || skipDir(h.OS, name) {
					return fs.SkipDir
				}
				return nil
			}
			if !de.Type().IsRegular() {
				return nil
			}
			info, err := de.Info()
			if err != nil || !isRecent(h, info.ModTime()) || !executable(h.OS, name, info) {
				return nil
			}
			f := RecentFile{Path: "/" + name, Size: info.Size(), Modified: info.ModTime()}
			f.SHA256, _ = hs.sum(ctx, "/"+name)
			r.Files = append(r.Files, f)
			return nil
		})
		if err != nil && err != stop && !errors.Is(err, fs.ErrNotExist) {
			r.Errors[root] = err.Error()
		}
		if err == stop {
			break
		}
	}
	if len(r.Errors) == len(roots) && r.Visited == 0 {
		return nil, errors.New(joinErrors(r.Errors))
	}
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	return r, nil
}

// skipDir leaves out big trees that are not user-writable drop zones.
func skipDir(goos, name string) bool {
	base := path.Base(name)
	if goos == "windows" {
		return base == "WinSxS" || base == "Microsoft" && strings.HasPrefix(name, "ProgramData/Microsoft/Windows Defender")
	}
	return base == ".cache" || base == "node_modules" || base == ".git"
}

func executable(goos, name string, info fs.FileInfo) bool {
	if goos == "windows" {
		return winExecExt[strings.ToLower(path.Ext(name))]
	}
	if info.Mode().Perm()&0o111 != 0 {
		return true
	}
	switch path.Ext(name) {
	case ".sh", ".py", ".pl", ".elf", ".so":
		return true
	}
	return false
}
