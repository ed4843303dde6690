package dns

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF is a parsed SPF record (RFC 7208).
type SPF struct {
	Terms    []SPFTerm
	Redirect string // redirect= modifier, "" when absent
	Exp      string // exp= modifier
}

// SPFTerm is one mechanism with its qualifier: '+' pass, '-' fail,
// '~' softfail, '?' neutral.
type SPFTerm struct {
	Qualifier byte
	Mechanism string // all, include, a, mx, ptr, ip4, ip6, exists (lower case)
	Value     string // domain-spec or network; may be empty for a, mx, ptr
}

// ErrNotSPF means the text is not an SPF record at all (another TXT).
var ErrNotSPF = errors.New("not an SPF record")

// IsSPF reports whether a TXT string is meant as an SPF record (RFC 7208 §4.5:
// "v=spf1" followed by a space or the end).
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// ParseSPF parses one SPF record. Every syntax error RFC 7208 calls a
// "permerror" is an error here, so a receiver's verdict and ours agree.
func ParseSPF(txt string) (SPF, error) {
	var out SPF
	if !IsSPF(txt) {
		return out, ErrNotSPF
	}
	for _, tok := range strings.Fields(txt[6:]) {
		if name, val, ok := strings.Cut(tok, "="); ok && isModifierName(name) {
			if err := checkMacro(val); err != nil {
				return out, fmt.Errorf("modifier %q: %w", tok, err)
			}
			switch strings.ToLower(name) {
			case "redirect":
				if out.Redirect != "" {
					return out, fmt.Errorf("redirect= given twice")
				}
				if val == "" {
					return out, fmt.Errorf("redirect= without a domain")
				}
				out.Redirect = val
			case "exp":
				if out.Exp != "" {
					return out, fmt.Errorf("exp= given twice")
				}
				out.Exp = val
			}
			continue // unknown modifiers are ignored (§6)
		}
		t, err := parseTerm(tok)
		if err != nil {
			return out, err
		}
		out.Terms = append(out.Terms, t)
	}
	return out, nil
}

func parseTerm(tok string) (SPFTerm, error) {
	t := SPFTerm{Qualifier: '+'}
	if strings.ContainsRune("+-~?", rune(tok[0])) {
		t.Qualifier = tok[0]
		tok = tok[1:]
	}
	name, val, hasVal := strings.Cut(tok, ":")
	name = strings.ToLower(name)
	cidr := ""
	if !hasVal && (strings.HasPrefix(name, "a/") || strings.HasPrefix(name, "mx/")) {
		name, cidr, _ = strings.Cut(name, "/")
		cidr = "/" + cidr
	}
	t.Mechanism = name
	switch name {
	case "all":
		if hasVal {
			return t, fmt.Errorf("term %q: all takes no argument", tok)
		}
	case "include", "exists":
		if !hasVal || val == "" {
			return t, fmt.Errorf("term %q: %s needs a domain", tok, name)
		}
		if err := checkMacro(val); err != nil {
			return t, fmt.Errorf("term %q: %w", tok, err)
		}
		t.Value = val
	case "a", "mx", "ptr":
		if hasVal {
			dom := val
			if name != "ptr" {
				if i := strings.IndexByte(val, '/'); i >= 0 {
					dom, cidr = val[:i], val[i:]
				}
			}
			if dom == "" {
				return t, fmt.Errorf("term %q: empty domain", tok)
			}
			if err := checkMacro(dom); err != nil {
				return t, fmt.Errorf("term %q: %w", tok, err)
			}
			t.Value = dom
		}
		if cidr != "" {
			if err := checkDualCIDR(cidr); err != nil {
				return t, fmt.Errorf("term %q: %w", tok, err)
			}
		}
	case "ip4", "ip6":
		if !hasVal {
			return t, fmt.Errorf("term %q: %s needs a network", tok, name)
		}
		if err := checkNetwork(name, val); err != nil {
			return t, fmt.Errorf("term %q: %w", tok, err)
		}
		t.Value = val
	default:
		return t, fmt.Errorf("unknown mechanism %q", tok)
	}
	return t, nil
}

func isModifierName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// checkMacro checks the macro-string syntax (RFC 7208 §7.1): a '%' must
// start %%, %_, %- or %{letter digits [r] delimiters}.
func checkMacro(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("invalid character %q", c)
		}
		if c != '%' {
			continue
		}
		if i+1 >= len(s) {
			return fmt.Errorf("lone %% at the end")
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return fmt.Errorf("unclosed macro %q", s[i:])
			}
			body := s[i+2 : i+end]
			if body == "" || !strings.ContainsRune("slodiphcrtvSLODIPHCRTV", rune(body[0])) {
				return fmt.Errorf("unknown macro letter in %q", s[i:i+end+1])
			}
			j := 1
			for j < len(body) && body[j] >= '0' && body[j] <= '9' {
				j++
			}
			if j < len(body) && (body[j] == 'r' || body[j] == 'R') {
				j++
			}
			for ; j < len(body); j++ {
				if !strings.ContainsRune(".-+,/_=", rune(body[j])) {
					return fmt.Errorf("bad macro %q", s[i:i+end+1])
				}
			}
			i += end
		default:
			return fmt.Errorf("bad macro %q", s[i:])
		}
	}
	return nil
}

func checkNetwork(kind, val string) error {
	ip, bits, hasBits := strings.Cut(val, "/")
	a, err := netip.ParseAddr(ip)
	if err != nil || (kind == "ip4") != a.Is4() {
		return fmt.Errorf("%q is not an %s address", ip, kind)
	}
	if hasBits {
		n, err := strconv.Atoi(bits)
		max := 32
		if kind == "ip6" {
			max = 128
		}
		if err != nil || n < 0 || n > max || bits != strconv.Itoa(n) {
			return fmt.Errorf("bad prefix length %q", bits)
		}
	}
	return nil
}

// checkDualCIDR checks "/24", "//64" or "/24//64".
func checkDualCIDR(s string) error {
	v4, v6, _ := strings.Cut(s, "//")
	check := func(b string, max int) error {
		if b == "" {
			return nil
		}
		n, err := strconv.Atoi(b)
		if err != nil || n < 0 || n > max || b != strconv.Itoa(n) {
			return fmt.Errorf("bad prefix length %q", b)
		}
		return nil
	}
	if v4 != "" {
		if v4[0] != '/' {
			return fmt.Errorf("bad prefix %q", s)
		}
		if err := check(v4[1:], 32); err != nil {
			return err
		}
	}
	return check(v6, 128)
}

// All returns the record's "all" term, if any. Terms after it are never
// evaluated (§5.1).
func (s SPF) All() (SPFTerm, bool) {
	for _, t := range s.Terms {
		if t.Mechanism == "all" {
			return t, true
		}
	}
	return SPFTerm{}, false
}

// LookupTerms lists the terms of this record that cost a DNS lookup towards
// the limit of 10 (§4.6.4): include, a, mx, ptr, exists and redirect.
func (s SPF) LookupTerms() []string {
	var out []string
	for _, t := range s.Terms {
		switch t.Mechanism {
		case "include", "a", "mx", "ptr", "exists":
			out = append(out, t.Mechanism+":"+t.Value)
		}
	}
	if s.Redirect != "" {
		if _, ok := s.All(); !ok { // redirect is ignored when "all" is present
			out = append(out, "redirect="+s.Redirect)
		}
	}
	return out
}

// QualifierName names a qualifier as RFC 7208 results.
func QualifierName(q byte) string {
	switch q {
	case '-':
		return "fail"
	case '~':
		return "softfail"
	case '?':
		return "neutral"
	default:
		return "pass"
	}
}
