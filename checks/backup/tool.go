package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// toolCheck: the host makes backups. Evidence, not presence: it passes
// only when a backup is seen (files in a configured destination, a
// repository there, Windows Server Backup's last success, File History's
// last run); a tool installed (package, service, process, program) with no
// backup seen is « outil présent, aucune sauvegarde constatée » (warn), even
// with a scheduled job (a job is no backup until its destination is
// declared and holds one); nothing at all is a clear, high-severity
// finding: no backup, no recovery from ransomware (ANSSI 37, CIS 11.1,
// NIS2 21(2)(c); MonAideCyber rank 5). So the backup domain cannot pass
// until a backup is seen.
type toolCheck struct {
	paths []string // configured destinations (backup_paths)
	w     *walker  // shared with backup.recent and backup.size
}

func (toolCheck) Meta() checks.Meta { return meta("backup.tool", protocol.High) }

// tool is a backup product and the names it shows as a package, a service
// or a process (lower case; a trailing "*" is a prefix).
type tool struct {
	Name     string
	Packages []string
	Services []string // Windows service names, Linux units
	Procs    []string
}

var tools = []tool{
	{Name: "restic", Packages: []string{"restic"}, Procs: []string{"restic", "restic.exe"}},
	{Name: "BorgBackup", Packages: []string{"borgbackup", "borgmatic", "borgbackup2"}, Procs: []string{"borg", "borgmatic"}},
	{Name: "rsnapshot", Packages: []string{"rsnapshot"}, Procs: []string{"rsnapshot"}},
	{Name: "duplicity", Packages: []string{"duplicity", "deja-dup", "duply"}, Procs: []string{"duplicity", "deja-dup"}},
	{Name: "rdiff-backup", Packages: []string{"rdiff-backup"}, Procs: []string{"rdiff-backup"}},
	{Name: "Bacula", Packages: []string{"bacula-fd", "bacula-client", "bacula-director*", "bacula-console"}, Services: []string{"bacula-fd", "bacula-dir"}, Procs: []string{"bacula-fd", "bacula-dir", "bacula-sd"}},
	{Name: "Bareos", Packages: []string{"bareos-filedaemon", "bareos-director", "bareos-client", "bareos-storage"}, Services: []string{"bareos-fd", "bareos-dir"}, Procs: []string{"bareos-fd", "bareos-dir", "bareos-sd"}},
	{Name: "Veeam", Packages: []string{"veeam", "veeamsnap", "blksnap"}, Services: []string{"veeamendpointbackupsvc", "veeambackupsvc", "veeamservice", "veeamdeploysvc", "veeamtransportsvc"}, Procs: []string{"veeamservice", "veeamagent", "veeam.endpoint.service.exe", "veeam.backup.service.exe"}},
	{Name: "UrBackup", Packages: []string{"urbackup-client", "urbackup-server"}, Services: []string{"urbackupclientbackend", "urbackupwinserver"}, Procs: []string{"urbackupclientbackend", "urbackupsrv", "urbackupclientbackend.exe"}},
	{Name: "Proxmox Backup", Packages: []string{"proxmox-backup-client", "proxmox-backup-server"}, Procs: []string{"proxmox-backup-proxy", "proxmox-backup-client"}},
	{Name: "Duplicati", Packages: []string{"duplicati"}, Services: []string{"duplicati"}, Procs: []string{"duplicati.server.exe", "duplicati-server", "duplicati.windowsservice.exe"}},
	{Name: "Kopia", Packages: []string{"kopia"}, Procs: []string{"kopia", "kopia.exe"}},
	{Name: "Timeshift", Packages: []string{"timeshift"}, Procs: []string{"timeshift"}},
	{Name: "Acronis", Packages: []string{"acronis*"}, Services: []string{"acronisagent", "mms", "acrsch2svc"}, Procs: []string{"mms.exe", "acronis_agent"}},
	{Name: "Arcserve UDP", Services: []string{"arcserveudpagentservice"}, Procs: []string{"afbackend.exe"}},
	{Name: "Cobian Backup", Services: []string{"cobianbackup11", "cobianreflectorservice"}, Procs: []string{"cbservice.exe"}},
	{Name: "Veritas Backup Exec", Services: []string{"backupexecagentaccelerator", "backupexecrpcservice", "backupexecjobengine", "backupexecagentbrowser"}, Procs: []string{"beremote.exe", "beserver.exe"}},
	{Name: "Azure Backup (MARS)", Services: []string{"obengine"}, Procs: []string{"cbengine.exe"}},
	{Name: "Macrium Reflect", Services: []string{"macriumservice"}},
}

// sighting is one piece of evidence that a tool is present.
type sighting struct {
	Tool, Source, Name string
}

