package patch

import (
	"context"
	"fmt"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// osSupport fails past the end of support, warns within Horizon (180 days)
// of it and while the release lives only on an extended programme (Debian
// LTS, Ubuntu ESM, Windows ESU, RHEL ELS), saying which.
func (f *family) osSupport(ctx context.Context, h *checks.Host) protocol.Result {
	p, err := f.platform(ctx, h)
	if err != nil {
		return notApplicable(err)
	}
	var l Lifecycle
	facts := map[string]any{}
	if p.mgr == Windows {
		v, err := winVersion(h.Registry)
		if err != nil {
			return checks.Errored(protocol.Text{FR: "lecture de la version de Windows", EN: "reading the Windows version"}, err)
		}
		facts["os"], facts["build"], facts["edition"] = v.Name(), v.CurrentBuild, v.EditionID
		if l, err = LookupWindows(v); err != nil {
			return checks.Skipped(protocol.Textf("fin de support inconnue : %v", "end of support unknown: %v", err))
		}
	} else {
		facts["os"] = p.osr.Pretty()
		if l, err = LookupLinux(p.osr); err != nil {
			return checks.Skipped(protocol.Textf("fin de support inconnue : %v", "end of support unknown: %v", err))
		}
	}
	s := l.At(h.Now())
	facts["product"], facts["support"], facts["end"], facts["days_left"], facts["source"] =
		l.Product, s.State, s.End.Format("2006-01-02"), s.DaysLeft, l.Source
	end := s.End.Format("2006-01-02")
	switch s.State {
	case "supported":
		return checks.Passed(protocol.Textf("%s est maintenu jusqu'au %s (%d jours)", "%s is supported until %s (%d days)",
			l.Product, end, s.DaysLeft), facts)
	case "ending":
		return checks.Warned(protocol.Textf("%s : fin du support le %s, dans %d jours", "%s: support ends on %s, in %d days",
			l.Product, end, s.DaysLeft), facts)
	case "extended":
		ev := protocol.Textf("%s : support standard terminé le %s ; seul le support étendu %s couvre encore ce système, jusqu'au %s (%d jours)",
			"%s: standard support ended on %s; only extended support (%s) still covers it, until %s (%d days)",
			l.Product, l.StandardEnd.Format("2006-01-02"), l.ExtendedKind, end, s.DaysLeft)
		if l.ExtendedPaid {
			ev.FR += fmt.Sprintf(", et seulement avec un abonnement payant %s", l.ExtendedKind)
			ev.EN += fmt.Sprintf(", and only with a paid %s subscription", l.ExtendedKind)
		} else {
			ev.FR += ", avec moins de logiciels couverts"
			ev.EN += ", with fewer packages covered"
		}
		return checks.Warned(ev, facts)
	}
	return checks.Failed(protocol.Textf("%s n'est plus maintenu depuis le %s : plus aucun correctif de sécurité",
		"%s has been unsupported since %s: no more security fixes", l.Product, end), facts)
}
