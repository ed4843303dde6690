package backup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Windows collection for the backup checks: what Windows admins use.
// Windows Server Backup is read from its configured policy and its summary
// (last successful backup, last result), not from a running wbengine.exe;
// File History from each loaded user profile's last protected time; other
// products from their services and their "Programs and Features" entry.

// wsbScript reads Windows Server Backup's policy and summary. Its module
// exists only where the feature is installed; without it the object says
// Installed=false. Times are UTC ISO 8601; LastBackupResultHR is an HRESULT
// (0 = success).
const wsbScript = `if (-not (Get-Command Get-WBSummary -ErrorAction SilentlyContinue)) { [pscustomobject]@{ Installed = $false }; return }
function vigieISO($d) { if ($d -and $d.Year -gt 1900) { $d.ToUniversalTime().ToString('o', $vigieCI) } }
$s = Get-WBSummary
$p = Get-WBPolicy -ErrorAction SilentlyContinue
[pscustomobject]@{
  Installed = $true
  Schedule = @($p.Schedule | Where-Object { $_ } | ForEach-Object { $_.ToString('HH:mm', $vigieCI) })
  LastSuccess = vigieISO $s.LastSuccessfulBackupTime
  LastBackup = vigieISO $s.LastBackupTime
  LastResultHR = [int64]$s.LastBackupResultHR
  NextBackup = vigieISO $s.NextBackupTime
  Versions = [int]$s.NumberOfVersions
}`

type wsbSummary struct {
	Installed    bool
	Schedule     []string
	LastSuccess  string
	LastBackup   string
	LastResultHR int64
	NextBackup   string
	Versions     int
}

func readWSB(ctx context.Context, h *checks.Host) (wsbSummary, error) {
	out, err := powershell(ctx, h, wsbScript, nil)
	if err != nil {
		return wsbSummary{}, err
	}
	s, _, err := winps.One[wsbSummary](out)
	return s, err
}

// wsbTime parses one of the summary's times; zero when absent.
func wsbTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("Windows Server Backup time %q: %w", s, err)
	}
	return t, nil
}

// File History keeps, per user, the time up to which files are protected
// (a FILETIME) in the user's hive; the agent sees the hives of users who
// are logged on (HKU), and maps their SID to a profile folder name.
const (
	keyProfileList = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList`
	fileHistoryKey = `Software\Microsoft\Windows\CurrentVersion\FileHistory`
)

// fileHistoryRun is one user's last File History run.
type fileHistoryRun struct {
	User string
	Last time.Time
}

// filetime converts a Windows FILETIME (100 ns since 1601) to time.
func filetime(v uint64) time.Time {
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	if v < epochDiff {
		return time.Time{}
	}
	return time.Unix(0, int64(v-epochDiff)*100).UTC()
}

// fileHistoryRuns reads ProtectedUpToTime in every loaded user hive.
func fileHistoryRuns(r checks.Registry) ([]fileHistoryRun, error) {
	sids, err := r.SubKeys(`HKU`)
	if err != nil {
		return nil, err
	}
	var out []fileHistoryRun
	for _, sid := range sids {
		if !strings.HasPrefix(sid, "S-1-5-21-") || strings.HasSuffix(sid, "_Classes") {
			continue
		}
		v, err := r.Integer(`HKU\`+sid+`\`+fileHistoryKey, "ProtectedUpToTime")
		if err != nil {
			continue
		}
		user := sid[strings.LastIndex(sid, "-")+1:]
		if p, err := r.String(keyProfileList+`\`+sid, "ProfileImagePath"); err == nil {
			user = p[strings.LastIndexAny(p, `\/`)+1:]
		}
		out = append(out, fileHistoryRun{User: user, Last: filetime(v)})
	}
	return out, nil
}

// windowsProducts are backup products by the names they show in "Programs
// and Features" (DisplayName, case-insensitive substring). The names are the
// vendors' product names; a match is a product present, not a backup made.
var windowsProducts = []struct{ Tool, Name string }{
	{"Veeam", "veeam agent"},
	{"Veeam", "veeam backup"},
	{"Synology Active Backup for Business", "active backup for business"},
	{"Acronis", "acronis"},
	{"Iperius Backup", "iperius"},
	{"Veritas Backup Exec", "backup exec"},
	{"AOMEI Backupper", "aomei backupper"},
	{"Macrium Reflect", "macrium reflect"},
	{"Atempo Lina", "atempo"},
	{"Atempo Lina", "lina agent"},
	{"Azure Backup (MARS)", "microsoft azure recovery services agent"},
	{"Cobian Backup", "cobian"},
	{"UrBackup", "urbackup"},
	{"Duplicati", "duplicati"},
	{"Arcserve UDP", "arcserve"},
}

const (
	keyUninstall      = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	keyUninstallWOW64 = `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`
)

// installedPrograms reads the display names of installed programs.
func installedPrograms(r checks.Registry) ([]string, error) {
	var names []string
	found := false
	for _, root := range []string{keyUninstall, keyUninstallWOW64} {
		subs, err := r.SubKeys(root)
		if errors.Is(err, checks.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		for _, s := range subs {
			if n, err := r.String(root+`\`+s, "DisplayName"); err == nil && strings.TrimSpace(n) != "" {
				names = append(names, strings.TrimSpace(n))
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", keyUninstall, checks.ErrNotFound)
	}
	// Sorted, so the evidence and facts name products in a stable order
	// whatever order the registry (or a test's map) lists sub-keys in.
	slices.Sort(names)
	return names, nil
}

// detectPrograms matches installed programs against windowsProducts.
func detectPrograms(programs []string) []sighting {
	var out []sighting
	seen := map[string]bool{}
	for _, p := range programs {
		l := strings.ToLower(p)
		for _, w := range windowsProducts {
			if strings.Contains(l, w.Name) && !seen[w.Tool] {
				seen[w.Tool] = true
				out = append(out, sighting{w.Tool, "program", p})
			}
		}
	}
	return out
}
