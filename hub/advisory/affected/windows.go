package affected

import (
	"regexp"
	"slices"
	"strings"
)

var (
	windowsStartRE = regexp.MustCompile(`^(?:Microsoft )?Windows (?:10|11|Server \d{4})\b`)
	windowsRE      = regexp.MustCompile(`^(?:Microsoft )?Windows (10|11|Server (?:2008 R2|2008|2012 R2|2012|2016|2019|2022, 23H2 Edition|2022|2025))` +
		`(?: [Vv]ersion (\w+))?(?: pour systèmes (x64|32 bits|ARM64|Itanium))?(?: Service Pack (\d))?` +
		`( \(Server Core installation\))?(?: (?:versions )?antérieures à (\S+))?$`)
	buildRE = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// windowsBuilds maps a Windows product and release to its base build
// (major.minor.CurrentBuild): what a host's os_build starts with. A fixed
// build that does not start with it is a slip in the advisory (one 2025
// advisory gives 10.0.19044.x for 22H2) and goes to review rather than being
// compared with the wrong release.
var windowsBuilds = map[string]string{
	"Windows 10":                        "10.0.10240",
	"Windows 10 1607":                   "10.0.14393",
	"Windows 10 1809":                   "10.0.17763",
	"Windows 10 21H2":                   "10.0.19044",
	"Windows 10 22H2":                   "10.0.19045",
	"Windows 11 21H2":                   "10.0.22000",
	"Windows 11 22H2":                   "10.0.22621",
	"Windows 11 23H2":                   "10.0.22631",
	"Windows 11 24H2":                   "10.0.26100",
	"Windows 11 25H2":                   "10.0.26200",
	"Windows Server 2008":               "6.0.6003",
	"Windows Server 2008 R2":            "6.1.7601",
	"Windows Server 2012":               "6.2.9200",
	"Windows Server 2012 R2":            "6.3.9600",
	"Windows Server 2016":               "10.0.14393",
	"Windows Server 2019":               "10.0.17763",
	"Windows Server 2022":               "10.0.20348",
	"Windows Server 2022, 23H2 Edition": "10.0.25398",
	"Windows Server 2025":               "10.0.26100",
}

// WindowsBaseBuild returns the base build of a product and release as they
// are named in advisories ("Windows 10", "22H2"), and whether it is known.
func WindowsBaseBuild(product, release string) (string, bool) {
	key := product
	if release != "" {
		key += " " + strings.ToUpper(release)
	}
	b, ok := windowsBuilds[key]
	return b, ok
}

func parseWindows(e *Entry, s string) {
	e.Kind = Windows
	m := windowsRE.FindStringSubmatch(s)
	if m == nil {
		e.Reason = "ligne Windows non reconnue"
		return
	}
	w := &WindowsLine{
		Product:     "Windows " + m[1],
		Release:     strings.ToUpper(m[2]),
		Server:      strings.HasPrefix(m[1], "Server"),
		ServicePack: m[4],
		ServerCore:  m[5] != "",
	}
	e.Win = w
	e.Line = w.Product
	if w.Release != "" {
		e.Line += " Version " + w.Release
	}
	e.Platforms = []Platform{PlatformWindows}
	switch m[3] {
	case "x64":
		e.Arch = "x64"
	case "32 bits":
		e.Arch = "x86"
	case "ARM64":
		e.Arch = "arm64"
	case "Itanium":
		e.Arch = "ia64"
	}
	base, ok := WindowsBaseBuild(w.Product, w.Release)
	if !ok {
		e.Reason = "version de Windows inconnue: " + w.Product + " " + w.Release
		return
	}
	w.BaseBuild = base
	fixed := m[6]
	if fixed == "" {
		// No build given: the release is affected, no build to compare.
		e.All, e.Unpatched, e.NoVersion = true, true, true
		return
	}
	if !buildRE.MatchString(fixed) {
		e.Reason = "build corrigé illisible: " + fixed
		return
	}
	if !strings.HasPrefix(fixed, base+".") {
		other := fixed[:strings.LastIndexByte(fixed, '.')]
		if w.Server || !sharedServicing(base, other) {
			e.Reason = "build corrigé " + fixed + " incohérent avec " + e.Line + " (" + base + ")"
			return
		}
		// The same cumulative update, the same revision: the release's
		// own build at that revision.
		fixed = base + fixed[len(other):]
	}
	e.Ranges = []Range{{Fixed: fixed}}
}

// servicingFamilies are the client releases one cumulative update serves
// at the same update revision (the later releases are enablement packages
// over the first): Windows 10 21H1, 21H2 and 22H2 (KB5039211 is
// 19044.4529 and 19045.4529), Windows 11 22H2 and 23H2 (KB5058405:
// 22621.5335 and 22631.5335), Windows 11 24H2 and 25H2. The advisories
// sometimes give a sibling's build for a release ("Windows 10 Version 22H2
// … antérieures à 10.0.19043.4529"): the revision is the release's own.
// 10.0.19041 is left out: in the data it only appears with Windows
// Recovery Environment builds (19041.3920, KB5034441), not cumulative
// updates. Servers and other pairs stay in review.
var servicingFamilies = [][]string{
	{"10.0.19043", "10.0.19044", "10.0.19045"},
	{"10.0.22621", "10.0.22631"},
	{"10.0.26100", "10.0.26200"},
}

func sharedServicing(base, other string) bool {
	for _, f := range servicingFamilies {
		if slices.Contains(f, base) && slices.Contains(f, other) {
			return true
		}
	}
	return false
}
