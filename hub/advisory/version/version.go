// Package version compares software versions by the rules of the ecosystem
// they come from: dpkg ordering for Debian packages, rpmvercmp for RPM
// packages, and a dotted ordering for Windows builds and applications.
//
// Distribution orderings come from maintained libraries (the ones Trivy
// uses) rather than being rewritten here: epochs, "~" and the rpm
// alpha/numeric segment rules are easy to get subtly wrong. The dotted
// ordering is small and specific to how vendors write versions in CERT-FR
// advisories ("145.0.7632.109", "1.1.1zb", "2.4.7-p3", "14.1-43.56"), so it
// is written by hand.
package version

import (
	"errors"
	"fmt"
	"strings"

	debversion "github.com/knqyf263/go-deb-version"
	rpmversion "github.com/knqyf263/go-rpm-version"
)

// Ecosystem names an ordering.
type Ecosystem string

const (
	// Dotted orders Windows builds and application versions.
	Dotted Ecosystem = "dotted"
	// Deb orders Debian package versions (dpkg --compare-versions).
	Deb Ecosystem = "deb"
	// RPM orders RPM package versions (rpmvercmp, with epochs).
	RPM Ecosystem = "rpm"
)

// MaxLen bounds the versions compared: nothing real comes close, and the
// comparison of two huge strings from outside input must stay cheap.
const MaxLen = 256

// ErrEmpty is returned for an empty version.
var ErrEmpty = errors.New("version vide")

// Compare returns -1, 0 or +1 as a is older than, equal to or newer than b
// in the ecosystem, or an error naming the version that is not one.
func Compare(eco Ecosystem, a, b string) (int, error) {
	for _, v := range []string{a, b} {
		if strings.TrimSpace(v) == "" {
			return 0, ErrEmpty
		}
		if len(v) > MaxLen {
			return 0, fmt.Errorf("version trop longue (%d octets)", len(v))
		}
	}
	switch eco {
	case Deb:
		va, err := debversion.NewVersion(a)
		if err != nil {
			return 0, fmt.Errorf("version Debian invalide %q: %w", a, err)
		}
		vb, err := debversion.NewVersion(b)
		if err != nil {
			return 0, fmt.Errorf("version Debian invalide %q: %w", b, err)
		}
		return sign(va.Compare(vb)), nil
	case RPM:
		// The library accepts any string; rpm does too (rpmvercmp has no
		// notion of an invalid version), so there is nothing to reject.
		va, vb := rpmversion.NewVersion(a), rpmversion.NewVersion(b)
		return sign(va.Compare(vb)), nil
	case Dotted:
		return CompareDotted(a, b)
	}
	return 0, fmt.Errorf("écosystème de versions inconnu %q", eco)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
