// Package affected reads the "affected systems" entries of CERT-FR
// advisories: French sentences such as "FortiOS versions 7.4.x antérieures à
// 7.4.5", "Chrome versions antérieures à 145.0.7632.109/110 pour Windows et
// Mac" or "Windows Server 2016 (Server Core installation) versions
// antérieures à 10.0.14393.8688". Parse turns one into a product line,
// version ranges (or all versions), platforms, or the reason it was not
// understood; it never guesses. Which installed software a line designates
// is the alias package's job, comparing versions the version package's.
package affected

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxTextLen bounds an entry; the longest in the 2024-2025 data is under
// 400 bytes.
const MaxTextLen = 2048

// Kind of entry.
type Kind string

const (
	// Product: an application, appliance or library line.
	Product Kind = "product"
	// Windows: a Windows operating system line, compared on the OS build.
	Windows Kind = "windows"
	// Distro: a distribution's source package in one release: Debian (the
	// package is named by the advisory's title, Line is "Debian") or Azure
	// Linux / CBL-Mariner (Line is the source RPM the entry names).
	Distro Kind = "distro"
	// Release: an Ubuntu, Red Hat or SUSE entry that names only a release;
	// informational (how many hosts run it), never an exposure.
	Release Kind = "release"
)

// Platform an entry is restricted to.
type Platform string

const (
	PlatformWindows Platform = "windows"
	PlatformMac     Platform = "mac"
	PlatformLinux   Platform = "linux"
	PlatformAndroid Platform = "android"
	PlatformIOS     Platform = "ios"
)

// Entry is what one affected-systems line says.
type Entry struct {
	Text string // the description as written
	Kind Kind
	// Line is the product line as written, without versions, platforms and
	// parentheses ("FortiClientEMS", "Chrome Extended Stable", "Firefox ESR").
	Line string
	// All: every version is affected (of Ranges' branches when they have
	// one, "FortiOS 7.0 toutes versions").
	All bool
	// Ranges are the affected version ranges; a version is affected when it
	// falls in any of them.
	Ranges []Range
	// Unpatched: affected unless the latest fix is installed, with no version
	// to compare ("sans le dernier correctif de sécurité", "avant le
	// correctif du 5 août 2024"): an exposure can only be probable.
	Unpatched bool
	// NoVersion: the entry names the product and nothing else (Unpatched
	// and All are set too).
	NoVersion bool
	// Upcoming: the fix is announced but not yet published ("(à venir)").
	Upcoming bool
	// Platforms the entry is restricted to; empty means not restricted.
	Platforms []Platform
	// Arch restricts to an architecture: "x64", "x86", "arm64" (Windows
	// lines, "Office 2016 (édition 64 bits)").
	Arch string
	// Context is a qualifier the entry adds ("pour DSM 7.2"), kept for the
	// reader and not matched.
	Context string
	// Win is set on Windows lines.
	Win *WindowsLine
	// Release is the distribution release of Distro and Release entries
	// ("bookworm", "22.04", "9", "3.0").
	Release string
	// Distribution of Distro and Release entries: "debian", "ubuntu",
	// "rhel", "suse", "azurelinux" (Azure Linux and CBL-Mariner).
	Distribution string
	// Reason says why the entry was not understood; empty when it was.
	Reason string
}

// Understood reports whether the grammar read the entry completely.
func (e *Entry) Understood() bool { return e.Reason == "" }

// Range of affected versions: Introduced <= v < Fixed (or <= LastAffected),
// restricted to Branches when there are some.
type Range struct {
	// Branches restrict the range to versions of these branches ("7.4.x",
	// "1.1.1"); empty means any.
	Branches []string
	// Introduced is the first affected version; IntroducedExcl makes it
	// exclusive ("postérieures à").
	Introduced     string
	IntroducedExcl bool
	// Fixed is the first fixed version; versions before it are affected.
	// AltFixed are other builds of the same fix ("145.0.7632.109/110": 110
	// on some platforms); a version at or above any of them is fixed.
	Fixed    string
	AltFixed []string
	// LastAffected is an inclusive upper bound ("versions 4.2 à 4.4.3").
	LastAffected string
}

// WindowsLine identifies a Windows release in an advisory.
type WindowsLine struct {
	Product string // "Windows 10", "Windows 11", "Windows Server 2016", "Windows Server 2022, 23H2 Edition"
	Release string // "22H2", "1607"; empty for releases that have none
	Server  bool
	// ServerCore: the line is for Server Core installations only (and the
	// line without it for full installations only).
	ServerCore  bool
	ServicePack string
	// BaseBuild is major.minor.CurrentBuild of the release ("10.0.19045");
	// a host's os_build must start with it.
	BaseBuild string
}

var (
	spaceRE = regexp.MustCompile(`\s+`)
	parenRE = regexp.MustCompile(`\s*\([^()]*\)`)
)

func normalize(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = strings.ReplaceAll(s, "\u202f", " ")
	s = strings.ReplaceAll(s, "’", "'")
	s = spaceRE.ReplaceAllString(strings.TrimSpace(s), " ")
	return strings.TrimRight(s, " .;,")
}

// Parse reads one entry. vendor is the document's vendor name ("Microsoft",
// "Debian", "Ubuntu"...), which decides the Windows, Distro and Release
// forms; product is the document's product name ("N/A" in 40 % of entries),
// used only when the description is empty.
func Parse(vendor, product, description string) Entry {
	e := Entry{Text: description, Kind: Product}
	if len(description) > MaxTextLen {
		e.Reason = "texte trop long"
		return e
	}
	if !utf8.ValidString(description) {
		e.Reason = "texte non UTF-8"
		return e
	}
	s := normalize(description)
	if s == "" {
		e.Reason = "description vide"
		return e
	}
	switch strings.ToLower(strings.TrimSpace(vendor)) {
	case "microsoft":
		if parseAzure(&e, s) || parseDotNet(&e, s) {
			return e
		}
		if windowsStartRE.MatchString(s) {
			parseWindows(&e, s)
			return e
		}
	case "debian":
		parseDebian(&e, s)
		return e
	case "ubuntu", "red hat", "suse":
		if parseRelease(&e, vendor, s) {
			return e
		}
	}
	parseProduct(&e, s)
	return e
}
