// Package backup checks that backups exist, are recent, are of a plausible
// size, live on another disk than the data they protect, and that backup
// repositories (restic, borg, Windows Server Backup) hold a recent snapshot.
// Ransomware hits entities whose backups are stale, on the same disk, or
// missing (ANSSI measure 37, CIS 11.1-11.4, NIS2 art. 21(2)(c)).
package backup

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Age thresholds for the newest backup (ANSSI 37: regular backups; daily is
// the usual practice, a week without backup is a finding).
const (
	warnAge = 2 * 24 * time.Hour
	failAge = 7 * 24 * time.Hour
)

// Bounds of every walk of a backup location: the agent never crawls a whole
// disk (ARCHITECTURE.md, "bounds every walk of the file system").
const (
	maxDepth   = 4
	maxEntries = 20000
)

var refs = protocol.Refs{ANSSI: []int{37}, CIS: []string{"11.1", "11.2", "11.3", "11.4"}, NIS2: []string{"c"}}

// Checks returns the backup checks for the configured backup locations
// (absolute paths: /srv/backup, D:\Sauvegardes, \\nas\backup). backup.recent,
// backup.size and backup.separate-disk give one result per location
// (Meta.Target = the path, like TLS endpoints), so an adviser sees which
// destination is stale; with no location, one result says none is
// configured. backup.tool and backup.snapshot look at the whole host.
func Checks(paths []string) []checks.Check {
	w := &walker{}
	out := []checks.Check{toolCheck{paths: paths, w: w}}
	if len(paths) == 0 {
		out = append(out, recentCheck{w: w}, sizeCheck{w: w}, diskCheck{})
	}
	for _, p := range paths {
		one := []string{p}
		out = append(out, recentCheck{paths: one, w: w}, sizeCheck{paths: one, w: w}, diskCheck{paths: one})
	}
	return append(out, snapshotCheck{paths: paths})
}

// target is the Meta.Target of a per-location check: its one location.
func target(m checks.Meta, paths []string) checks.Meta {
	if len(paths) == 1 {
		m.Target = paths[0]
	}
	return m
}

func meta(id string, sev protocol.Severity) checks.Meta {
	return checks.Meta{ID: id, Version: 1, Domain: protocol.DomainBackup, Severity: sev, Refs: refs}
}

// ageStatus judges the age of the newest backup.
func ageStatus(age time.Duration) protocol.Status {
	switch {
	case age > failAge:
		return protocol.Fail
	case age > warnAge:
		return protocol.Warn
	}
	return protocol.Pass
}

// worse returns the more serious of two statuses (fail > warn > pass > n/a).
func worse(a, b protocol.Status) protocol.Status {
	rank := map[protocol.Status]int{protocol.Fail: 4, protocol.Error: 3, protocol.Warn: 2, protocol.Pass: 1, protocol.NotApplicable: 0}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// days renders a duration in days with one decimal, for evidence.
func days(d time.Duration) string {
	return fmt.Sprintf("%.1f", d.Hours()/24)
}

// fsPath maps an absolute Linux path to a path in the host file system
// (rooted at "/", no leading slash).
func fsPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("backup path %q is not absolute", p)
	}
	c := strings.TrimPrefix(path.Clean(p), "/")
	if c == "" {
		c = "."
	}
	return c, nil
}

// result assembles per-path lines into one result of the worst status.
type collector struct {
	status protocol.Status
	fr, en []string
	facts  map[string]any
}

func newCollector() *collector {
	return &collector{status: protocol.NotApplicable, facts: map[string]any{}}
}

func (c *collector) add(s protocol.Status, t protocol.Text) {
	c.status = worse(c.status, s)
	c.fr = append(c.fr, t.FR)
	c.en = append(c.en, t.EN)
}

func (c *collector) result() protocol.Result {
	ev := protocol.Text{FR: strings.Join(c.fr, " ; "), EN: strings.Join(c.en, "; ")}
	if c.status == protocol.Error {
		return protocol.Result{Status: protocol.Error, Evidence: ev, Facts: c.facts}
	}
	return protocol.Result{Status: c.status, Evidence: ev, Facts: c.facts}
}

var noPaths = protocol.Text{
	FR: "aucun emplacement de sauvegarde configuré (backup.paths)",
	EN: "no backup location configured (backup.paths)",
}

// walker walks each backup location once per host and shares the summary
// between backup.recent and backup.size.
type walker struct {
	mu    sync.Mutex
	cache map[walkKey]*walkEntry
}

type walkKey struct {
	h *checks.Host
	p string
}

type walkEntry struct {
	once sync.Once
	s    summary
	err  error
}

func (w *walker) walk(ctx context.Context, h *checks.Host, p string) (summary, error) {
	w.mu.Lock()
	if w.cache == nil {
		w.cache = map[walkKey]*walkEntry{}
	}
	e, ok := w.cache[walkKey{h, p}]
	if !ok {
		e = &walkEntry{}
		w.cache[walkKey{h, p}] = e
	}
	w.mu.Unlock()
	e.once.Do(func() { e.s, e.err = walkLocation(ctx, h, p) })
	return e.s, e.err
}

// human renders a byte count for evidence (1.5 GiB).
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
