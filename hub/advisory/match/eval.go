package match

import (
	"regexp"
	"strings"

	"github.com/vigie-cyber/vigie/hub/advisory/affected"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/version"
)

// verdict of a version against an entry.
type verdict struct {
	affected   bool
	comparable bool   // the version was compared with a bound
	fixed      string // the fixed version that applies, if one
}

// eval evaluates one rule against one item of a host (-1: the OS facts).
func (r *Region) eval(rule *Rule, hi int32, ii int32) (Exposure, bool) {
	h := r.hosts[hi]
	if h == nil {
		return Exposure{}, false
	}
	e := &rule.Parsed
	x := Exposure{Advisory: rule.Advisory, Entry: rule.Entry, Host: h.id, Entity: h.entity, Affected: e.Text}
	switch e.Kind {
	case affected.Windows:
		if ii != -1 {
			return x, false
		}
		return evalWindows(rule, h, x)
	case affected.Distro:
		if e.Distribution == affected.AzureLinux {
			return evalAzure(rule, h, ii, x)
		}
		return evalDebian(rule, h, ii, x)
	}
	if ii < 0 {
		return x, false
	}
	it := &h.items[ii]
	sw := &it.sw
	if !it.asset {
		if !platformOK(e.Platforms, sw.Source) {
			return x, false
		}
		if e.Arch != "" && sw.Arch != "" && alias.NormArch(sw.Arch) != e.Arch {
			return x, false
		}
		if rule.Product != nil && needsLine(rule.Product, sw.Source) && !alias.NameContainsLine(sw.Name, rule.Vendor, e.Line) {
			return x, false
		}
	} else if !platformOK(e.Platforms, alias.SourceDeclared) {
		return x, false
	}
	x.Product, x.InstalledVersion, x.Source = sw.Name, sw.Version, sw.Source
	var v verdict
	distro := sw.Source == alias.SourceDpkg || sw.Source == alias.SourceRPM
	switch {
	case sw.Version == "":
		// A declared asset without version: the product is there, the
		// version unknown.
		v = verdict{affected: true}
		if r := e.Ranges; len(r) == 1 && r[0].AltFixed == nil {
			v.fixed = r[0].Fixed
		}
	case rule.Product != nil && rule.Product.ExactRelease:
		v = evalRelease(e, sw.Version)
	case distro:
		v = evalEntry(e, rule.ranges, it.pv)
		// Distributions backport fixes: an upstream range below the fixed
		// version is only probable; above it, the package is fixed.
		v.comparable = false
	default:
		v = evalEntry(e, rule.ranges, it.pv)
	}
	if !v.affected {
		return x, false
	}
	x.FixedVersion = v.fixed
	x.Confidence = Probable
	if v.comparable && (rule.Product == nil || rule.Product.Confidence == "") {
		x.Confidence = Certain
	}
	return x, true
}

func needsLine(p *alias.Product, source string) bool {
	for _, m := range p.Match {
		if m.Source == source && m.NameContainsLine {
			return true
		}
	}
	return false
}

// platformOK: an entry restricted to platforms applies to installed
// software of those platforms only; Windows registry entries are Windows,
// dpkg and rpm Linux. Declared appliances are not restricted by "pour
// Windows" entries, which are about clients: they match unrestricted
// entries only.
func platformOK(ps []affected.Platform, source string) bool {
	if len(ps) == 0 {
		return true
	}
	var want affected.Platform
	switch source {
	case alias.SourceWindows:
		want = affected.PlatformWindows
	case alias.SourceDpkg, alias.SourceRPM:
		want = affected.PlatformLinux
	default:
		return false
	}
	for _, p := range ps {
		if p == want {
			return true
		}
	}
	return false
}

var upstreamTrim = regexp.MustCompile(`(?i)(\+dfsg.*|~.*|esr|\+.*)$`)

