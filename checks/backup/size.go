package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// sizeCheck: the newest backup is not much smaller than the previous one of
// the same kind. A backup that suddenly shrinks often means a job that failed
// half-way, a source that was not mounted, or data already encrypted and
// deleted (CIS 11.2, ANSSI 37).
type sizeCheck struct {
	paths []string
	w     *walker
}

// shrink is the ratio below which the newest backup is "much smaller".
const shrink = 0.5

func (c sizeCheck) Meta() checks.Meta {
	return target(meta("backup.size", protocol.Medium), c.paths)
}

func (c sizeCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if len(c.paths) == 0 {
		return checks.Skipped(noPaths)
	}
	col := newCollector()
	for _, p := range c.paths {
		s, err := c.w.walk(ctx, h, p)
		switch {
		case errors.Is(err, errAbsent):
			col.add(protocol.NotApplicable, protocol.Textf("%s absent", "%s absent", p))
			continue
		case err != nil:
			col.add(protocol.Error, protocol.Textf("%s illisible : %v", "%s unreadable: %v", p, err))
			continue
		}
		st, t := judgeSize(p, s)
		col.add(st, t)
	}
	return col.result()
}

// judgeSize compares the newest backup unit with the previous one of the
// same kind (pure, tested apart).
func judgeSize(p string, s summary) (protocol.Status, protocol.Text) {
	if s.Repo != "" {
		return protocol.NotApplicable, protocol.Textf("%s : dépôt %s (déduplication : la taille ne se compare pas)",
			"%s: %s repository (deduplicated: sizes do not compare)", p, s.Repo)
	}
	if len(s.Units) == 0 {
		return protocol.NotApplicable, protocol.Textf("%s : aucune sauvegarde", "%s: no backup", p)
	}
	// Units are sorted newest first: the first unit of each kind is its
	// newest backup, the second the previous one.
	type pair struct{ newest, prev *unit }
	byKind := map[string]*pair{}
	var kinds []string
	for i := range s.Units {
		u := &s.Units[i]
		k := kind(u.Name)
		pr, ok := byKind[k]
		switch {
		case !ok:
			byKind[k] = &pair{newest: u}
			kinds = append(kinds, k)
		case pr.prev == nil && u.Size > 0:
			pr.prev = u
		}
	}
	var compared []string
	for _, k := range kinds {
		pr := byKind[k]
		if pr.prev == nil {
			continue
		}
		ratio := float64(pr.newest.Size) / float64(pr.prev.Size)
		if ratio < shrink {
			return protocol.Warn, protocol.Textf("%s : la dernière sauvegarde %s (%s) fait %.0f %% de la précédente %s (%s)",
				"%s: the newest backup %s (%s) is %.0f%% of the previous one %s (%s)",
				p, pr.newest.Name, human(pr.newest.Size), ratio*100, pr.prev.Name, human(pr.prev.Size))
		}
		compared = append(compared, fmt.Sprintf("%s (%s) / %s (%s)", pr.newest.Name, human(pr.newest.Size), pr.prev.Name, human(pr.prev.Size)))
	}
	if len(compared) > 0 {
		return protocol.Pass, protocol.Textf("%s : dernière / précédente sauvegarde : %s", "%s: newest / previous backup: %s", p, strings.Join(compared, ", "))
	}
	newest := s.Units[0]
	return protocol.NotApplicable, protocol.Textf("%s : une seule sauvegarde de ce type (%s), rien à comparer",
		"%s: a single backup of its kind (%s), nothing to compare", p, newest.Name)
}
