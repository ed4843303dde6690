package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// snapshotCheck: the latest snapshot of each backup repository the host can
// read (restic, borg, Windows Server Backup) is recent; Windows shadow copies
// are reported but are no backup (same disk, deleted by ransomware first).
// ANSSI 37, CIS 11.2, NIS2 21(2)(c).
type snapshotCheck struct{ paths []string }

func (snapshotCheck) Meta() checks.Meta {
	m := meta("backup.snapshot", protocol.High)
	m.Timeout = 90 * time.Second
	return m
}

// commandTimeout bounds each repository command: a repository on a slow
// share, or a tool waiting for a passphrase, must not eat the scan.
const commandTimeout = 30 * time.Second

// latest is the newest snapshot one source shows.
type latest struct {
	Source string // "restic /srv/restic", "wbadmin", "shadow copies"
	Time   time.Time
	Count  int
	How    protocol.Text // how it was read, when not from the tool itself
	Real   bool          // a real backup (not a shadow copy)
}

// parseResticSnapshots reads `restic snapshots --json`.
func parseResticSnapshots(b []byte) (time.Time, int, error) {
	var snaps []struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(b, &snaps); err != nil {
		return time.Time{}, 0, fmt.Errorf("parse restic snapshots: %w", err)
	}
	var t time.Time
	for _, s := range snaps {
		if s.Time.After(t) {
			t = s.Time
		}
	}
	return t, len(snaps), nil
}