// upstream extracts the upstream part of a Debian or RPM version:
// "1:3.0.15-1~deb12u1" -> "3.0.15", "128.5.0esr-1~deb12u1" -> "128.5.0".
func upstream(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 && i < 4 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		v = v[:i]
	}
	return upstreamTrim.ReplaceAllString(v, "")
}

// evalEntry compares an application version with an entry's ranges.
func evalEntry(e *affected.Entry, ranges []cRange, v version.Parsed) verdict {
	if len(ranges) == 0 {
		if e.All {
			return verdict{affected: true, comparable: !e.Unpatched}
		}
		return verdict{}
	}
	if !v.Valid() {
		// A version the ordering cannot read: the product is there.
		return verdict{affected: true}
	}
	// Ranges restricted to branches: only those the version is in apply.
	var one *cRange
	n := 0
	for i := range ranges {
		rg := &ranges[i]
		in := len(rg.branches) == 0
		for _, b := range rg.branches {
			if b.Contains(v) {
				in = true
				break
			}
		}
		if in {
			n++
			if one == nil {
				one = rg
			}
		}
	}
	if n == 0 {
		return verdict{}
	}
	if e.All || e.Unpatched {
		return verdict{affected: true, comparable: !e.Unpatched}
	}
	if n == 1 {
		return inRange(one, v)
	}
	// Several fixed versions for one line ("antérieures à 7.0.12 et
	// 7.2.8"): the one of the version's branch applies, i.e. the one that
	// shares the longest prefix with it.
	var cands []*cRange
	for i := range ranges {
		rg := &ranges[i]
		in := len(rg.branches) == 0
		for _, b := range rg.branches {
			in = in || b.Contains(v)
		}
		if in {
			cands = append(cands, rg)
		}
	}
	best, bestN, tie := cands[0], -1, false
	for _, rg := range cands {
		n := version.CommonPrefix(v, rg.fixed)
		switch {
		case n > bestN:
			best, bestN, tie = rg, n, false
		case n == bestN:
			tie = true
		}
	}
	if tie {
		// No branch stands out: affected only if below every fix.
		for _, rg := range cands {
			if !rg.fixed.Valid() || v.Compare(rg.fixed) >= 0 {
				return verdict{}
			}
		}
		return verdict{affected: true, comparable: true}
	}
	return inRange(best, v)
}

func inRange(rg *cRange, v version.Parsed) verdict {
	r := rg.r
	if r.Introduced != "" {
		if !rg.intro.Valid() {
			return verdict{affected: true}
		}
		c := v.Compare(rg.intro)
		if c < 0 || (c == 0 && r.IntroducedExcl) {
			return verdict{}
		}
	}
	if r.LastAffected != "" {
		if !rg.last.Valid() {
			return verdict{affected: true}
		}
		return verdict{affected: v.Compare(rg.last) <= 0, comparable: true}
	}
	if r.Fixed == "" {
		return verdict{affected: true, comparable: true}
	}
	if !rg.fixed.Valid() {
		return verdict{affected: true, fixed: r.Fixed}
	}
	if v.Compare(rg.fixed) >= 0 {
		return verdict{}
	}
	for _, a := range rg.alts {
		if a.Valid() && v.Compare(a) >= 0 {
			return verdict{}
		}
	}
	fixed := r.Fixed
	if len(r.AltFixed) > 0 {
		fixed = "" // several builds of the fix: no single fixed version
	}
	return verdict{affected: true, comparable: true, fixed: fixed}
}

