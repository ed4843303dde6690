package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// toolCheck: at least one backup tool is present on the host, seen in the
// installed packages, services, running processes or scheduled jobs. Nothing
// at all is a clear, high-severity finding: no backup, no recovery from
// ransomware (ANSSI 37, CIS 11.1, NIS2 21(2)(c); MonAideCyber rank 5).
type toolCheck struct{}

func (toolCheck) Meta() checks.Meta { return meta("backup.tool", protocol.High, 5) }

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
	{Name: "Windows Server Backup", Procs: []string{"wbengine.exe"}},
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

// parseWinServices reads `Get-CimInstance Win32_Service | Select Name,State,
// StartMode | ConvertTo-Json`: one object or an array. Disabled services do
// not count (a service left behind by an uninstalled product).
func parseWinServices(out []byte) ([]string, error) {
	var many []struct{ Name, State, StartMode string }
	trimmed := strings.TrimSpace(string(out))
	if trimmed == "" {
		return nil, nil
	}
	if strings.HasPrefix(trimmed, "{") {
		trimmed = "[" + trimmed + "]"
	}
	if err := json.Unmarshal([]byte(trimmed), &many); err != nil {
		return nil, fmt.Errorf("parse services: %w", err)
	}
	var names []string
	for _, s := range many {
		if s.StartMode != "Disabled" {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

const servicesScript = `Get-CimInstance Win32_Service | Select-Object Name,State,StartMode | ConvertTo-Json -Compress`

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

func (toolCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	var pkgs, svcs, procs []string
	var problems []string
	if h.OS == "windows" {
		out, err := powershell(ctx, h, servicesScript)
		if err == nil {
			svcs, err = parseWinServices(out)
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
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
	var jobs []string
	if h.OS != "windows" {
		jobs = scheduled(h.FS)
	} else if h.FS != nil {
		seen = append(seen, fileHistoryUsers(h.FS)...)
	}
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
	if len(seen) > 0 {
		ev := protocol.Textf("outil(s) de sauvegarde détecté(s) : %s", "backup tool(s) detected: %s", "")
		ev.FR += strings.Join(fr, ", ")
		ev.EN += strings.Join(en, ", ")
		if len(jobs) > 0 {
			ev.FR += fmt.Sprintf(" ; tâches planifiées : %s", strings.Join(jobs, ", "))
			ev.EN += fmt.Sprintf("; scheduled jobs: %s", strings.Join(jobs, ", "))
		}
		return checks.Passed(ev, facts)
	}
	if len(jobs) > 0 {
		return checks.Warned(protocol.Textf("aucun outil de sauvegarde connu, mais des tâches planifiées semblent en faire : %s",
			"no known backup tool, but scheduled jobs seem to make backups: %s", strings.Join(jobs, ", ")), facts)
	}
	if len(pkgs)+len(svcs)+len(procs) == 0 && len(problems) > 0 {
		return checks.Errored(protocol.Text{FR: "inventaire impossible", EN: "inventory impossible"}, errors.New(strings.Join(problems, "; ")))
	}
	return checks.Failed(protocol.Textf("aucun outil de sauvegarde détecté (%d paquets, %d services, %d processus examinés)",
		"no backup tool detected (%d packages, %d services, %d processes examined)", len(pkgs), len(svcs), len(procs)), facts)
}

// How a sighting is named in the evidence.
var (
	sourceFR = map[string]string{"package": "paquet", "service": "service", "process": "processus", "config": "activé pour"}
	sourceEN = map[string]string{"package": "package", "service": "service", "process": "process", "config": "enabled for"}
)