// parseBorgList reads `borg list --json`; borg 1.x writes local times
// without a zone, which loc supplies.
func parseBorgList(b []byte, loc *time.Location) (time.Time, int, error) {
	var doc struct {
		Archives []struct {
			Start string `json:"start"`
			Time  string `json:"time"`
		} `json:"archives"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return time.Time{}, 0, fmt.Errorf("parse borg list: %w", err)
	}
	var t time.Time
	for _, a := range doc.Archives {
		s := a.Start
		if s == "" {
			s = a.Time
		}
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			at, err = time.ParseInLocation("2006-01-02T15:04:05.999999", s, loc)
		}
		if err != nil {
			return time.Time{}, 0, fmt.Errorf("parse borg time %q: %w", s, err)
		}
		if at.After(t) {
			t = at
		}
	}
	return t, len(doc.Archives), nil
}

// wbadminVersion matches a version identifier of `wbadmin get versions`:
// MM/DD/YYYY-HH:MM in UTC whatever the display language, unlike the
// localised "Backup time" line, which is never read.
var wbadminVersion = regexp.MustCompile(`\b(\d{2}/\d{2}/\d{4}-\d{2}:\d{2})\b`)

// parseWbadmin returns the latest backup version and the version count.
func parseWbadmin(b []byte) (time.Time, int) {
	var t time.Time
	n := 0
	for _, m := range wbadminVersion.FindAllStringSubmatch(string(b), -1) {
		v, err := time.Parse("01/02/2006-15:04", m[1])
		if err != nil {
			continue
		}
		n++
		if v.After(t) {
			t = v
		}
	}
	return t, n
}

const shadowScript = `Get-CimInstance Win32_ShadowCopy | ForEach-Object { [pscustomobject]@{id=$_.ID; volume=$_.VolumeName; t=$_.InstallDate.ToUniversalTime().ToString('o', $vigieCI)} }`

// parseShadowCopies reads shadowScript's output (winps' envelope; an empty
// list is data: no shadow copy).
func parseShadowCopies(b []byte) (time.Time, int, error) {
	copies, _, err := winps.Items[struct {
		T string `json:"t"`
	}](b)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("parse shadow copies: %w", err)
	}
	var t time.Time
	for _, c := range copies {
		v, err := time.Parse(time.RFC3339Nano, c.T)
		if err != nil {
			return time.Time{}, 0, fmt.Errorf("parse shadow copy time %q: %w", c.T, err)
		}
		if v.After(t) {
			t = v
		}
	}
	return t, len(copies), nil
}

// repoAt recognises a restic or borg repository at an absolute path.
func repoAt(h *checks.Host, p string) (kind, rel string) {
	rel, err := fsPath(p)
	if err != nil {
		return "", ""
	}
	if fi, err := fs.Stat(h.FS, rel+"/snapshots"); err == nil && fi.IsDir() {
		if _, err := fs.Stat(h.FS, rel+"/config"); err == nil {
			return "restic", rel
		}
	}
	if b, err := fs.ReadFile(h.FS, rel+"/README"); err == nil && strings.Contains(string(b), "Borg Backup repository") {
		return "borg", rel
	}
	return "", rel
}

// newestIn returns the newest modification time of the files in a
// directory whose names start with prefix (restic writes one file per
// snapshot in snapshots/; borg rewrites index.N at each transaction).
func newestIn(fsys fs.FS, dir, prefix string) (time.Time, int) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return time.Time{}, 0
	}
	var t time.Time
	n := 0
	for _, e := range ents {
		if e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n++
			if fi.ModTime().After(t) {
				t = fi.ModTime()
			}
		}
	}
	return t, n
}

var byFileDates = protocol.Text{
	FR: " (lu d'après les dates des fichiers du dépôt : mot de passe non disponible)",
	EN: " (read from the repository's file dates: no password available)",
}

func (c snapshotCheck) run(ctx context.Context, h *checks.Host, name string, args ...string) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	return h.Exec.Run(cctx, name, args...)
}

func (c snapshotCheck) collect(ctx context.Context, h *checks.Host) ([]latest, []string) {
	var found []latest
	var problems []string
	if h.OS == "windows" {
		return c.collectWindows(ctx, h)
	}
	sawRestic := false
	for _, p := range c.paths {
		kind, rel := repoAt(h, p)
		switch kind {
		case "restic":
			sawRestic = true
			out, err := c.run(ctx, h, "restic", "-r", p, "snapshots", "--json", "--no-lock", "--no-cache")
			if err == nil {
				t, n, perr := parseResticSnapshots(out)
				if perr == nil {
					found = append(found, latest{Source: "restic " + p, Time: t, Count: n, Real: true})
					continue
				}
				problems = append(problems, perr.Error())
			}
			if t, n := newestIn(h.FS, rel+"/snapshots", ""); n > 0 {
				found = append(found, latest{Source: "restic " + p, Time: t, Count: n, How: byFileDates, Real: true})
			} else if n == 0 && err == nil {
				found = append(found, latest{Source: "restic " + p, Real: true})
			}
		case "borg":
			out, err := c.run(ctx, h, "borg", "--bypass-lock", "list", "--json", p)
			if err == nil {
				t, n, perr := parseBorgList(out, time.Local)
				if perr == nil {
					found = append(found, latest{Source: "borg " + p, Time: t, Count: n, Real: true})
					continue
				}
				problems = append(problems, perr.Error())
			}
			if t, n := newestIn(h.FS, rel, "index."); n > 0 {
				found = append(found, latest{Source: "borg " + p, Time: t, Count: -1, How: byFileDates, Real: true})
			}
		}
	}
	if !sawRestic {
		// A repository named by the agent's environment (RESTIC_REPOSITORY
		// and RESTIC_PASSWORD_FILE): restic says so and exits when there is none.
		if out, err := c.run(ctx, h, "restic", "snapshots", "--json", "--no-lock", "--no-cache"); err == nil {
			if t, n, perr := parseResticSnapshots(out); perr == nil {
				found = append(found, latest{Source: "restic (RESTIC_REPOSITORY)", Time: t, Count: n, Real: true})
			}
		}
	}
	return found, problems
}

func (c snapshotCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	found, problems := c.collect(ctx, h)
	return judgeSnapshots(found, problems, h.Now())
}

// judgeSnapshots turns what was found into a result (pure).
func judgeSnapshots(found []latest, problems []string, now time.Time) protocol.Result {
	if len(found) == 0 {
		if len(problems) > 0 {
			return checks.Errored(protocol.Text{FR: "lecture des sauvegardes impossible", EN: "cannot read backups"}, errors.New(strings.Join(problems, "; ")))
		}
		return checks.Skipped(protocol.Text{FR: "aucun dépôt de sauvegarde lisible (restic, borg, Windows Server Backup)",
			EN: "no readable backup repository (restic, borg, Windows Server Backup)"})
	}
	col := newCollector()
	var best time.Time
	real := false
	for _, f := range found {
		if f.Time.IsZero() {
			col.add(protocol.Fail, protocol.Textf("%s : aucun instantané", "%s: no snapshot", f.Source))
			real = real || f.Real
			continue
		}
		age := now.Sub(f.Time)
		if age < 0 {
			age = 0
		}
		count := protocol.Textf("%d instantanés", "%d snapshots", f.Count)
		if f.Count < 0 {
			count = protocol.Text{FR: "nombre inconnu", EN: "count unknown"}
		}
		line := protocol.Text{
			FR: fmt.Sprintf("%s : dernier il y a %s jours (%s, %s)%s", f.Source, days(age), f.Time.UTC().Format("2006-01-02 15:04 UTC"), count.FR, f.How.FR),
			EN: fmt.Sprintf("%s: latest %s days ago (%s, %s)%s", f.Source, days(age), f.Time.UTC().Format("2006-01-02 15:04 UTC"), count.EN, f.How.EN),
		}
		if !f.Real {
			col.add(protocol.NotApplicable, line)
			continue
		}
		real = true
		col.add(ageStatus(age), line)
		if f.Time.After(best) {
			best = f.Time
		}
	}
	if !real {
		col.status = protocol.Warn
		col.fr = append(col.fr, "seulement des clichés instantanés (VSS), sur le même disque : ce n'est pas une sauvegarde")
		col.en = append(col.en, "only shadow copies (VSS), on the same disk: not a backup")
	}
	if !best.IsZero() {
		col.facts["latest_age_days"] = float64(int(now.Sub(best).Hours()/24*10)) / 10
	}
	col.facts["sources"] = len(found)
	return col.result()
}

// collectWindows: Windows Server Backup's summary (last success, last
// result) first, wbadmin's version list when the module is not there,
// File History's last run per logged-on user, and shadow copies (reported,
// never counted as a backup).
func (c snapshotCheck) collectWindows(ctx context.Context, h *checks.Host) ([]latest, []string) {
	var found []latest
	var problems []string
	w, werr := readWSB(ctx, h)
	switch {
	case werr == nil && w.Installed:
		last, err := wsbTime(w.LastSuccess)
		if err != nil {
			problems = append(problems, err.Error())
			break
		}
		l := latest{Source: "Windows Server Backup", Time: last, Count: w.Versions, Real: true}
		if w.LastResultHR != 0 {
			l.How = protocol.Textf(" ; dernière tentative en échec (HRESULT 0x%08X)", "; last attempt failed (HRESULT 0x%08X)", uint32(w.LastResultHR))
		}
		if len(w.Schedule) == 0 {
			l.How.FR += " ; aucune planification configurée"
			l.How.EN += "; no schedule configured"
		}
		if len(w.Schedule) > 0 || !last.IsZero() {
			found = append(found, l)
		}
	case werr != nil:
		problems = append(problems, "Windows Server Backup: "+werr.Error())
	}
	if werr != nil {
		// Older systems or no PowerShell: wbadmin's version identifiers.
		out, err := c.run(ctx, h, "wbadmin", "get", "versions")
		var ee *checks.ExitError
		switch {
		case err == nil || errors.As(err, &ee):
			if t, n := parseWbadmin(out); n > 0 {
				found = append(found, latest{Source: "wbadmin", Time: t, Count: n, Real: true})
			}
		case !errors.Is(err, checks.ErrNotFound):
			problems = append(problems, err.Error())
		}
	}
	if runs, err := fileHistoryRuns(h.Registry); err == nil {
		for _, r := range runs {
			found = append(found, latest{Source: "File History (" + r.User + ")", Time: r.Last, Count: -1, Real: true})
		}
	}
	out, err := powershell(ctx, h, shadowScript, nil)
	if err == nil {
		t, n, perr := parseShadowCopies(out)
		if perr != nil {
			problems = append(problems, perr.Error())
		} else if n > 0 {
			found = append(found, latest{Source: "shadow copies", Time: t, Count: n})
		}
	} else if !errors.Is(err, checks.ErrNotFound) {
		problems = append(problems, err.Error())
	}
	return found, problems
}
