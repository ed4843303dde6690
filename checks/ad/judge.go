package ad

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// verdict is a judge's result and the lowest ANSSI level it keeps the
// domain at: a level is reached only when no control point of a lower
// level fails, so a finding that blocks level 3 leaves the domain at 3 at
// best. blocks is 0 when the result blocks nothing.
type verdict struct {
	res    protocol.Result
	blocks int
}

// Thresholds, stated in the evidence.
const (
	dormantDays      = 180 // ANSSI's dormant-account threshold (vuln_user_accounts_dormant)
	krbtgtWarnDays   = 365
	krbtgtFailDays   = 3 * 365
	privWarnCount    = 10 // enabled privileged accounts: a small entity needs a handful
	privFailCount    = 50
	dormantFailShare = 10 // percent of enabled accounts
	backupWarnDays   = 30
	backupFailDays   = 180 // the default tombstone lifetime: an older backup cannot be restored safely
	lapsWarnShare    = 90  // percent of member computers covered
	maxNamesShown    = 20
)

func ok(ev protocol.Text, facts map[string]any) verdict {
	return verdict{res: checks.Passed(ev, facts)}
}
func warn(level int, ev protocol.Text, facts map[string]any) verdict {
	return verdict{res: checks.Warned(ev, facts), blocks: level}
}
func fail(level int, ev protocol.Text, facts map[string]any) verdict {
	return verdict{res: checks.Failed(ev, facts), blocks: level}
}

// finish adds the level a result blocks to its facts.
func finish(v verdict, id string) protocol.Result {
	if v.blocks > 0 {
		if v.res.Facts == nil {
			v.res.Facts = map[string]any{}
		}
		v.res.Facts["blocks_level"] = v.blocks
	}
	if ids := anssiIDs[id]; len(ids) > 0 && v.res.Status.Applicable() {
		if v.res.Facts == nil {
			v.res.Facts = map[string]any{}
		}
		v.res.Facts["anssi_ad"] = ids
	}
	return v.res
}

// needSnap returns the snapshot, or the verdict to give without one.
func needSnap(s *state, level int) (*Snapshot, *verdict) {
	switch {
	case s.snapEr != nil:
		v := verdict{res: checks.Errored(protocol.Text{FR: "lecture de l'annuaire", EN: "reading the directory"}, s.snapEr), blocks: level}
		return nil, &v
	case s.snap == nil:
		v := verdict{res: checks.Skipped(s.snapNA)}
		return nil, &v
	}
	return s.snap, nil
}

// needDC returns the domain controller's settings, or the verdict to give
// on any other host.
func needDC(s *state, level int) (*DCConfig, *verdict) {
	switch {
	case s.dcErr != nil:
		v := verdict{res: checks.Errored(protocol.Text{FR: "lecture des réglages du contrôleur de domaine", EN: "reading the domain controller's settings"}, s.dcErr), blocks: level}
		return nil, &v
	case s.dc == nil:
		v := verdict{res: checks.Skipped(protocol.Text{
			FR: "cette machine n'est pas un contrôleur de domaine : ce contrôle lit les réglages propres au contrôleur, lancez Vigie sur chaque contrôleur",
			EN: "this host is not a domain controller: this check reads the controller's own settings, run Vigie on each controller"})}
		return nil, &v
	}
	return s.dc, nil
}

func days(now, t time.Time) int { return int(now.Sub(t).Hours() / 24) }

// names lists account names for evidence, at most maxNamesShown.
func names(as []Account) string {
	ns := make([]string, 0, len(as))
	for _, a := range as {
		n := a.Name
		if n == "" {
			n = a.DN
		}
		ns = append(ns, n)
	}
	sort.Strings(ns)
	if len(ns) > maxNamesShown {
		return strings.Join(ns[:maxNamesShown], ", ") + fmt.Sprintf(" (+%d)", len(ns)-maxNamesShown)
	}
	return strings.Join(ns, ", ")
}

func accountNames(as []Account) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	if len(out) > maxNamesShown {
		out = out[:maxNamesShown]
	}
	return out
}

// privilegedAccounts returns the accounts member (nested or primary) of a
// privileged group, plus the built-in Administrator (RID 500).
func privilegedAccounts(snap *Snapshot) []Account {
	in := map[string]bool{}
	for _, g := range snap.Groups {
		for _, m := range g.Members {
			in[strings.ToLower(m)] = true
		}
	}
	var out []Account
	for _, a := range snap.Accounts {
		if in[strings.ToLower(a.DN)] || (a.RID == 500 && strings.HasPrefix(a.SID, snap.Domain.SID+"-")) {
			out = append(out, a)
		}
	}
	return out
}

// dormant reports an enabled account unused for dormantDays: its last
// logon, or its creation when it never logged on, is older than that.
func dormant(a Account, now time.Time) bool {
	last := a.LastLogon
	if last.IsZero() {
		last = a.Created
	}
	return !last.IsZero() && days(now, last) > dormantDays
}
