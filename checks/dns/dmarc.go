package dns

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DMARC is a parsed DMARC record (RFC 7489 §6.3).
type DMARC struct {
	Policy    string // none, quarantine, reject
	SubPolicy string // sp=, "" when absent (the policy applies)
	Pct       int    // 0-100, 100 when absent
	RUA, RUF  []string
	ADKIM     string // r or s
	ASPF      string // r or s
}

// ErrNotDMARC means the text is not a DMARC record at all.
var ErrNotDMARC = errors.New("not a DMARC record")

// IsDMARC reports whether a TXT string at _dmarc is meant as a DMARC record.
func IsDMARC(txt string) bool {
	v, _, _ := strings.Cut(txt, ";")
	k, val, ok := strings.Cut(v, "=")
	return ok && strings.TrimSpace(k) == "v" && strings.TrimSpace(val) == "DMARC1"
}

// PolicyRank orders policies: none < quarantine < reject.
func PolicyRank(p string) int {
	switch p {
	case "quarantine":
		return 1
	case "reject":
		return 2
	default:
		return 0
	}
}

// ParseDMARC parses one DMARC record; a record receivers would discard
// (wrong version, no or unknown policy, bad values) is an error.
func ParseDMARC(txt string) (DMARC, error) {
	out := DMARC{Pct: 100, ADKIM: "r", ASPF: "r"}
	if !IsDMARC(txt) {
		return out, ErrNotDMARC
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(txt, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return out, fmt.Errorf("tag %q has no value", part)
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if seen[k] {
			return out, fmt.Errorf("tag %s given twice", k)
		}
		seen[k] = true
		switch k {
		case "v":
		case "p", "sp":
			v = strings.ToLower(v)
			if v != "none" && v != "quarantine" && v != "reject" {
				return out, fmt.Errorf("%s=%q is not none, quarantine or reject", k, v)
			}
			if k == "p" {
				out.Policy = v
			} else {
				out.SubPolicy = v
			}
		case "pct":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return out, fmt.Errorf("pct=%q is not 0-100", v)
			}
			out.Pct = n
		case "adkim", "aspf":
			v = strings.ToLower(v)
			if v != "r" && v != "s" {
				return out, fmt.Errorf("%s=%q is not r or s", k, v)
			}
			if k == "adkim" {
				out.ADKIM = v
			} else {
				out.ASPF = v
			}
		case "rua", "ruf":
			uris, err := parseURIs(v)
			if err != nil {
				return out, fmt.Errorf("%s: %w", k, err)
			}
			if k == "rua" {
				out.RUA = uris
			} else {
				out.RUF = uris
			}
		default:
			// fo, rf, ri and unknown tags are ignored (§6.3).
		}
	}
	if out.Policy == "" {
		return out, fmt.Errorf("no p= policy tag")
	}
	return out, nil
}

// parseURIs reads a comma-separated list of report URIs, each with an
// optional "!size" suffix; mailto: is the one scheme receivers honour.
func parseURIs(v string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(v, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			return nil, fmt.Errorf("empty URI in %q", v)
		}
		if i := strings.LastIndexByte(u, '!'); i > 0 {
			u = u[:i]
		}
		scheme, rest, ok := strings.Cut(u, ":")
		if !ok || rest == "" {
			return nil, fmt.Errorf("%q is not a URI", u)
		}
		if strings.EqualFold(scheme, "mailto") && !strings.Contains(rest, "@") {
			return nil, fmt.Errorf("%q has no e-mail address", u)
		}
		out = append(out, u)
	}
	return out, nil
}
