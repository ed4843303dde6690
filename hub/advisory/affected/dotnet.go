package affected

import (
	"regexp"
	"strings"
)

// .NET Framework entries name one or several releases of the framework
// before the version clause: "Microsoft .NET Framework 3.5 et 4.8.1
// versions antérieures à 4.8.1.09277.02", "Microsoft .NET Framework
// 4.6.2/4.7/4.7.1/4.7.2 versions antérieures à 4.7.04115.01", "Microsoft
// .NET Framework 3.0 Service Pack 2". The releases are the line's branches
// — each a product of its own, installed side by side (3.5 beside 4.8) or
// replacing one another (4.8.1 replaces 4.8: a "4.8" entry is not about a
// 4.8.1 host, see alias ExactRelease). The fixed version is the build of
// Microsoft's monthly update, kept for the reader.
var (
	dotnetRelPat = `\d+\.\d+(?:\.\d+)?`
	dotnetRE     = regexp.MustCompile(`^Microsoft \.NET Framework (` + dotnetRelPat + `(?:(?: et | AND |/|, )` + dotnetRelPat + `)*)(?: Service Pack (\d+))?(?: (.+))?$`)
	dotnetSepRE  = regexp.MustCompile(` et | AND |/|, `)
	dotnetFixRE  = regexp.MustCompile(`^versions antérieures à (` + verPat + `)$`)
)

// DotNetFramework is the Line of .NET Framework entries.
const DotNetFramework = "Microsoft .NET Framework"

// parseDotNet reads a .NET Framework entry; it reports false when the text
// is not one.
func parseDotNet(e *Entry, s string) bool {
	m := dotnetRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	e.Line = DotNetFramework
	rels := dotnetSepRE.Split(m[1], -1)
	if m[2] != "" {
		e.Context = "Service Pack " + m[2]
	}
	clause := strings.TrimSpace(m[3])
	switch f := dotnetFixRE.FindStringSubmatch(clause); {
	case clause == "":
		// Only the releases: every build, no fixed version to compare.
		e.All, e.Unpatched, e.NoVersion = true, true, true
		e.Ranges = []Range{{Branches: rels}}
	case f != nil:
		e.Ranges = []Range{{Branches: rels, Fixed: f[1]}}
	default:
		e.Reason = "forme de version non reconnue: « " + clause + " »"
	}
	return true
}
