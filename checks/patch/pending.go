package patch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// pendingInfo is the shared collection of pending updates.
type pendingInfo struct {
	mgr        Manager
	tool       string // apt-get, dnf, yum, Windows Update
	updates    []Update
	security   []string // names of packages with a security fix pending
	advisories int      // dnf security advisories
	listsAge   time.Duration
	listsKnown bool // apt: age of the package lists is known
	stream     bool // CentOS Stream publishes no advisories
}

func (p pendingInfo) staleLists() bool {
	return p.mgr == Apt && p.listsKnown && p.listsAge > listsStale*24*time.Hour
}

func (f *family) pending(ctx context.Context, h *checks.Host) (pendingInfo, error) {
	return once(ctx, f, h, "pending", func(ctx context.Context) (pendingInfo, error) {
		p, err := f.platform(ctx, h)
		if err != nil {
			return pendingInfo{}, err
		}
		info := pendingInfo{mgr: p.mgr}
		switch p.mgr {
		case Apt:
			info.tool = "apt-get"
			if info.updates, err = aptPending(ctx, h); err != nil {
				return info, err
			}
			info.listsAge, info.listsKnown = aptListsAge(h.FS, h.Now())
		case Dnf:
			info.tool = dnfTool(ctx, h)
			var advs []Advisory
			if info.updates, advs, err = dnfPending(ctx, h, info.tool); err != nil {
				return info, err
			}
			ids := map[string]bool{}
			names := map[string]bool{}
			for _, a := range advs {
				ids[a.ID] = true
				if !names[a.Package] {
					names[a.Package] = true
					info.security = append(info.security, a.Package)
				}
			}
			info.advisories = len(ids)
			info.stream = p.osr.ID == "centos" && strings.Contains(strings.ToLower(p.osr.Name), "stream")
			return info, nil
		case Windows:
			info.tool = "Windows Update"
			out, err := powershell(ctx, h, wuaScript)
			if err != nil {
				return info, err
			}
			if info.updates, err = ParseWUA(out); err != nil {
				return info, err
			}
		}
		for _, u := range info.updates {
			if u.Security {
				info.security = append(info.security, u.Name)
			}
		}
		return info, nil
	})
}

// names lists up to n names for evidence.
func names(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(", … (+%d)", len(list)-n)
}

func updateNames(ups []Update) []string {
	out := make([]string, len(ups))
	for i, u := range ups {
		out[i] = u.Name
	}
	return out
}

func days(d time.Duration) int { return int(d.Hours() / 24) }

var textCollect = protocol.Text{FR: "liste des mises à jour en attente", EN: "listing pending updates"}

// pendingUpdates judges the backlog: none passes, some warns, a large
// backlog (pendingFail or more) fails.
func (f *family) pendingUpdates(ctx context.Context, h *checks.Host) protocol.Result {
	if _, err := f.platform(ctx, h); err != nil {
		return notApplicable(err)
	}
	p, err := f.pending(ctx, h)
	if err != nil {
		return checks.Errored(textCollect, err)
	}
	n, s := len(p.updates), len(p.security)
	counts := protocol.PatchCounts{Manager: string(p.mgr), Pending: n, Security: s}
	if p.listsKnown {
		age := days(p.listsAge)
		counts.ListsAgeDays = &age
	}
	facts := counts.Facts(nil)
	if n == 0 {
		if p.staleLists() {
			return checks.Warned(protocol.Textf(
				"aucune mise à jour en attente selon %s, mais la liste des paquets n'a pas été rafraîchie depuis %d jours (apt-get update) : le résultat n'est pas fiable",
				"no update pending according to %s, but the package lists were last refreshed %d days ago (apt-get update): the result cannot be trusted",
				p.tool, days(p.listsAge)), facts)
		}
		return checks.Passed(protocol.Textf("aucune mise à jour en attente (%s)", "no update pending (%s)", p.tool), facts)
	}
	ev := protocol.Textf("%d mises à jour en attente (%s), dont %d de sécurité : %s",
		"%d updates pending (%s), %d of them security updates: %s",
		n, p.tool, s, names(updateNames(p.updates), 8))
	if n >= pendingFail {
		ev.FR += fmt.Sprintf(" (échec à partir de %d)", pendingFail)
		ev.EN += fmt.Sprintf(" (fails from %d)", pendingFail)
		return checks.Failed(ev, facts)
	}
	return checks.Warned(ev, facts)
}

// securityPending fails as soon as one security update waits.
func (f *family) securityPending(ctx context.Context, h *checks.Host) protocol.Result {
	if _, err := f.platform(ctx, h); err != nil {
		return notApplicable(err)
	}
	p, err := f.pending(ctx, h)
	if err != nil {
		return checks.Errored(textCollect, err)
	}
	s := len(p.security)
	counts := protocol.PatchCounts{Manager: string(p.mgr), Security: s, Pending: len(p.updates), Advisories: p.advisories}
	facts := counts.Facts(nil)
	if s == 0 {
		switch {
		case p.stream && len(p.updates) > 0:
			return checks.Warned(protocol.Textf(
				"CentOS Stream ne publie pas d'avis de sécurité : %d mises à jour en attente, dont on ne peut pas savoir lesquelles corrigent des failles",
				"CentOS Stream publishes no security advisories: %d updates pending and no way to tell which fix vulnerabilities",
				len(p.updates)), facts)
		case p.staleLists():
			return checks.Warned(protocol.Textf(
				"aucune mise à jour de sécurité en attente, mais la liste des paquets date de %d jours : le résultat n'est pas fiable",
				"no security update pending, but the package lists are %d days old: the result cannot be trusted",
				days(p.listsAge)), facts)
		}
		return checks.Passed(protocol.Textf("aucune mise à jour de sécurité en attente (%s)", "no security update pending (%s)", p.tool), facts)
	}
	ev := protocol.Textf("%d mises à jour de sécurité en attente (%s) : %s", "%d security updates pending (%s): %s",
		s, p.tool, names(p.security, 8))
	if p.advisories > 0 {
		ev.FR += fmt.Sprintf(" ; %d avis de sécurité", p.advisories)
		ev.EN += fmt.Sprintf("; %d security advisories", p.advisories)
	}
	// Windows Update tells when each update was published.
	var oldest time.Time
	for _, u := range p.updates {
		if u.Security && !u.Published.IsZero() && (oldest.IsZero() || u.Published.Before(oldest)) {
			oldest = u.Published
		}
	}
	if !oldest.IsZero() {
		age := days(h.Now().Sub(oldest))
		counts.OldestSecurityDays = &age
		facts = counts.Facts(facts)
		ev.FR += fmt.Sprintf(" ; la plus ancienne est publiée depuis %d jours", age)
		ev.EN += fmt.Sprintf("; the oldest was published %d days ago", age)
	}
	return checks.Failed(ev, facts)
}
