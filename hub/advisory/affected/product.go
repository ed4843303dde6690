package affected

import (
	"regexp"
	"strings"
)

// Building blocks of the version clauses, case-insensitive.
const (
	// A version as advisories write it: "7.4.5", "1.1.1zb", "2.4.7-p3",
	// "22.7R2.5", "h5.2.0.2860 build 20240817", "9.0.0 Patch 46",
	// "145.0.7632.109/110", "Update 12", "2402 LTSR CU3 hotfix 1".
	verPat = `(?:(?:update |cu|su|r)\d[0-9a-z.]*|[a-z]{0,5}\d[0-9a-z.+~:_-]*(?:/\.?[0-9a-z]+)*)` +
		`(?: (?:build|patch|update|hotfix|u\d[0-9a-z]*|cu\d+|su\d+|ltsr|lts|sp\d+)(?: \d[0-9a-z.-]*)?)*`
	versPat = verPat + `(?:(?:, | et | ou )` + verPat + `)*`
	// A branch: "7.4.x", "7.4", "1.0.2x", "h5.x.x", "2.4.7-px", "3.x".
	brPat  = `[a-z]{0,3}\d[0-9a-z.+-]*`
	brsPat = brPat + `(?:(?:, | et | ou )` + brPat + `)*`
)

var (
	upcomingRE = regexp.MustCompile(`(?i)\s*\(?à venir\)?`)
	editionRE  = regexp.MustCompile(`(?i)\s*\(édition (32|64) bits\)`)
	systemsRE  = regexp.MustCompile(`(?i)\s+pour (?:systèmes |éditions )?(x64|32 bits|64 bits|ARM64)(?: Systems)?\b`)
	platWord   = `(?:windows|mac ?os|mac|linux|android|ios|ipados)`
	platformRE = regexp.MustCompile(`(?i)\s+(?:pour|sur) (?:les )?(?:systèmes )?(` + platWord + `(?:(?:, | et | ou |/)` + platWord + `)*)\b`)
	platTailRE = regexp.MustCompile(`(?i)\s+(` + platWord + `)$`)
	platEachRE = regexp.MustCompile(`(?i)` + platWord)
	keywordRE  = regexp.MustCompile(`(?i)(?:^|\s)(toutes (?:les )?versions|versions?|antérieures?|sans|avant|postérieures?)(?:\s|$)`)
	lineVerRE  = regexp.MustCompile(`(?i)^[a-z]?\d+(?:\.(?:\d+|x))+(?:\.x)?$|^[a-z]?\d+\.?x$`)
	contextRE  = regexp.MustCompile(`(?i)^(.*?) (?:pour|dans|sur) (.+)$`)

	// The clause forms, matched on the whole clause.
	fixedRE     = regexp.MustCompile(`(?i)^(?:versions )?(?:(` + brsPat + `) )?(?:versions )?antérieures à (` + versPat + `)$`)
	allRE       = regexp.MustCompile(`(?i)^(?:(` + brsPat + `) )?toutes (?:les )?versions(?: (` + brsPat + `))?$`)
	branchesRE  = regexp.MustCompile(`(?i)^versions (` + brsPat + `)$`)
	betweenRE   = regexp.MustCompile(`(?i)^versions (` + verPat + `) à (` + verPat + `)$`)
	betweenFxRE = regexp.MustCompile(`(?i)^versions (` + brPat + `) à (` + brPat + `) antérieures à (` + versPat + `)$`)
	afterRE     = regexp.MustCompile(`(?i)^(?:versions )?(?:(` + brsPat + `) )?(?:versions )?postérieures à (` + verPat + `) et antérieures à (` + versPat + `)$`)
	unpatchedRE = regexp.MustCompile(`(?i)^(?:(?:toutes (?:les )?)?versions(?: (` + brsPat + `))? |(` + brsPat + `) )?(?:toutes versions )?(?:sans|avant) (?:le |les |l'|la )?(.*)$`)
	fixTailRE   = regexp.MustCompile(`(?i)^correctifs?(?: de sécurité)? (` + verPat + `)$`)
	unpTailRE   = regexp.MustCompile(`(?i)^(?:(?:derni[eè]re?s?|nouveaux?|récents?) )?(?:correctifs?|mises? à jour|microgiciel)\b`)
	lateFixRE   = regexp.MustCompile(`(?i)^versions .*? (?:avant|sans) (?:le|les) correctifs? (?:de sécurité )?du \d{1,2} \p{L}+ \d{4}$`)
	listSepRE   = regexp.MustCompile(`(?i), | et | ou `)
)

