package version

import (
	"fmt"
	"strings"
)

// token is one run of digits or of letters in a version; separators
// (".", "-", "_", "+", spaces) only split runs.
type token struct {
	num   bool
	value string // digits without leading zeros, or lower-case letters
}

func tokenize(v string) ([]token, bool) {
	var out []token
	digits := false
	i := 0
	for i < len(v) {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			n := strings.TrimLeft(v[i:j], "0")
			if n == "" {
				n = "0"
			}
			out = append(out, token{num: true, value: n})
			digits = true
			i = j
		case isLetter(c):
			j := i
			for j < len(v) && isLetter(v[j]) {
				j++
			}
			out = append(out, token{value: strings.ToLower(v[i:j])})
			i = j
		default:
			i++
		}
	}
	return out, digits
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// preRelease words sort before the release they precede: 3.0.0-rc1 < 3.0.0.
var preRelease = map[string]bool{
	"alpha": true, "beta": true, "rc": true, "pre": true, "preview": true,
	"dev": true, "snapshot": true, "a": true, "b": true,
}

// CompareDotted orders versions as vendors write them: numeric runs compare
// as numbers of any length, letter runs as lower-case strings, missing
// trailing numbers count as zero (128.10 = 128.10.0), a letter suffix after
// the last number is a later patch (1.1.1zb > 1.1.1, 2.4.7-p3 > 2.4.7)
// except the pre-release words (3.0.0-rc1 < 3.0.0).
func CompareDotted(a, b string) (int, error) {
	ta, okA := tokenize(a)
	if !okA {
		return 0, fmt.Errorf("version sans chiffre %q", a)
	}
	tb, okB := tokenize(b)
	if !okB {
		return 0, fmt.Errorf("version sans chiffre %q", b)
	}
	return compareTokens(ta, tb), nil
}

func compareTokens(ta, tb []token) int {
	n := max(len(ta), len(tb))
	for i := range n {
		switch {
		case i >= len(ta):
			return -tail(tb[i:])
		case i >= len(tb):
			return tail(ta[i:])
		}
		x, y := ta[i], tb[i]
		switch {
		case x.num && y.num:
			if c := cmpNum(x.value, y.value); c != 0 {
				return c
			}
		case !x.num && !y.num:
			px, py := preRelease[x.value], preRelease[y.value]
			if px != py {
				if px {
					return -1
				}
				return 1
			}
			if c := strings.Compare(x.value, y.value); c != 0 {
				return c
			}
		case x.num:
			// 1.2.3 against 1.2.rc1: a pre-release word is older than any
			// number, another word (a build tag) newer.
			if preRelease[y.value] {
				return 1
			}
			return -1
		default:
			if preRelease[x.value] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// tail says whether the extra tokens of the longer version make it newer
// (+1), older (-1, a pre-release word) or equal (only zeros).
func tail(rest []token) int {
	for _, t := range rest {
		if !t.num {
			if preRelease[t.value] {
				return -1
			}
			return 1
		}
		if t.value != "0" {
			return 1
		}
	}
	return 0
}

func cmpNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// InBranch reports whether v belongs to the branch written as in advisories:
// "7.4", "7.4.x", "1.1.1x", "h5.x.x", "13.x.x". A branch that has no digit
// is not a branch.
func InBranch(v, branch string) bool {
	tv, _ := tokenize(v)
	return ParseBranch(branch).Contains(Parsed{toks: tv})
}

// Branch is a parsed branch ("7.4.x").
type Branch struct{ toks []token }

// ParseBranch reads a branch as InBranch does; a branch without digit
// contains nothing.
func ParseBranch(branch string) Branch {
	b := strings.ToLower(strings.TrimSpace(branch))
	for {
		t := strings.TrimSuffix(strings.TrimSuffix(b, ".x"), "x")
		if t == b {
			break
		}
		b = t
	}
	tb, ok := tokenize(b)
	if !ok {
		return Branch{}
	}
	return Branch{toks: tb}
}

// Contains reports whether the version is in the branch.
func (br Branch) Contains(v Parsed) bool {
	tb, tv := br.toks, v.toks
	if len(tb) == 0 {
		return false
	}
	if len(tv) < len(tb) {
		// 7.4 is in branch 7.4.0 only if the missing parts are zeros.
		for i := len(tv); i < len(tb); i++ {
			if !tb[i].num || tb[i].value != "0" {
				return false
			}
		}
		tb = tb[:len(tv)]
	}
	for i := range tb {
		if tb[i] != tv[i] {
			return false
		}
	}
	return true
}

// Parsed is a dotted version read once, for comparing it many times (the
// matcher compares every installed version with thousands of bounds).
type Parsed struct {
	toks []token
	ok   bool
}

// ParseDotted reads v; Valid reports whether it has a digit.
func ParseDotted(v string) Parsed {
	t, ok := tokenize(v)
	return Parsed{toks: t, ok: ok}
}

// Valid reports whether the version can be compared.
func (p Parsed) Valid() bool { return p.ok }

// Compare orders two parsed versions as CompareDotted does; both must be
// valid.
func (p Parsed) Compare(q Parsed) int { return compareTokens(p.toks, q.toks) }

// CommonPrefix counts the leading parts two versions share (7.2.5 and
// 7.2.8: 2), to pick the fix of a version's branch among several.
func CommonPrefix(a, b Parsed) int {
	n := 0
	for n < len(a.toks) && n < len(b.toks) && a.toks[n] == b.toks[n] {
		n++
	}
	return n
}
