package inventory

import (
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Office is installed two ways, and neither Uninstall entry says the
// version that runs:
//   - MSI (Office 2010, 2013, 2016): one entry "Office16.PROPLUS" whose
//     DisplayVersion stays the RTM build (16.0.4266.1001) whatever patches
//     were applied. The version that runs is the file version of the
//     product's core binary (WINWORD.EXE), which every cumulative update
//     replaces; it is read from the install folder.
//   - Click-to-Run (Microsoft 365 Apps, 2019, 2021, 2024, and 2016 retail):
//     entries named by release ID ("O365ProPlusRetail - fr-fr"); the
//     version that runs is VersionToReport under ClickToRun\Configuration.
//
// Both get a product line (2016, 2019, LTSC 2021, 365...), which the name
// alone does not always give and the end-of-support check needs.

// msiOffice matches an MSI Office product's Uninstall key: Office16.PROPLUS.
var msiOffice = regexp.MustCompile(`^Office(1[456])\.([A-Z0-9]+)$`)

// c2rEntry matches a Click-to-Run Uninstall key: "O365ProPlusRetail - fr-fr".
var c2rEntry = regexp.MustCompile(`^([A-Za-z0-9]+(?:Retail|Volume)) - [a-z]{2,3}(?:-[a-z]{2,4})+$`)

// msiLines are the product lines of MSI Office's major versions (2019 and
// later exist only as Click-to-Run).
var msiLines = map[string]string{"14": "2010", "15": "2013", "16": "2016"}

// maxBinary bounds an Office binary read whole when the file system cannot
// read at an offset (WINWORD.EXE is 2 to 4 MB).
const maxBinary = 256 << 20

// office handles an Office entry and reports whether it was one.
func office(r checks.Registry, fsys fs.FS, root, sub string, p *protocol.Package) bool {
	if m := msiOffice.FindStringSubmatch(sub); m != nil && strings.HasPrefix(root, `HKLM\`) {
		major, sku := m[1], m[2]
		p.ProductLine = msiLines[major]
		if v := msiOfficeVersion(r, fsys, major, sku); v != "" {
			p.Version = v
		}
		return true
	}
	m := c2rEntry.FindStringSubmatch(sub)
	if m == nil || !strings.HasPrefix(root, `HKLM\`) {
		return false
	}
	if line := C2RProductLine(m[1]); line != "" {
		p.ProductLine = line
	}
	if v, err := r.String(keyC2RConfig, "VersionToReport"); err == nil && isDottedVersion(v) {
		p.Version = v
	}
	if pl, err := r.String(keyC2RConfig, "Platform"); err == nil && (pl == "x64" || pl == "x86") {
		p.Arch = pl
	}
	return true
}

// C2RProductLine names the product line of a Click-to-Run release ID:
// O365ProPlusRetail → 365, ProPlus2021Volume → LTSC 2021,
// HomeBusiness2021Retail → 2021, ProPlus2019Volume → 2019, ProPlusRetail
// (no year: Office 2016 sold as Click-to-Run) → 2016. "" when the ID is not
// a release ID.
func C2RProductLine(id string) string {
	volume := strings.HasSuffix(id, "Volume")
	if !volume && !strings.HasSuffix(id, "Retail") {
		return ""
	}
	switch {
	case strings.HasPrefix(id, "O365") || strings.Contains(id, "365"):
		return "365"
	case strings.Contains(id, "2024"):
		if volume {
			return "LTSC 2024"
		}
		return "2024"
	case strings.Contains(id, "2021"):
		if volume {
			return "LTSC 2021"
		}
		return "2021"
	case strings.Contains(id, "2019"):
		return "2019"
	}
	return "2016"
}

// msiOfficeVersion returns the file version of the product's core binary
// in its install folder (Common\InstallRoot, in either registry view), or
// "" when it cannot be read.
func msiOfficeVersion(r checks.Registry, fsys fs.FS, major, sku string) string {
	if fsys == nil {
		return ""
	}
	bins := []string{"WINWORD.EXE", "EXCEL.EXE"}
	switch {
	case strings.HasPrefix(sku, "VIS"):
		bins = []string{"VISIO.EXE"}
	case strings.HasPrefix(sku, "PRJ"):
		bins = []string{"WINPROJ.EXE"}
	}
	drive := systemDrive(r)
	for _, view := range []string{`HKLM\SOFTWARE\WOW6432Node`, `HKLM\SOFTWARE`} {
		dir, err := r.String(view+`\Microsoft\Office\`+major+`.0\Common\InstallRoot`, "Path")
		if err != nil {
			continue
		}
		rel, ok := onDrive(dir, drive)
		if !ok {
			continue
		}
		for _, b := range bins {
			if v, err := FileVersion(fsys, path.Join(rel, b)); err == nil {
				return v
			}
		}
	}
	return ""
}

// systemDrive is the drive the host's file system is rooted at ("C:").
func systemDrive(r checks.Registry) string {
	if root, err := r.String(keyCurrentVersion, "SystemRoot"); err == nil && len(root) >= 2 && root[1] == ':' {
		return strings.ToUpper(root[:2])
	}
	return "C:"
}

// onDrive turns an absolute Windows path on drive ("C:") into a path of
// the host's file system (slash-separated, no leading slash). A path on
// another drive, relative or with ".." is refused.
func onDrive(p, drive string) (string, bool) {
	if len(p) < 3 || strings.ToUpper(p[:2]) != drive || p[2] != '\\' {
		return "", false
	}
	rel := strings.Trim(strings.ReplaceAll(p[3:], `\`, "/"), "/")
	if rel == "" {
		return ".", true
	}
	if !fs.ValidPath(rel) {
		return "", false
	}
	return rel, true
}
