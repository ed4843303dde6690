package affected

import (
	"regexp"
	"strings"
)

var (
	debianRE = regexp.MustCompile(`^Debian (?:LTS )?(buster|bullseye|bookworm|trixie|forky)(?: \((?:stable|oldstable|old|LTS)\))? versions antérieures à (\S+)$`)
	debVerRE = regexp.MustCompile(`^(?:\d+:)?\d[0-9A-Za-z.+~]*(?:-[0-9A-Za-z.+~]+)?$`)

	ubuntuRE = regexp.MustCompile(`^Ubuntu (\d\d\.\d\d)\b`)
	rhelRE   = regexp.MustCompile(`^Red Hat Enterprise Linux\b.*?\b(\d+)(?:\.\d+)?\b`)
	suseRE   = regexp.MustCompile(`^(?:SUSE Linux Enterprise|openSUSE Leap)\b.*?\b(\d+(?:\.\d+)?(?: SP\d+)?)\b`)
)

// parseDebian reads "Debian bookworm versions antérieures à 6.1.162-1" and
// "Debian LTS bullseye versions antérieures à 6.1.119-1~deb11u1": a release
// and the fixed version of the source package the title names.
func parseDebian(e *Entry, s string) {
	e.Kind = Distro
	e.Distribution = "debian"
	e.Line = "Debian"
	e.Platforms = []Platform{PlatformLinux}
	m := debianRE.FindStringSubmatch(s)
	if m == nil {
		e.Reason = "ligne Debian non reconnue (attendu « Debian <version> versions antérieures à <version du paquet> »)"
		return
	}
	e.Release = m[1]
	if !debVerRE.MatchString(m[2]) {
		e.Reason = "version de paquet Debian illisible: " + m[2]
		return
	}
	e.Ranges = []Range{{Fixed: m[2]}}
}

// parseRelease reads the Ubuntu, Red Hat and SUSE entries, which name only a
// release ("Ubuntu 22.04 LTS", "Red Hat Enterprise Linux for x86_64 -
// Extended Update Support 9.4 x86_64"). It returns false when the text is
// not such an entry (the vendor also publishes products: "Red Hat OpenShift").
func parseRelease(e *Entry, vendor, s string) bool {
	var re *regexp.Regexp
	switch strings.ToLower(vendor) {
	case "ubuntu":
		re, e.Distribution = ubuntuRE, "ubuntu"
	case "red hat":
		re, e.Distribution = rhelRE, "rhel"
	case "suse":
		re, e.Distribution = suseRE, "suse"
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		e.Distribution = ""
		return false
	}
	e.Kind = Release
	e.Line = s
	e.Release = m[1]
	e.Platforms = []Platform{PlatformLinux}
	e.All = true
	return true
}
