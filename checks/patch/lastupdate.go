package patch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// lastSeen is the last successful update found on the host.
type lastSeen struct {
	when   time.Time
	found  bool
	source string // where it was read, for evidence
}

func (f *family) lastUpdateTime(ctx context.Context, h *checks.Host, p platform) (lastSeen, error) {
	switch p.mgr {
	case Apt:
		t, src, err := aptLastUpgrade(h.FS, time.Local)
		if err != nil {
			return lastSeen{}, err
		}
		return lastSeen{when: t.End, found: !t.End.IsZero(), source: src}, nil
	case Dnf:
		tool := dnfTool(ctx, h)
		out, err := h.Exec.Run(ctx, tool, "-q", "history", "list")
		if err != nil {
			return lastSeen{}, fmt.Errorf("%s history list: %w", tool, err)
		}
		ts, err := ParseDnfHistory(out, time.Local)
		if err != nil {
			return lastSeen{}, err
		}
		t, ok := LastUpgrade(ts)
		return lastSeen{when: t.End, found: ok, source: tool + " history"}, nil
	case Windows:
		out, err := powershell(ctx, h, hotfixScript)
		var psErr error
		if err == nil {
			t, id, ok, perr := ParseHotFix(out)
			if perr == nil && ok {
				return lastSeen{when: t, found: true, source: "Get-HotFix " + id}, nil
			}
			psErr = perr
		} else {
			psErr = err
		}
		// Older Windows record the last successful install here.
		s, err := h.Registry.String(keyAUResults, "LastSuccessTime")
		if err == nil {
			t, perr := time.Parse("2006-01-02 15:04:05", strings.TrimSpace(s))
			if perr != nil {
				return lastSeen{}, fmt.Errorf("LastSuccessTime %q: %w", s, perr)
			}
			return lastSeen{when: t, found: true, source: `registry WindowsUpdate\Auto Update\Results\Install`}, nil
		}
		if psErr != nil {
			return lastSeen{}, psErr
		}
		return lastSeen{source: "Get-HotFix"}, nil
	}
	return lastSeen{}, errUnknownPlatform
}

// lastUpdate judges the days since the last successful update: up to
// lastUpdateWarn passes, up to lastUpdateFail warns, beyond fails (ANSSI
// 34: security patches within one month). A host with nothing pending
// (and fresh package lists) passes whatever the date: it is up to date.
func (f *family) lastUpdate(ctx context.Context, h *checks.Host) protocol.Result {
	p, err := f.platform(ctx, h)
	if err != nil {
		return notApplicable(err)
	}
	last, err := f.lastUpdateTime(ctx, h, p)
	what := protocol.Text{FR: "date de la dernière mise à jour", EN: "date of the last update"}
	if err != nil {
		return checks.Errored(what, err) // no history, or PowerShell printed nothing: never a pass
	}
	facts := map[string]any{"manager": string(p.mgr)}
	age := -1
	if last.found {
		age = max(days(h.Now().Sub(last.when)), 0)
		facts["last_update"] = last.when.Format(time.RFC3339)
		facts["days"] = age
	}
	if last.found && age <= lastUpdateWarn {
		return checks.Passed(protocol.Textf("dernière mise à jour il y a %d jours (%s, %s)",
			"last update %d days ago (%s, %s)", age, last.when.Format("2006-01-02"), last.source), facts)
	}
	// Old or unknown: still fine if nothing is waiting.
	if pi, err := f.pending(ctx, h); err == nil && len(pi.updates) == 0 && !pi.staleLists() {
		facts["pending"] = 0
		if last.found {
			return checks.Passed(protocol.Textf("dernière mise à jour il y a %d jours, mais aucune mise à jour n'est en attente : le système est à jour",
				"last update %d days ago, but no update is pending: the system is up to date", age), facts)
		}
		return checks.Passed(protocol.Textf("aucune mise à jour enregistrée, mais aucune n'est en attente : le système est à jour",
			"no update recorded, but none is pending: the system is up to date"), facts)
	}
	if !last.found {
		return checks.Failed(protocol.Textf("aucune mise à jour réussie trouvée (%s)", "no successful update found (%s)", last.source), facts)
	}
	ev := protocol.Textf("dernière mise à jour il y a %d jours (%s, %s) ; seuils : avertissement après %d jours, échec après %d",
		"last update %d days ago (%s, %s); thresholds: warning after %d days, failure after %d",
		age, last.when.Format("2006-01-02"), last.source, lastUpdateWarn, lastUpdateFail)
	if age > lastUpdateFail {
		return checks.Failed(ev, facts)
	}
	return checks.Warned(ev, facts)
}
