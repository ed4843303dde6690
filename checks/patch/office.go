package patch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// IDOfficeSupport is the Office end-of-support check.
const IDOfficeSupport = "patch.office-support"

// Office and Microsoft 365 Apps end of support, read from the registry
// (this check's own reading; the software inventory lists Office apart):
//   - Click-to-Run (every Office since 2019, Microsoft 365 Apps, most 2016):
//     HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration, value
//     ProductReleaseIds (comma-separated product IDs: O365ProPlusRetail,
//     Standard2019Volume, ProPlus2021Volume, HomeBusinessRetail...) and
//     VersionToReport (16.0.build.revision);
//   - MSI (2016 and earlier): Office\<version>\Common\InstallRoot, native or
//     WOW6432Node (32-bit Office on 64-bit Windows).
//
// Dates from Microsoft's lifecycle pages (learn.microsoft.com/lifecycle,
// "Office 2016", "Office 2019", "Office LTSC 2021", "Office LTSC 2024",
// "Microsoft 365 Apps"): Office 2016 and 2019 ended on 2025-10-14, 2021
// ends on 2026-10-13, 2024 on 2029-10-09. Microsoft 365 Apps follow a
// continuous servicing model: supported while updated.

// officeLine is one Office product line and its end of support.
type officeLine struct {
	Name       string
	End        time.Time // zero: continuous servicing (Microsoft 365 Apps)
	Continuous bool
}

var (
	office2007 = officeLine{Name: "Office 2007", End: day("2017-10-10")}
	office2010 = officeLine{Name: "Office 2010", End: day("2020-10-13")}
	office2013 = officeLine{Name: "Office 2013", End: day("2023-04-11")}
	office2016 = officeLine{Name: "Office 2016", End: day("2025-10-14")}
	office2019 = officeLine{Name: "Office 2019", End: day("2025-10-14")}
	office2021 = officeLine{Name: "Office 2021", End: day("2026-10-13")}
	office2024 = officeLine{Name: "Office 2024", End: day("2029-10-09")}
	m365Apps   = officeLine{Name: "Microsoft 365 Apps", Continuous: true}
)

// msiVersions are the MSI Office versions by registry key (16.0 as MSI is
// Office 2016 only: 2019 and later exist only as Click-to-Run).
var msiVersions = []struct {
	Key  string
	Line officeLine
}{{"16.0", office2016}, {"15.0", office2013}, {"14.0", office2010}, {"12.0", office2007}}

const keyC2RConfig = `HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration`

// OfficeLineOf maps a Click-to-Run product ID to its product line: the year
// in the ID (ProPlus2019Volume, HomeBusiness2021Retail, ProPlus2024Volume),
// O365*/Microsoft365* for Microsoft 365 Apps, and the year-less retail and
// volume IDs of Office 2016 (ProPlusRetail, HomeBusinessRetail,
// VisioProRetail). Unknown IDs give false.
func OfficeLineOf(id string) (officeLine, bool) {
	l := strings.ToLower(strings.TrimSpace(id))
	switch {
	case l == "":
		return officeLine{}, false
	case strings.HasPrefix(l, "o365"), strings.HasPrefix(l, "microsoft365"):
		return m365Apps, true
	case strings.Contains(l, "2024"):
		return office2024, true
	case strings.Contains(l, "2021"):
		return office2021, true
	case strings.Contains(l, "2019"):
		return office2019, true
	case strings.Contains(l, "2016"):
		return office2016, true
	case strings.ContainsAny(l, "0123456789"):
		return officeLine{}, false // another year: not in the table
	case strings.HasSuffix(l, "retail"), strings.HasSuffix(l, "volume"):
		return office2016, true
	}
	return officeLine{}, false
}

// officeProduct is one installed product and how it was found.
type officeProduct struct {
	ID   string
	How  protocol.Text
	Line officeLine
}

