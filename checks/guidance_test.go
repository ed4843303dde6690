package checks_test

import (
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
)

const fullGuidance = `["x.a"]
rank = 3
follows = "anssi:34"
["x.a".fr]
title = "T"
what = "W"
why = "Y"
fix = "F"
fix_windows = "FW"
fix_debian = "FD"
fix_rhel = "FR"
effort = "5 min"
["x.a".en]
title = "T"
what = "W"
why = "Y"
fix = "F"
effort = "5 min"
`

func TestParseGuidance(t *testing.T) {
	t.Parallel()
	c, err := checks.ParseGuidance("x", []byte(fullGuidance))
	if err != nil || c["x.a"].EN.Effort != "5 min" || c["x.a"].Rank != 3 || c["x.a"].Follows != "anssi:34" || c["x.a"].FR.FixRHEL != "FR" {
		t.Fatalf("ParseGuidance = %+v, %v", c, err)
	}
	// An OS-specific fix alone is enough.
	osOnly := strings.Replace(fullGuidance, "fix = \"F\"\nfix_windows", "fix_windows", 1)
	if _, err := checks.ParseGuidance("x", []byte(osOnly)); err != nil {
		t.Errorf("a French advice with only OS-specific fixes was refused: %v", err)
	}
	for name, bad := range map[string]string{
		"empty field":       strings.Replace(fullGuidance, `why = "Y"`, `why = ""`, 1),
		"no fix at all":     strings.Replace(fullGuidance, "fix = \"F\"\neffort", "effort", 1),
		"missing lang":      fullGuidance[:strings.Index(fullGuidance, `["x.a".en]`)],
		"unknown key":       strings.Replace(fullGuidance, `effort = "5 min"`, "effort = \"5 min\"\nefort = \"x\"", 1),
		"unknown fix OS":    strings.Replace(fullGuidance, `fix_rhel = "FR"`, `fix_suse = "FS"`, 1),
		"syntax":            "[x.a.fr\n",
		"no rank":           strings.Replace(fullGuidance, "rank = 3\n", "", 1),
		"zero rank":         strings.Replace(fullGuidance, "rank = 3", "rank = 0", 1),
		"no follows":        strings.Replace(fullGuidance, "follows = \"anssi:34\"\n", "", 1),
		"follows no kind":   strings.Replace(fullGuidance, `"anssi:34"`, `"34"`, 1),
		"follows bad kind":  strings.Replace(fullGuidance, `"anssi:34"`, `"iso:27001"`, 1),
		"anssi out of 1-42": strings.Replace(fullGuidance, `"anssi:34"`, `"anssi:43"`, 1),
		"nis2 bad letter":   strings.Replace(fullGuidance, `"anssi:34"`, `"nis2:k"`, 1),
	} {
		if _, err := checks.ParseGuidance("x", []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := checks.Merge(c, c); err == nil {
		t.Error("Merge accepted a duplicate ID")
	}
}

// TestFixFor: a host sees the generic steps and its own OS's steps only;
// an unknown host sees every OS's steps, each introduced by its name.
func TestFixFor(t *testing.T) {
	t.Parallel()
	c, err := checks.ParseGuidance("x", []byte(fullGuidance))
	if err != nil {
		t.Fatal(err)
	}
	g := c["x.a"]
	for _, tt := range []struct {
		lang, goos, family string
		want               string
	}{
		{"fr", "windows", "Standalone Workstation", "F\nFW"},
		{"fr", "linux", "debian", "F\nFD"},
		{"fr", "linux", "rhel", "F\nFR"},
		{"fr", "linux", "fedora", "F\nFR"},
		{"fr", "linux", "suse", "F\nDebian ou Ubuntu : FD\nRed Hat, Rocky ou Alma : FR"},
		{"fr", "", "", "F\nWindows : FW\nDebian ou Ubuntu : FD\nRed Hat, Rocky ou Alma : FR"},
		{"en", "windows", "", "F"}, // the English advice has no Windows steps
	} {
		if got := g.FixFor(tt.lang, tt.goos, tt.family); got != tt.want {
			t.Errorf("FixFor(%s, %s, %s) = %q, want %q", tt.lang, tt.goos, tt.family, got, tt.want)
		}
	}
}