// evalWindows compares a Windows host with an OS line: same release (the
// key), same kind (client or server), Server Core or not, architecture,
// then the build.
func evalWindows(rule *Rule, h *host, x Exposure) (Exposure, bool) {
	e := &rule.Parsed
	f := &h.facts
	w := e.Win
	inst := strings.ToLower(f.OSInstallation)
	server := strings.HasPrefix(inst, "server") || strings.HasPrefix(strings.ToLower(f.OSEdition), "server")
	if server != w.Server {
		return x, false
	}
	if w.Server {
		core := inst == "server core"
		if f.OSInstallation == "" {
			return x, false // unknown installation type: cannot tell Core from full
		}
		if core != w.ServerCore {
			return x, false
		}
	}
	if e.Arch != "" && f.Arch != "" && alias.NormArch(f.Arch) != e.Arch {
		return x, false
	}
	x.Product, x.InstalledVersion, x.Source = e.Line, f.OSBuild, "os"
	if e.Unpatched {
		x.Confidence = Probable
		return x, true
	}
	fixed := e.Ranges[0].Fixed
	if !h.build.Valid() {
		x.Confidence, x.FixedVersion = Probable, fixed
		return x, true
	}
	if h.build.Compare(rule.ranges[0].fixed) >= 0 {
		return x, false
	}
	x.FixedVersion, x.Confidence = fixed, Certain
	return x, true
}

// evalDebian compares a Debian host's source package (or running kernel)
// with the fixed version of a Debian entry.
func evalDebian(rule *Rule, h *host, ii int32, x Exposure) (Exposure, bool) {
	e := &rule.Parsed
	fixed := e.Ranges[0].Fixed
	f := &h.facts
	if !debianOS(f) || f.OSCodename != e.Release {
		return x, false
	}
	x.FixedVersion, x.Source = fixed, alias.SourceDpkg
	if ii == -1 {
		// The running kernel, when the host reports it.
		if !rule.Kernel || f.KernelPackageVersion == "" || !sameKernelSeries(f.KernelPackageVersion, fixed) {
			return x, false
		}
		c, err := version.Compare(version.Deb, f.KernelPackageVersion, fixed)
		if err != nil || c >= 0 {
			return x, false
		}
		x.Product, x.InstalledVersion, x.Confidence = "linux (noyau en cours d'exécution)", f.KernelPackageVersion, Certain
		return x, true
	}
	sw := &h.items[ii].sw
	if sw.Source != alias.SourceDpkg {
		return x, false
	}
	found := false
	for _, s := range rule.Sources {
		found = found || s == sw.SourcePackage
	}
	if !found {
		return x, false
	}
	ver := sw.SourceVersion
	if ver == "" {
		ver = sw.Version
	}
	if rule.Kernel {
		if f.KernelPackageVersion != "" {
			return x, false // the running kernel decides, above
		}
		if !strings.HasPrefix(sw.Name, "linux-image-") || !sameKernelSeries(ver, fixed) {
			return x, false
		}
	}
	c, err := version.Compare(version.Deb, ver, fixed)
	if err != nil || c >= 0 {
		return x, false
	}
	x.Product, x.InstalledVersion = sw.SourcePackage, ver
	x.Confidence = Certain
	if rule.Kernel {
		// Installed kernel image, running kernel unknown.
		x.Confidence = Probable
	}
	return x, true
}

// sameKernelSeries: bullseye carries both linux (5.10) and linux-6.1; a
// 6.1 fix says nothing of a 5.10 kernel.
func sameKernelSeries(a, b string) bool {
	sa, sb := strings.SplitN(upstream(a), ".", 3), strings.SplitN(upstream(b), ".", 3)
	return len(sa) >= 2 && len(sb) >= 2 && sa[0] == sb[0] && sa[1] == sb[1]
}

// evalRelease: the installed version is a release (".NET Framework
// 4.8.1"); the entry applies when one of its branches is that release
// exactly, and its fixed build (Microsoft's monthly update, another
// numbering) is shown, never compared.
func evalRelease(e *affected.Entry, installed string) verdict {
	for _, rg := range e.Ranges {
		for _, b := range rg.Branches {
			if strings.EqualFold(strings.TrimSpace(b), strings.TrimSpace(installed)) {
				return verdict{affected: true, fixed: rg.Fixed}
			}
		}
	}
	return verdict{}
}