// matchName reports whether a lower-case name matches one of the patterns.
func matchName(name string, patterns []string) bool {
	for _, p := range patterns {
		if pre, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(name, pre) {
				return true
			}
		} else if name == p {
			return true
		}
	}
	return false
}

// detect finds the tools named by packages, services and processes (pure).
func detect(packages, services, procs []string) []sighting {
	var out []sighting
	for _, t := range tools {
		for _, src := range []struct {
			what  string
			names []string
			pats  []string
		}{{"package", packages, t.Packages}, {"service", services, t.Services}, {"process", procs, t.Procs}} {
			for _, n := range src.names {
				if matchName(strings.ToLower(n), src.pats) {
					out = append(out, sighting{t.Name, src.what, n})
					break
				}
			}
		}
	}
	return out
}

// parseDpkg reads `dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n'`
// and keeps installed packages ("ii").
func parseDpkg(out []byte) []string {
	var pkgs []string
	for _, line := range strings.Split(string(out), "\n") {
		name, status, ok := strings.Cut(line, "\t")
		if ok && strings.HasPrefix(strings.TrimSpace(status), "ii") {
			pkgs = append(pkgs, strings.TrimSpace(name))
		}
	}
	return pkgs
}

// parseLines reads one name per line (`rpm -qa --qf '%{NAME}\n'`).
func parseLines(out []byte) []string {
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if l := strings.TrimSpace(line); l != "" {
			names = append(names, l)
		}
	}
	return names
}