func parseProduct(e *Entry, s string) {
	if upcomingRE.MatchString(s) {
		e.Upcoming = true
		s = normalize(upcomingRE.ReplaceAllString(s, ""))
	}
	if m := editionRE.FindStringSubmatch(s); m != nil {
		e.Arch = map[string]string{"32": "x86", "64": "x64"}[m[1]]
		s = editionRE.ReplaceAllString(s, "")
	}
	if m := systemsRE.FindStringSubmatch(s); m != nil {
		e.Arch = map[string]string{"x64": "x64", "64 bits": "x64", "32 bits": "x86", "arm64": "arm64"}[strings.ToLower(m[1])]
		s = systemsRE.ReplaceAllString(s, "")
	}
	for _, m := range platformRE.FindAllStringSubmatch(s, -1) {
		addPlatforms(e, m[1])
	}
	s = platformRE.ReplaceAllString(s, "")
	if m := platTailRE.FindStringSubmatch(s); m != nil {
		addPlatforms(e, m[1])
		s = s[:len(s)-len(m[0])]
	}
	s = normalize(s)

	loc := keywordRE.FindStringSubmatchIndex(s)
	var line, clause string
	if loc == nil {
		line = s
	} else {
		start := loc[2] // the keyword itself
		line, clause = s[:start], s[start:]
	}
	line = normalize(parenRE.ReplaceAllString(line, ""))
	var lineBranch string
	if i := strings.LastIndexByte(line, ' '); i > 0 && lineVerRE.MatchString(line[i+1:]) {
		lineBranch, line = line[i+1:], line[:i]
	}
	e.Line = line
	if line == "" {
		e.Reason = "produit non nommé"
		return
	}
	if clause == "" {
		// A bare product name ("Microsoft Office LTSC 2021 pour éditions 64
		// bits": Click-to-Run builds are not listed) says the line is affected
		// and gives no version to compare: every version, unpatched.
		e.All, e.Unpatched, e.NoVersion = true, true, true
		if lineBranch != "" {
			e.Ranges = []Range{{Branches: []string{lineBranch}}}
		}
		return
	}
	clause = normalize(parenRE.ReplaceAllString(clause, ""))
	clause = strings.NewReplacer("Versions ", "versions ", "version ", "versions ", "antérieure ", "antérieures ",
		"versions versions ", "versions ").Replace(clause + " ")
	clause = normalize(strings.ReplaceAll(clause, "versions versions ", "versions "))
	// "antérieures à QTS 5.1.7 build 20240131": the line repeated before the version.
	clause = strings.Replace(clause, "à "+line+" ", "à ", 1)

	if readClause(e, clause, lineBranch) {
		return
	}
	// A trailing qualifier: "… antérieures à 1.6.2-0720 pour DSM 7.2".
	if m := contextRE.FindStringSubmatch(clause); m != nil {
		saved := *e
		if readClause(e, m[1], lineBranch) {
			e.Context = m[2]
			return
		}
		*e = saved
	}
	// "Android versions antérieures à 12, 12L, 13 et 14 avant le correctif du
	// 5 avril 2024": what precedes the missing fix only narrows the releases.
	if m := lateFixRE.FindStringSubmatch(clause); m != nil {
		e.Ranges, e.All, e.Unpatched = nil, true, true
		return
	}
	e.Ranges, e.All, e.Unpatched = nil, false, false
	e.Reason = "forme de version non reconnue: « " + clause + " »"
}

