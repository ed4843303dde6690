package patch

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
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
		if p.mgr == Windows && l.ExtendedKind == "ESU" {
			return esuSupport(ctx, h, l, s, facts)
		}
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

// esuScript lists the Extended Security Updates add-ons the licensing
// service knows (products with an installed key whose name says ESU:
// "Client-ESU-Year1", "Server-ESU-Year3"...). LicenseStatus is the
// documented enum: 0 unlicensed, 1 licensed, 2-6 grace or notification.
const esuScript = `Get-CimInstance -ClassName SoftwareLicensingProduct -Filter "PartialProductKey IS NOT NULL" | Where-Object { $_.Name -match 'ESU' } | ForEach-Object { [pscustomobject]@{ Name = [string]$_.Name; ID = [string]$_.ID; LicenseStatus = [int]$_.LicenseStatus } }`

type esuProduct struct {
	Name          string
	ID            string
	LicenseStatus int
}

// esuSupport: past the standard end, Windows (10 22H2, Server 2012) gets
// security updates only with an active ESU licence. Licensed: still
// covered, a warning with the end of the programme; none or inactive: a
// failure (no more fixes); unreadable: an error, never a guess.
func esuSupport(ctx context.Context, h *checks.Host, l Lifecycle, s Support, facts map[string]any) protocol.Result {
	out, err := powershell(ctx, h, esuScript)
	var ps []esuProduct
	if err == nil {
		ps, _, err = winps.Items[esuProduct](out)
	}
	if err != nil {
		return winps.Errored(protocol.Textf("%s : support standard terminé le %s ; licence ESU (SoftwareLicensingProduct) illisible",
			"%s: standard support ended on %s; ESU licence (SoftwareLicensingProduct) unreadable", l.Product, l.StandardEnd.Format("2006-01-02")), err)
	}
	var active, inactive []string
	for _, p := range ps {
		if p.LicenseStatus == 1 {
			active = append(active, p.Name)
		} else {
			inactive = append(inactive, fmt.Sprintf("%s (LicenseStatus=%d)", p.Name, p.LicenseStatus))
		}
	}
	facts["esu_active"] = len(active) > 0
	facts["esu_products"] = len(ps)
	if len(active) > 0 {
		return checks.Warned(protocol.Textf("%s : support standard terminé le %s ; couvert par une licence ESU active (%s) jusqu'au %s au plus tard (%d jours)",
			"%s: standard support ended on %s; covered by an active ESU licence (%s) until %s at the latest (%d days)",
			l.Product, l.StandardEnd.Format("2006-01-02"), strings.Join(active, ", "), s.End.Format("2006-01-02"), s.DaysLeft), facts)
	}
	detail := protocol.Text{FR: "aucune licence ESU installée", EN: "no ESU licence installed"}
	if len(inactive) > 0 {
		detail = protocol.Textf("licence ESU inactive : %s", "ESU licence not active: %s", strings.Join(inactive, ", "))
	}
	return checks.Failed(protocol.Text{
		FR: fmt.Sprintf("%s n'a plus de correctifs de sécurité depuis le %s : %s", l.Product, l.StandardEnd.Format("2006-01-02"), detail.FR),
		EN: fmt.Sprintf("%s gets no security fixes since %s: %s", l.Product, l.StandardEnd.Format("2006-01-02"), detail.EN)}, facts)
}