// parseWinServices reads servicesScript's output (winps' envelope). Disabled
// services do not count (a service left behind by an uninstalled product).
// An empty list is no data: every Windows has services.
func parseWinServices(out []byte) ([]string, error) {
	many, _, err := winps.Items[struct{ Name, State, StartMode string }](out)
	if err != nil {
		return nil, fmt.Errorf("parse services: %w", err)
	}
	if len(many) == 0 {
		return nil, errors.New("parse services: empty service list")
	}
	var names []string
	for _, s := range many {
		if s.StartMode != "Disabled" {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

const servicesScript = `Get-CimInstance Win32_Service | Select-Object Name,State,StartMode`

// cronFiles are scheduled jobs that often run backups on Linux.
var cronDirs = []string{"etc/cron.d", "etc/cron.daily", "etc/cron.weekly", "etc/systemd/system"}

var cronWords = []string{"restic", "borg", "rsnapshot", "duplicity", "rdiff-backup", "rsync", "pg_dump", "mysqldump", "tar "}

// scheduled lists cron entries and timers that mention a backup command.
func scheduled(fsys fs.FS) []string {
	var out []string
	for _, d := range cronDirs {
		ents, err := fs.ReadDir(fsys, d)
		if err != nil {
			continue
		}
		for i, e := range ents {
			if i > 500 {
				break
			}
			if e.IsDir() {
				continue
			}
			name := d + "/" + e.Name()
			if d == "etc/systemd/system" && !strings.HasSuffix(name, ".service") {
				continue
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil || len(b) > 1<<20 {
				continue
			}
			text := strings.ToLower(string(b))
			for _, w := range cronWords {
				if strings.Contains(text, w) {
					out = append(out, name)
					break
				}
			}
		}
	}
	return out
}

// fileHistoryConfig is where Windows keeps each user's File History
// configuration, on the system drive (h.FS is rooted there on Windows). It
// exists once a user has turned File History on; its age or its last run
// are not read here (backup_paths covers the destination's freshness).
const fileHistoryConfig = "Users/*/AppData/Local/Microsoft/Windows/FileHistory/Configuration/Config1.xml"

// fileHistoryUsers returns the users with a File History configuration.
func fileHistoryUsers(fsys fs.FS) []sighting {
	matches, _ := fs.Glob(fsys, fileHistoryConfig)
	var out []sighting
	for i, m := range matches {
		if i >= 50 {
			break
		}
		user := strings.Split(m, "/")[1]
		out = append(out, sighting{"Historique des fichiers (File History)", "config", user})
	}
	return out
}

// destinationsSeen lists the configured destinations that hold a backup
// (at least one file, or a restic/borg repository), with the newest file's
// time: that is a backup seen. Absent or unreadable destinations are not.
func (c toolCheck) destinationsSeen(ctx context.Context, h *checks.Host) ([]protocol.Text, time.Time) {
	if c.w == nil {
		return nil, time.Time{}
	}
	var seen []protocol.Text
	var newest time.Time
	for _, p := range c.paths {
		s, err := c.w.walk(ctx, h, p)
		if err != nil || s.Files == 0 {
			continue
		}
		when := s.Newest.Mod.UTC().Format("2006-01-02 15:04 UTC")
		if s.Repo != "" {
			seen = append(seen, protocol.Textf("dépôt %s %s (fichier le plus récent le %s)", "%s repository %s (newest file on %s)", s.Repo, p, when))
		} else {
			seen = append(seen, protocol.Textf("%s (fichier le plus récent le %s)", "%s (newest file on %s)", p, when))
		}
		newest = later(newest, s.Newest.Mod)
	}
	return seen, newest
}

func (c toolCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	var pkgs, svcs, procs []string
	var problems []string
	if h.OS == "windows" {
		return c.runWindowsTool(ctx, h)
	} else {
		out, err := h.Exec.Run(ctx, "dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\n")
		if err == nil {
			pkgs = parseDpkg(out)
		} else if errors.Is(err, checks.ErrNotFound) {
			out, err = h.Exec.Run(ctx, "rpm", "-qa", "--qf", "%{NAME}\n")
			if err == nil {
				pkgs = parseLines(out)
			}
		}
		if err != nil && !errors.Is(err, checks.ErrNotFound) {
			problems = append(problems, err.Error())
		}
	}
	if ps, err := h.Facts.Processes(ctx); err == nil {
		for _, p := range ps {
			procs = append(procs, p.Name)
		}
	} else {
		problems = append(problems, err.Error())
	}
	seen := detect(pkgs, svcs, procs)
	jobs := scheduled(h.FS)
	var names []string
	var fr, en []string
	for _, s := range seen {
		if !slices.Contains(names, s.Tool) {
			names = append(names, s.Tool)
		}
		fr = append(fr, fmt.Sprintf("%s (%s %s)", s.Tool, sourceFR[s.Source], s.Name))
		en = append(en, fmt.Sprintf("%s (%s %s)", s.Tool, sourceEN[s.Source], s.Name))
	}
	facts := map[string]any{"tools": names, "scheduled_jobs": len(jobs), "packages_seen": len(pkgs), "services_seen": len(svcs)}
	backups, newest := c.destinationsSeen(ctx, h)
	facts["backups_seen"] = len(backups)
	if !newest.IsZero() {
		facts["latest_backup"] = newest.Format(time.RFC3339)
	}
	jobsText := protocol.Text{}
	if len(jobs) > 0 {
		jobsText = protocol.Textf(" ; tâches planifiées : %s", "; scheduled jobs: %s", strings.Join(jobs, ", "))
	}
	switch {
	case len(backups) > 0:
		ev := protocol.Text{FR: "sauvegarde constatée : " + joinText(backups, "fr"), EN: "backup seen: " + joinText(backups, "en")}
		if len(seen) > 0 {
			ev.FR += " ; outils : " + strings.Join(fr, ", ")
			ev.EN += "; tools: " + strings.Join(en, ", ")
		}
		ev.FR, ev.EN = ev.FR+jobsText.FR, ev.EN+jobsText.EN
		return checks.Passed(ev, facts)
	case len(seen) > 0:
		ev := protocol.Text{
			FR: "outil présent, aucune sauvegarde constatée : " + strings.Join(fr, ", ") + jobsText.FR,
			EN: "tool present, no backup seen: " + strings.Join(en, ", ") + jobsText.EN,
		}
		if len(c.paths) == 0 {
			ev.FR += " ; aucune destination déclarée (backup_paths) : indiquez où vont les sauvegardes pour qu'elles soient constatées"
			ev.EN += "; no destination declared (backup_paths): say where backups go so that they can be seen"
		} else {
			ev.FR += fmt.Sprintf(" ; aucune sauvegarde dans %s", strings.Join(c.paths, ", "))
			ev.EN += fmt.Sprintf("; no backup in %s", strings.Join(c.paths, ", "))
		}
		return checks.Warned(ev, facts)
	case len(jobs) > 0:
		return checks.Warned(protocol.Textf("aucun outil de sauvegarde connu, mais des tâches planifiées semblent en faire : %s",
			"no known backup tool, but scheduled jobs seem to make backups: %s", strings.Join(jobs, ", ")), facts)
	}
	if len(pkgs)+len(svcs)+len(procs) == 0 && len(problems) > 0 {
		return checks.Errored(protocol.Text{FR: "inventaire impossible", EN: "inventory impossible"}, errors.New(strings.Join(problems, "; ")))
	}
	return checks.Failed(protocol.Textf("aucun outil de sauvegarde détecté (%d paquets, %d services, %d processus examinés)",
		"no backup tool detected (%d packages, %d services, %d processes examined)", len(pkgs), len(svcs), len(procs)), facts)
}

// joinText joins texts in one language.
func joinText(ts []protocol.Text, lang string) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.In(lang)
	}
	if lang == "fr" {
		return strings.Join(parts, " ; ")
	}
	return strings.Join(parts, "; ")
}

// How a sighting is named in the evidence.
var (
	sourceFR = map[string]string{"package": "paquet", "service": "service", "process": "processus", "config": "activé pour", "program": "programme", "schedule": "planifiée à"}
	sourceEN = map[string]string{"package": "package", "service": "service", "process": "process", "config": "enabled for", "program": "program", "schedule": "scheduled at"}
)

// runWindowsTool: on Windows a backup tool passes only when a backup is
// seen (Windows Server Backup's last success, File History's last run);
// a product present without a backup seen is a warning (the product may
// be installed and never configured), nothing at all a failure, and
// nothing readable an error.
func (c toolCheck) runWindowsTool(ctx context.Context, h *checks.Host) protocol.Result {
	var problems []string
	var seen []sighting
	svcRead := false
	if out, err := powershell(ctx, h, servicesScript, nil); err != nil {
		problems = append(problems, "services: "+err.Error())
	} else if svcs, err := parseWinServices(out); err != nil {
		problems = append(problems, err.Error())
	} else {
		svcRead = true
		seen = append(seen, detect(nil, svcs, nil)...)
	}
	if progs, err := installedPrograms(h.Registry); err != nil {
		problems = append(problems, "programs: "+err.Error())
	} else {
		seen = append(seen, detectPrograms(progs)...)
	}
	if ps, err := h.Facts.Processes(ctx); err == nil {
		var names []string
		for _, p := range ps {
			names = append(names, p.Name)
		}
		seen = append(seen, detect(nil, nil, names)...)
	}
	var backups []protocol.Text
	var newest time.Time
	if w, err := readWSB(ctx, h); err != nil {
		problems = append(problems, "Windows Server Backup: "+err.Error())
	} else if w.Installed {
		if len(w.Schedule) > 0 {
			seen = append(seen, sighting{"Windows Server Backup", "schedule", strings.Join(w.Schedule, ", ")})
		}
		if t, err := wsbTime(w.LastSuccess); err == nil && !t.IsZero() {
			backups = append(backups, protocol.Textf("Windows Server Backup : dernière réussite le %s", "Windows Server Backup: last success on %s", t.UTC().Format("2006-01-02 15:04 UTC")))
			newest = later(newest, t)
		}
	}
	if runs, err := fileHistoryRuns(h.Registry); err == nil {
		for _, r := range runs {
			if r.Last.IsZero() {
				continue
			}
			backups = append(backups, protocol.Textf("Historique des fichiers (%s) : dernière exécution le %s", "File History (%s): last run on %s", r.User, r.Last.Format("2006-01-02 15:04 UTC")))
			newest = later(newest, r.Last)
		}
	}
	if h.FS != nil {
		seen = append(seen, fileHistoryUsers(h.FS)...)
	}
	if dests, t := c.destinationsSeen(ctx, h); len(dests) > 0 {
		backups = append(backups, dests...)
		newest = later(newest, t)
	}
	var names, fr, en []string
	for _, s := range seen {
		if !slices.Contains(names, s.Tool) {
			names = append(names, s.Tool)
		}
		fr = append(fr, fmt.Sprintf("%s (%s %s)", s.Tool, sourceFR[s.Source], s.Name))
		en = append(en, fmt.Sprintf("%s (%s %s)", s.Tool, sourceEN[s.Source], s.Name))
	}
	facts := map[string]any{"tools": names, "backups_seen": len(backups)}
	if !newest.IsZero() {
		facts["latest_backup"] = newest.Format(time.RFC3339)
	}
	switch {
	case len(backups) > 0:
		ev := protocol.Text{FR: "sauvegarde constatée : ", EN: "backup seen: "}
		for i, b := range backups {
			if i > 0 {
				ev.FR, ev.EN = ev.FR+" ; ", ev.EN+"; "
			}
			ev.FR, ev.EN = ev.FR+b.FR, ev.EN+b.EN
		}
		if len(fr) > 0 {
			ev.FR += " ; outils : " + strings.Join(fr, ", ")
			ev.EN += "; tools: " + strings.Join(en, ", ")
		}
		return checks.Passed(ev, facts)
	case len(seen) > 0:
		return checks.Warned(protocol.Text{
			FR: fmt.Sprintf("outil présent, aucune sauvegarde constatée : %s ; vérifiez dans sa console que les sauvegardes réussissent, et déclarez leur destination (backup_paths)", strings.Join(fr, ", ")),
			EN: fmt.Sprintf("tool present, no backup seen: %s; check in its console that backups succeed, and declare their destination (backup_paths)", strings.Join(en, ", "))}, facts)
	case svcRead:
		// The service list is the inventory every product shows up in;
		// the installed programs complete it when readable.
		return checks.Failed(protocol.Text{FR: "aucun outil de sauvegarde détecté (services, programmes installés, Windows Server Backup, Historique des fichiers)",
			EN: "no backup tool detected (services, installed programs, Windows Server Backup, File History)"}, facts)
	}
	return winps.Errored(protocol.Text{FR: "inventaire des outils de sauvegarde impossible", EN: "cannot inventory backup tools"}, errors.New(strings.Join(problems, "; ")))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
