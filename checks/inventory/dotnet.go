package inventory

import (
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// .NET Framework is a Windows component since Windows 10 and Server 2016:
// it has no Uninstall entry, yet Microsoft's advisories name it by release
// ("Microsoft .NET Framework 3.5 et 4.8.1 versions antérieures à …"). The
// release installed is in the NDP setup keys: v4\Full's Release DWORD
// (the documented way to tell 4.8 from 4.8.1, whose Version values both
// start with 4.8) and v3.5's Install flag. The monthly .NET updates change
// neither value, so the release is all an inventory can say: the entry is
// reported with its release as version ("4.8.1"), and matching against
// the advisories' build numbers can only be probable.
const (
	keyNDP4  = `HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full`
	keyNDP35 = `HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v3.5`
)

// ndp4Releases maps the minimum Release value of each .NET Framework 4.x
// release (learn.microsoft.com, "How to: Determine which .NET Framework
// versions are installed"), newest first.
var ndp4Releases = []struct {
	min     uint64
	release string
}{
	{533320, "4.8.1"}, {528040, "4.8"}, {461808, "4.7.2"}, {461308, "4.7.1"}, {460798, "4.7"},
	{394802, "4.6.2"}, {394254, "4.6.1"}, {393295, "4.6"}, {379893, "4.5.2"}, {378675, "4.5.1"}, {378389, "4.5"},
}

// dotNetFramework returns the .NET Framework releases installed, as
// software entries "Microsoft .NET Framework 4.8.1" version "4.8.1". What
// cannot be read is simply not listed (a host without .NET 3.5 has no
// v3.5 key).
func dotNetFramework(r checks.Registry) []protocol.Package {
	var out []protocol.Package
	add := func(release string) {
		out = append(out, protocol.Package{Name: "Microsoft .NET Framework " + release, Version: release,
			Publisher: "Microsoft Corporation", Source: protocol.SourceWindowsRegistry})
	}
	if inst, err := r.Integer(keyNDP35, "Install"); err == nil && inst == 1 {
		add("3.5")
	}
	if rel, err := r.Integer(keyNDP4, "Release"); err == nil {
		for _, x := range ndp4Releases {
			if rel >= x.min {
				add(x.release)
				break
			}
		}
	}
	return out
}
