// Package guidance holds the organisation family's advice (French and English),
// keyed by check ID. It is data only and imports no check code, so that a
// program that shows advice without running checks (the hub) does not link
// the family; it sits in its own folder because go:embed reaches only a
// package's own directory.
package guidance

import (
	_ "embed"

	"github.com/vigie-cyber/vigie/checks"
)

// Family is the family's name, used in parse errors.
const Family = "organisation"

//go:embed guidance.toml
var toml []byte

// Catalogue parses the family's embedded guidance.
func Catalogue() (checks.Catalogue, error) {
	return checks.ParseGuidance(Family, toml)
}
