package checks_test

import (
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
)

func TestParseGuidance(t *testing.T) {
	t.Parallel()
	full := `["x.a".fr]
title = "T"
what = "W"
why = "Y"
fix = "F"
effort = "5 min"
["x.a".en]
title = "T"
what = "W"
why = "Y"
fix = "F"
effort = "5 min"
`
	c, err := checks.ParseGuidance("x", []byte(full))
	if err != nil || c["x.a"].EN.Effort != "5 min" {
		t.Fatalf("ParseGuidance = %v, %v", c, err)
	}
	for name, bad := range map[string]string{
		"empty field":  strings.Replace(full, `fix = "F"`, `fix = ""`, 1),
		"missing lang": full[:strings.Index(full, `["x.a".en]`)],
		"unknown key":  strings.Replace(full, `effort = "5 min"`, "effort = \"5 min\"\nefort = \"x\"", 1),
		"syntax":       "[x.a.fr\n",
	} {
		if _, err := checks.ParseGuidance("x", []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := checks.Merge(c, c); err == nil {
		t.Error("Merge accepted a duplicate ID")
	}
}
