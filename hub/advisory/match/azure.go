package match

import (
	"regexp"

	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/version"
)

// distTag is the distribution tag Azure Linux appends to a package's
// release ("5.15.186.1-1.cm2", "1.25.3-1.azl3"); advisories write the
// version without it. rpmvercmp would order "1-1.cm2" after "1-1" — the
// affected build itself would look newer than the affected build.
var distTag = regexp.MustCompile(`\.(?:cm[12]|azl[23])$`)

// evalAzure compares an Azure Linux or CBL-Mariner host's source RPM with
// an entry of the same release, by rpm ordering. The kernel is probable:
// the running kernel may not be the installed one, and the agent does not
// report Azure Linux's running kernel package.
func evalAzure(rule *Rule, h *host, ii int32, x Exposure) (Exposure, bool) {
	e := &rule.Parsed
	if ii < 0 || azureRelease(&h.facts) != e.Release {
		return x, false
	}
	sw := &h.items[ii].sw
	if sw.Source != alias.SourceRPM {
		return x, false
	}
	src, ver := sw.SourcePackage, sw.SourceVersion
	if src == "" {
		src, ver = sw.Name, sw.Version
	}
	if ver == "" {
		ver = sw.Version
	}
	if src != e.Line {
		return x, false
	}
	ver = distTag.ReplaceAllString(ver, "")
	rg := e.Ranges[0]
	var affected, certain bool
	if rg.Fixed != "" {
		c, err := version.Compare(version.RPM, ver, rg.Fixed)
		affected, certain = err == nil && c < 0, true
		x.FixedVersion = rg.Fixed
	} else {
		// The build MSRC lists as affected: that very build is certain;
		// an older one is affected unless it predates the flaw, which
		// the line does not say: probable.
		c, err := version.Compare(version.RPM, ver, rg.LastAffected)
		affected, certain = err == nil && c <= 0, c == 0
	}
	if !affected {
		return x, false
	}
	x.Product, x.InstalledVersion, x.Source = src, ver, alias.SourceRPM
	x.Confidence = Probable
	if certain && !rule.Kernel {
		x.Confidence = Certain
	}
	return x, true
}