func addPlatforms(e *Entry, list string) {
	for _, p := range platEachRE.FindAllString(list, -1) {
		var pl Platform
		switch strings.ReplaceAll(strings.ToLower(p), " ", "") {
		case "windows":
			pl = PlatformWindows
		case "mac", "macos":
			pl = PlatformMac
		case "linux":
			pl = PlatformLinux
		case "android":
			pl = PlatformAndroid
		case "ios", "ipados":
			pl = PlatformIOS
		}
		dup := false
		for _, q := range e.Platforms {
			dup = dup || q == pl
		}
		if !dup {
			e.Platforms = append(e.Platforms, pl)
		}
	}
}

// readClause reads the version clause; it reports false when no form fits.
func readClause(e *Entry, c, lineBranch string) bool {
	branches := func(list string) []string {
		if list == "" {
			if lineBranch == "" {
				return nil
			}
			return []string{lineBranch}
		}
		return listSepRE.Split(list, -1)
	}
	if m := fixedRE.FindStringSubmatch(c); m != nil {
		br := branches(m[1])
		for _, v := range listSepRE.Split(m[2], -1) {
			e.Ranges = append(e.Ranges, fixedRange(br, v))
		}
		return true
	}
	if m := allRE.FindStringSubmatch(c); m != nil {
		list := m[1]
		if m[2] != "" {
			list = m[2]
		}
		e.All = true
		if br := branches(list); br != nil {
			e.Ranges = []Range{{Branches: br}}
		}
		return true
	}
	if m := branchesRE.FindStringSubmatch(c); m != nil {
		e.All = true
		e.Ranges = []Range{{Branches: branches(m[1])}}
		return true
	}
	if m := betweenFxRE.FindStringSubmatch(c); m != nil {
		r := fixedRange(nil, m[3])
		r.Introduced = trimBranch(m[1])
		e.Ranges = []Range{r}
		return true
	}
	if m := betweenRE.FindStringSubmatch(c); m != nil {
		if strings.ContainsAny(m[2], "xX") && strings.HasSuffix(strings.ToLower(m[2]), "x") {
			return false // "11.x à 12.x" alone: an upper branch is no bound
		}
		e.Ranges = []Range{{Branches: branches(""), Introduced: trimBranch(m[1]), LastAffected: m[2]}}
		return true
	}
	if m := afterRE.FindStringSubmatch(c); m != nil {
		br := branches(m[1])
		for _, v := range listSepRE.Split(m[3], -1) {
			r := fixedRange(br, v)
			r.Introduced, r.IntroducedExcl = m[2], true
			e.Ranges = append(e.Ranges, r)
		}
		return true
	}
	if m := unpatchedRE.FindStringSubmatch(c); m != nil {
		list := m[1]
		if list == "" {
			list = m[2]
		}
		tail := m[3]
		if f := fixTailRE.FindStringSubmatch(tail); f != nil && strings.Contains(f[1], ".") {
			// "sans le correctif 10.0.12": the fix is a version.
			e.Ranges = []Range{fixedRange(branches(list), f[1])}
			return true
		}
		if unpTailRE.MatchString(tail) || strings.HasPrefix(strings.ToLower(c), "avant le correctif") ||
			strings.Contains(strings.ToLower(tail), "correctif") {
			e.Unpatched = true
			e.All = true
			if br := branches(list); br != nil {
				e.Ranges = []Range{{Branches: br}}
			}
			return true
		}
	}
	return false
}

// fixedRange reads "145.0.7632.109/110" and "123.0.6312.122/.123/.124":
// the first build and its alternatives on other platforms.
func fixedRange(branches []string, v string) Range {
	r := Range{Branches: branches}
	parts := strings.Split(v, "/")
	r.Fixed = parts[0]
	base := parts[0]
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i+1]
	}
	for _, alt := range parts[1:] {
		alt = strings.TrimPrefix(alt, ".")
		if strings.Count(alt, ".") == 0 {
			alt = base + alt
		}
		r.AltFixed = append(r.AltFixed, alt)
	}
	return r
}

func trimBranch(b string) string {
	for {
		t := strings.TrimSuffix(strings.TrimSuffix(b, ".x"), ".X")
		if t == b {
			return b
		}
		b = t
	}
}
