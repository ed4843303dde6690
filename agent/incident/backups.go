package incident

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// Backups is the shadow-copy and backup state: what the CSIRT needs to
// know whether a restore is possible — and whether an attacker deleted the
// shadow copies, a ransomware's first move.
type Backups struct {
	ShadowCopies []ShadowCopy      `json:"shadow_copies,omitempty"`
	Tools        []BackupTool      `json:"tools,omitempty"`
	Errors       map[string]string `json:"errors,omitempty"`
}

type ShadowCopy struct {
	ID      string    `json:"id"`
	Volume  string    `json:"volume"`
	Created time.Time `json:"created,omitzero"`
}

// BackupTool is a backup program found on the host, with the newest
// change to its traces (configuration or log) when there is one.
type BackupTool struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	LastChange time.Time `json:"last_change,omitzero"`
}

const psShadows = `Get-CimInstance Win32_ShadowCopy | ForEach-Object { [pscustomobject]@{ id = [string]$_.ID; volume = [string]$_.VolumeName; created = $_.InstallDate.ToUniversalTime().ToString('o') } }`

// linuxBackupTools: program -> files whose date tells when it last ran or
// was configured.
var linuxBackupTools = map[string][]string{
	"usr/bin/restic":                 {"var/log/restic.log"},
	"usr/bin/borg":                   {"var/log/borg.log"},
	"usr/bin/rsnapshot":              {"etc/rsnapshot.conf", "var/log/rsnapshot.log"},
	"usr/bin/duplicity":              nil,
	"usr/sbin/bacula-fd":             {"etc/bacula/bacula-fd.conf"},
	"usr/bin/veeamconfig":            {"var/log/veeam"},
	"usr/bin/proxmox-backup-client":  nil,
	"usr/sbin/urbackupclientbackend": {"var/log/urbackupclient.log"},
}

func collectBackups(ctx context.Context, h *checks.Host, o Options) (any, error) {
	b := &Backups{Errors: map[string]string{}}
	if h.OS == "windows" {
		out, err := winps.Run(ctx, h, psShadows, nil)
		if err != nil {
			return nil, err
		}
		list, _, err := winps.Items[struct{ ID, Volume, Created string }](out)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			sc := ShadowCopy{ID: s.ID, Volume: s.Volume}
			sc.Created, _ = time.Parse(time.RFC3339Nano, s.Created)
			b.ShadowCopies = append(b.ShadowCopies, sc)
		}
		sort.Slice(b.ShadowCopies, func(i, j int) bool { return b.ShadowCopies[i].Created.After(b.ShadowCopies[j].Created) })
	} else {
		for bin, traces := range linuxBackupTools {
			if _, err := fs.Stat(h.FS, bin); err != nil {
				continue
			}
			t := BackupTool{Name: bin[strings.LastIndexByte(bin, '/')+1:], Path: "/" + bin}
			for _, tr := range traces {
				if info, err := fs.Stat(h.FS, tr); err == nil && info.ModTime().After(t.LastChange) {
					t.LastChange = info.ModTime()
				}
			}
			b.Tools = append(b.Tools, t)
		}
		sort.Slice(b.Tools, func(i, j int) bool { return b.Tools[i].Name < b.Tools[j].Name })
	}
	if len(b.Errors) == 0 {
		b.Errors = nil
	}
	return b, nil
}

// Scorecard is the agent's own view of the host before the incident.
type Scorecard struct {
	State        json.RawMessage `json:"state"`
	LatestSigned json.RawMessage `json:"latest_signed_scorecard,omitempty"`
	LatestName   string          `json:"latest_name,omitempty"`
}

func collectScorecard(ctx context.Context, h *checks.Host, o Options) (any, error) {
	if o.StateFS == nil {
		return nil, errors.New("pas de dossier d'état de l'agent (poste jamais analysé ni enrôlé)")
	}
	st, err := readCapped(o.StateFS, "state.json", 1<<20, false)
	if err != nil {
		return nil, err
	}
	if !json.Valid(st) {
		return nil, errors.New("state.json n'est pas du JSON valide")
	}
	sc := &Scorecard{State: st}
	// The spool holds the signed scorecards not yet delivered; the newest
	// name sorts last (names start with the zero-padded sequence).
	if names, err := fs.Glob(o.StateFS, "spool/*.dsse.json"); err == nil && len(names) > 0 {
		sort.Strings(names)
		last := names[len(names)-1]
		if data, err := readCapped(o.StateFS, last, protocol.MaxEnvelopeSize, false); err == nil && json.Valid(data) {
			sc.LatestSigned, sc.LatestName = data, last
		}
	}
	return sc, nil
}
