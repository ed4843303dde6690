package affected

import (
	"regexp"
	"strings"
)

// Azure Linux (azl3, release 3.0) and its predecessor CBL-Mariner (cbl2,
// release 2.0) are Microsoft's RPM distributions (AKS nodes, Azure
// appliances). Microsoft's advisories name their packages in MSRC's own
// form, which CERT-FR copies: "cbl2 kernel 5.15.186.1-1", "azl3 golang
// 1.25.3-1", "cbl2 rsync versions antérieures à 3.4.1-2", "cbl2 redis
// 6.2.18-3 versions antérieures à 6.2.20-1". The word after the release is
// the package as Azure Linux's SPECS name it, i.e. the source RPM.
//
// A version given alone is the build MSRC lists as "known affected"; the
// fix is a later build MSRC does not name in that line. It is read as the
// last affected version ("up to and including"): older builds of the
// package carry the same code, newer ones are not claimed. A version after
// "versions antérieures à" is the fixed build; a version before it only
// repeats the affected build and adds nothing.
//
// Lines that name only the release ("CBL Mariner 2.0 x64", "Azure Linux
// 3.0 ARM versions antérieures à 2.06-14"), without the package, cannot be
// matched against packages: they are release entries, like Ubuntu's
// (informational: how many hosts run the release).
var (
	azurePkgRE   = regexp.MustCompile(`^(cbl2|azl3) ([A-Za-z0-9][A-Za-z0-9._+-]*) (.+)$`)
	rpmVerPat    = `(?:\d+:)?[0-9][0-9A-Za-z.+~_^]*-[0-9A-Za-z.+~_^]+`
	azureLastRE  = regexp.MustCompile(`^(` + rpmVerPat + `)$`)
	azureFixRE   = regexp.MustCompile(`^(?:(` + rpmVerPat + `) )?versions antérieures à (` + rpmVerPat + `)$`)
	azureRelRE   = regexp.MustCompile(`^(CBL[- ]Mariner|Azure Linux) (\d+\.\d+)(?: (x64|ARM|ARM64))?(?: versions antérieures à (\S+))?$`)
	azureRelease = map[string]string{"cbl2": "2.0", "azl3": "3.0"}
)

// AzureLinux is the Distribution of Azure Linux and CBL-Mariner entries.
const AzureLinux = "azurelinux"

// parseAzure reads an Azure Linux or CBL-Mariner entry; it reports false
// when the text is not one.
func parseAzure(e *Entry, s string) bool {
	if m := azureRelRE.FindStringSubmatch(s); m != nil {
		e.Kind, e.Distribution, e.Release, e.Line = Release, AzureLinux, m[2], s
		e.Platforms = []Platform{PlatformLinux}
		e.All = true
		return true
	}
	m := azurePkgRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	e.Kind, e.Distribution, e.Release, e.Line = Distro, AzureLinux, azureRelease[m[1]], m[2]
	e.Platforms = []Platform{PlatformLinux}
	rest := m[3]
	if f := azureLastRE.FindStringSubmatch(rest); f != nil {
		e.Ranges = []Range{{LastAffected: f[1]}}
		return true
	}
	if f := azureFixRE.FindStringSubmatch(rest); f != nil {
		e.Ranges = []Range{{Fixed: f[2]}}
		return true
	}
	e.Reason = "version de paquet Azure Linux non reconnue: « " + strings.TrimSpace(rest) + " »"
	return true
}