// readOffice lists the installed Office products. found is false when no
// Office is installed (neither Click-to-Run nor MSI keys).
func readOffice(r checks.Registry) (prods []officeProduct, version string, unknown []string, err error) {
	ids, err := r.String(keyC2RConfig, "ProductReleaseIds")
	c2r := err == nil
	switch {
	case errors.Is(err, checks.ErrNotFound):
		// Configuration key present without ProductReleaseIds: nothing read.
		if ok, kerr := checks.KeyExists(r, keyC2RConfig); kerr != nil {
			return nil, "", nil, kerr
		} else if ok {
			return nil, "", nil, fmt.Errorf(`%s\ProductReleaseIds: %w`, keyC2RConfig, err)
		}
	case err != nil:
		return nil, "", nil, fmt.Errorf(`%s\ProductReleaseIds: %w`, keyC2RConfig, err)
	}
	if c2r {
		version, _ = r.String(keyC2RConfig, "VersionToReport")
		for _, id := range strings.Split(ids, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if l, ok := OfficeLineOf(id); ok {
				prods = append(prods, officeProduct{ID: id, How: protocol.Text{FR: "Démarrer en un clic", EN: "Click-to-Run"}, Line: l})
			} else {
				unknown = append(unknown, id)
			}
		}
		if len(prods)+len(unknown) == 0 {
			return nil, "", nil, fmt.Errorf(`%s\ProductReleaseIds est vide / is empty`, keyC2RConfig)
		}
	}
	for _, v := range msiVersions {
		if c2r && v.Key == "16.0" {
			continue // 16.0 is Click-to-Run's own version: not an MSI Office 2016
		}
		for _, root := range []string{`HKLM\SOFTWARE\Microsoft\Office\`, `HKLM\SOFTWARE\WOW6432Node\Microsoft\Office\`} {
			p, err := r.String(root+v.Key+`\Common\InstallRoot`, "Path")
			if errors.Is(err, checks.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, "", nil, fmt.Errorf(`%s%s\Common\InstallRoot\Path: %w`, root, v.Key, err)
			}
			if strings.TrimSpace(p) == "" {
				continue
			}
			prods = append(prods, officeProduct{ID: "MSI " + v.Key, How: protocol.Textf("MSI (%s)", "MSI (%s)", strings.TrimSpace(p)), Line: v.Line})
			break
		}
	}
	return prods, version, unknown, nil
}

// officeSupport fails when an installed Office product line is past its end
// of support (no more security fixes for the suite that opens every
// attachment), warns within Horizon of it, and passes for supported lines
// and Microsoft 365 Apps.
func officeSupport(_ context.Context, h *checks.Host) protocol.Result {
	if h.OS != "windows" {
		return checks.Skipped(protocol.Textf("ne concerne que Windows (%s)", "applies to Windows only (%s)", h.OS))
	}
	prods, version, unknown, err := readOffice(h.Registry)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "produits Office illisibles dans le registre", EN: "Office products unreadable in the registry"}, err)
	}
	if len(prods) == 0 && len(unknown) == 0 {
		return checks.Skipped(protocol.Text{FR: "Microsoft Office n'est pas installé (ni Démarrer en un clic, ni MSI)", EN: "Microsoft Office is not installed (neither Click-to-Run nor MSI)"})
	}
	if len(prods) == 0 {
		return checks.Skipped(protocol.Textf("gamme Office inconnue (%s) : fin de support non déterminée", "unknown Office product line (%s): end of support not determined", strings.Join(unknown, ", ")))
	}
	now := h.Now()
	status := protocol.Pass
	var fr, en, lines []string
	for _, p := range prods {
		l := p.Line
		if !slices.Contains(lines, l.Name) {
			lines = append(lines, l.Name)
		}
		if l.Continuous {
			v := ""
			if version != "" {
				v = ", version " + version
			}
			fr = append(fr, fmt.Sprintf("%s (%s%s) : mises à jour continues", p.ID, l.Name, v))
			en = append(en, fmt.Sprintf("%s (%s%s): continuous updates", p.ID, l.Name, v))
			continue
		}
		end := l.End.Format("2006-01-02")
		left := int(l.End.Sub(now).Hours() / 24)
		switch {
		case !now.Before(l.End):
			status = worseStatus(status, protocol.Fail)
			fr = append(fr, fmt.Sprintf("%s (%s, %s) : plus maintenu depuis le %s, plus aucun correctif de sécurité", p.ID, l.Name, p.How.FR, end))
			en = append(en, fmt.Sprintf("%s (%s, %s): unsupported since %s, no more security fixes", p.ID, l.Name, p.How.EN, end))
		case l.End.Sub(now) <= Horizon:
			status = worseStatus(status, protocol.Warn)
			fr = append(fr, fmt.Sprintf("%s (%s) : fin du support le %s, dans %d jours", p.ID, l.Name, end, left))
			en = append(en, fmt.Sprintf("%s (%s): support ends on %s, in %d days", p.ID, l.Name, end, left))
		default:
			fr = append(fr, fmt.Sprintf("%s (%s) : maintenu jusqu'au %s", p.ID, l.Name, end))
			en = append(en, fmt.Sprintf("%s (%s): supported until %s", p.ID, l.Name, end))
		}
	}
	if len(unknown) > 0 {
		fr = append(fr, "gamme inconnue : "+strings.Join(unknown, ", "))
		en = append(en, "unknown line: "+strings.Join(unknown, ", "))
	}
	facts := map[string]any{"office_lines": lines}
	if version != "" {
		facts["office_version"] = version
	}
	ev := protocol.Text{FR: strings.Join(fr, " ; "), EN: strings.Join(en, "; ")}
	switch status {
	case protocol.Fail:
		return checks.Failed(ev, facts)
	case protocol.Warn:
		return checks.Warned(ev, facts)
	}
	return checks.Passed(ev, facts)
}

func worseStatus(a, b protocol.Status) protocol.Status {
	rank := map[protocol.Status]int{protocol.Pass: 0, protocol.Warn: 1, protocol.Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
