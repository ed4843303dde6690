package hygiene

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// logsCheck: system logs survive a reboot (journald persistent storage or a
// syslog daemon writing to disk). Volatile logs vanish exactly when they are
// needed, after a crash or an attack (ANSSI 36; CIS 8.2; NIS2 21(2)(b)).
type logsCheck struct{ procs *procCache }

func (logsCheck) Meta() checks.Meta {
	return meta("hygiene.logs-persistent", protocol.Medium, protocol.Refs{ANSSI: []int{36}, CIS: []string{"8.2"}, NIS2: []string{"b"}}, "linux")
}

// journaldStorage returns the Storage= setting of journald.conf and its
// drop-ins (last one wins, as in systemd); "auto" by default.
func journaldStorage(fsys fs.FS) string {
	storage := "auto"
	files := []string{"etc/systemd/journald.conf"}
	if m, err := fs.Glob(fsys, "etc/systemd/journald.conf.d/*.conf"); err == nil {
		slices.Sort(m)
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if v, ok := strings.CutPrefix(l, "Storage="); ok {
				storage = strings.ToLower(strings.TrimSpace(v))
			}
		}
	}
	return storage
}

var syslogDaemons = []string{"rsyslogd", "syslog-ng", "syslogd", "busybox-syslogd"}

func (c logsCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "linux" {
		return otherOS(h)
	}
	storage := journaldStorage(h.FS)
	fi, err := fs.Stat(h.FS, "var/log/journal")
	journalDir := err == nil && fi.IsDir()
	persistentJournal := storage == "persistent" || (storage == "auto" && journalDir)
	procs, _ := c.procs.processNames(ctx, h)
	var syslog []string
	for _, p := range procs {
		if slices.Contains(syslogDaemons, p) && !slices.Contains(syslog, p) {
			syslog = append(syslog, p)
		}
	}
	for _, f := range []string{"etc/rsyslog.conf", "etc/syslog-ng/syslog-ng.conf"} {
		if _, err := fs.Stat(h.FS, f); err == nil && len(syslog) == 0 && len(procs) == 0 {
			syslog = append(syslog, f) // no process list: the configuration is the best hint
		}
	}
	facts := map[string]any{"journald_storage": storage, "journal_dir": journalDir, "syslog": syslog}
	var parts []string
	if persistentJournal {
		parts = append(parts, fmt.Sprintf("journald persistent (Storage=%s, var/log/journal)", storage))
	}
	if len(syslog) > 0 {
		parts = append(parts, "syslog: "+strings.Join(syslog, ", "))
	}
	if len(parts) > 0 {
		return checks.Passed(protocol.Textf("journaux conservés sur disque : %s", "logs kept on disk: %s", strings.Join(parts, "; ")), facts)
	}
	return checks.Failed(protocol.Textf("journaux en mémoire seulement, perdus au redémarrage (journald Storage=%s, pas de var/log/journal, pas de syslog)",
		"logs in memory only, lost at reboot (journald Storage=%s, no var/log/journal, no syslog)", storage), facts)
}

// eventLogCheck: Windows keeps enough event history (Security at least
// 192 MiB, Application and System at least 32 MiB, CIS benchmark values);
// the 20 MiB default holds only days on a busy server (ANSSI 36; CIS 8.2,
// 8.3; NIS2 21(2)(b)).
type eventLogCheck struct{}

func (eventLogCheck) Meta() checks.Meta {
	return meta("hygiene.eventlog-size", protocol.Low, protocol.Refs{ANSSI: []int{36}, CIS: []string{"8.2", "8.3"}, NIS2: []string{"b"}}, "windows")
}

// eventLogScript lists the three main logs by their channel names (not
// localised). LogMode: 0 Circular, 1 AutoBackup, 2 Retain.
const eventLogScript = `Get-WinEvent -ListLog Application,System,Security | Select-Object LogName,MaximumSizeInBytes,IsEnabled,LogMode,RecordCount`

type eventLog struct {
	LogName            string
	MaximumSizeInBytes int64
	IsEnabled          bool
	LogMode            int
	RecordCount        int64
}

var minLogSize = map[string]int64{"Security": 192 << 20, "Application": 32 << 20, "System": 32 << 20}

func judgeEventLogs(ls []eventLog) protocol.Result {
	var small, off, ok []string
	facts := map[string]any{}
	for _, l := range ls {
		mib := l.MaximumSizeInBytes >> 20
		facts[strings.ToLower(l.LogName)+"_max_mib"] = mib
		switch {
		case !l.IsEnabled:
			off = append(off, l.LogName)
		case l.MaximumSizeInBytes < minLogSize[l.LogName]:
			small = append(small, fmt.Sprintf("%s %d Mio (min. %d)", l.LogName, mib, minLogSize[l.LogName]>>20))
		default:
			ok = append(ok, fmt.Sprintf("%s %d Mio", l.LogName, mib))
		}
	}
	switch {
	case len(ls) == 0:
		return checks.Errored(protocol.Text{FR: "journaux d'événements introuvables", EN: "no event log found"}, fmt.Errorf("empty output"))
	case len(off) > 0:
		return checks.Failed(protocol.Textf("journal désactivé : %s", "log disabled: %s", strings.Join(off, ", ")), facts)
	case len(small) > 0:
		ev := protocol.Textf("journaux trop petits : %s", "logs too small: %s", strings.Join(small, ", "))
		ev.EN = strings.ReplaceAll(ev.EN, "Mio", "MiB")
		return checks.Warned(ev, facts)
	}
	ev := protocol.Textf("tailles suffisantes : %s", "sizes sufficient: %s", strings.Join(ok, ", "))
	ev.EN = strings.ReplaceAll(ev.EN, "Mio", "MiB")
	return checks.Passed(ev, facts)
}

func (eventLogCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return otherOS(h)
	}
	ls, err := psNonEmpty[eventLog](ctx, h, eventLogScript, "event logs")
	if err != nil {
		return winps.Errored(protocol.Text{FR: "journaux d'événements illisibles", EN: "event logs unreadable"}, err)
	}
	return judgeEventLogs(ls)
}
