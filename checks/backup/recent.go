package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// recentCheck: the newest file in each configured backup location is less
// than two days old (warn) and never more than seven (fail). A stale backup is
// the most common reason entities lose weeks of work to ransomware (ANSSI 37,
// CIS 11.2, NIS2 21(2)(c)).
type recentCheck struct {
	paths []string
	w     *walker
}

func (c recentCheck) Meta() checks.Meta {
	return target(meta("backup.recent", protocol.High), c.paths)
}

func (c recentCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if len(c.paths) == 0 {
		return checks.Skipped(noPaths)
	}
	col := newCollector()
	now := h.Now()
	present := 0
	for _, p := range c.paths {
		s, err := c.w.walk(ctx, h, p)
		switch {
		case errors.Is(err, errAbsent):
			col.add(protocol.Warn, protocol.Textf("%s absent (disque débranché ou partage non monté ?)",
				"%s absent (disk unplugged or share not mounted?)", p))
			continue
		case err != nil:
			col.add(protocol.Error, protocol.Textf("%s illisible : %v", "%s unreadable: %v", p, err))
			continue
		}
		present++
		if s.Files == 0 {
			col.add(protocol.Fail, protocol.Textf("%s : aucun fichier de sauvegarde", "%s: no backup file", p))
			continue
		}
		age := now.Sub(s.Newest.Mod)
		if age < 0 {
			age = 0
		}
		more := protocol.Text{}
		if s.Truncated {
			more = protocol.Textf(" (parcours arrêté à %d entrées)", " (walk stopped at %d entries)", maxEntries)
		}
		when := s.Newest.Mod.UTC().Format("2006-01-02 15:04 UTC")
		col.add(ageStatus(age), protocol.Text{
			FR: fmt.Sprintf("%s : fichier le plus récent il y a %s jours (%s, %s)%s", p, days(age), s.Newest.Rel, when, more.FR),
			EN: fmt.Sprintf("%s: newest file %s days old (%s, %s)%s", p, days(age), s.Newest.Rel, when, more.EN),
		})
		if d, ok := col.facts["newest_age_days"].(float64); !ok || age.Hours()/24 < d {
			col.facts["newest_age_days"] = float64(int(age.Hours()/24*10)) / 10
		}
	}
	col.facts["locations"] = len(c.paths)
	col.facts["present"] = present
	return col.result()
}
