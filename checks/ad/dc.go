package ad

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
)

// Registry keys read on a Windows domain controller.
const (
	keyProductOptions = `HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`
	keyNTDSParams     = `HKLM\SYSTEM\CurrentControlSet\Services\NTDS\Parameters`
	keyLanmanServer   = `HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters`
	keyLsa            = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa`
	keySpooler        = `HKLM\SYSTEM\CurrentControlSet\Services\Spooler`
	keyNetlogonParams = `HKLM\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters`
)

// ReadDCConfig reads the settings of the domain controller Vigie runs on.
// (nil, nil) means this host is not a domain controller.
func ReadDCConfig(ctx context.Context, h *checks.Host) (*DCConfig, error) {
	if h.OS == "windows" {
		pt, err := h.Registry.String(keyProductOptions, "ProductType")
		if errors.Is(err, checks.ErrNotFound) || (err == nil && !strings.EqualFold(pt, "LanmanNT")) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf(`%s\ProductType : %w`, keyProductOptions, err)
		}
		dc, err := DCFromRegistry(h.Registry)
		if err != nil {
			return nil, err
		}
		dc.Spooler, err = spoolerState(ctx, h)
		return dc, err
	}
	if h.Exec == nil {
		return nil, nil
	}
	out, err := h.Exec.Run(ctx, "testparm", "-s", "-v")
	if errors.Is(err, checks.ErrNotFound) {
		return nil, nil // no Samba here
	}
	if err != nil {
		var ee *checks.ExitError
		if errors.As(err, &ee) {
			return nil, nil // no smb.conf: not a Samba server
		}
		return nil, fmt.Errorf("testparm : %w", err)
	}
	conf := ParseTestparm(out)
	return DCFromTestparm(conf)
}

// DCFromRegistry judges nothing: it reads the values that say how the DC
// treats LDAP, SMB and NTLM, applying Windows' documented defaults when a
// value is absent.
func DCFromRegistry(r checks.Registry) (*DCConfig, error) {
	dc := &DCConfig{Source: "registry"}
	integer := func(key, value string, def uint64) (uint64, error) {
		v, err := r.Integer(key, value)
		if errors.Is(err, checks.ErrNotFound) {
			return def, nil
		}
		if err != nil {
			return 0, fmt.Errorf(`%s\%s : %w`, key, value, err)
		}
		return v, nil
	}
	// LDAPServerIntegrity: 1 (default) negotiate signing, 2 require it.
	li, err := integer(keyNTDSParams, "LDAPServerIntegrity", 1)
	if err != nil {
		return nil, err
	}
	dc.LDAPSigning = map[uint64]string{0: "none", 1: "negotiated", 2: "required"}[li]
	if dc.LDAPSigning == "" {
		dc.LDAPSigning = "negotiated"
	}
	// LdapEnforceChannelBinding: 0 (default before 2024 updates) never,
	// 1 when supported, 2 always.
	cb, err := integer(keyNTDSParams, "LdapEnforceChannelBinding", 0)
	if err != nil {
		return nil, err
	}
	dc.ChannelBinding = map[uint64]string{0: "never", 1: "when-supported", 2: "always"}[cb]
	if dc.ChannelBinding == "" {
		dc.ChannelBinding = "never"
	}
	// RequireSecuritySignature: domain controllers require SMB signing by
	// the Default Domain Controllers Policy; absent means not required.
	ss, err := integer(keyLanmanServer, "RequireSecuritySignature", 0)
	if err != nil {
		return nil, err
	}
	dc.SMBSigningRequired = ss == 1
	// LmCompatibilityLevel: a DC refuses LM from 4 and NTLMv1 from 5; the
	// default (absent) is 3, which still accepts both.
	lm, err := integer(keyLsa, "LmCompatibilityLevel", 3)
	if err != nil {
		return nil, err
	}
	dc.LMAccepted, dc.NTLMv1Accepted = lm < 4, lm < 5
	if sv, err := r.String(keyNetlogonParams, "SysVol"); err == nil && sv != "" {
		dc.Sysvol = sv
	}
	return dc, nil
}

// spoolerState says whether the Print Spooler runs (spoolsv.exe), and
// whether it is disabled (Start = 4) when it does not.
func spoolerState(ctx context.Context, h *checks.Host) (string, error) {
	ps, err := h.Facts.Processes(ctx)
	if err != nil {
		return "", fmt.Errorf("liste des processus : %w", err)
	}
	for _, p := range ps {
		if strings.EqualFold(p.Name, "spoolsv.exe") {
			return "running", nil
		}
	}
	start, err := h.Registry.Integer(keySpooler, "Start")
	if err == nil && start == 4 {
		return "disabled", nil
	}
	return "stopped", nil
}

// Testparm is `testparm -s -v` output: sections of key = value.
type Testparm map[string]map[string]string

// ParseTestparm reads testparm output; keys are lower-cased with single
// spaces, sections by name ("global", "sysvol").
func ParseTestparm(out []byte) Testparm {
	t := Testparm{}
	sec := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			sec = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			if t[sec] == nil {
				t[sec] = map[string]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || sec == "" {
			continue
		}
		t[sec][strings.Join(strings.Fields(strings.ToLower(k)), " ")] = strings.TrimSpace(v)
	}
	return t
}

// DCFromTestparm reads a Samba AD DC's settings; (nil, nil) when the
// server role is not an AD DC.
func DCFromTestparm(t Testparm) (*DCConfig, error) {
	g := t["global"]
	role := strings.ToLower(g["server role"])
	if role != "active directory domain controller" {
		return nil, nil
	}
	dc := &DCConfig{Source: "testparm", Samba: true, ChannelBinding: "unsupported", Spooler: "not-applicable"}
	need := func(k string) (string, error) {
		v, ok := g[k]
		if !ok {
			return "", fmt.Errorf("testparm : paramètre %q absent de la sortie", k)
		}
		return strings.ToLower(v), nil
	}
	strong, err := need("ldap server require strong auth")
	if err != nil {
		return nil, err
	}
	// yes: simple binds only over TLS and SASL binds must sign;
	// allow_sasl_over_tls: SASL without signing is accepted over TLS; no: clear binds accepted.
	switch strong {
	case "yes":
		dc.LDAPSigning = "required"
	case "allow_sasl_over_tls":
		dc.LDAPSigning = "negotiated"
	default:
		dc.LDAPSigning = "none"
	}
	signing, err := need("server signing")
	if err != nil {
		return nil, err
	}
	// "default" means mandatory for the AD DC role (smb.conf(5)).
	dc.SMBSigningRequired = signing == "default" || signing == "mandatory" || signing == "required"
	ntlm, err := need("ntlm auth")
	if err != nil {
		return nil, err
	}
	// ntlmv2-only (the default since 4.7), mschapv2-and-ntlmv2-only and
	// disabled refuse NTLMv1; yes and ntlmv1-permitted accept it.
	dc.NTLMv1Accepted = ntlm == "yes" || ntlm == "ntlmv1-permitted"
	lanman, err := need("lanman auth")
	if err != nil {
		return nil, err
	}
	dc.LMAccepted = lanman == "yes"
	if sv := t["sysvol"]["path"]; sv != "" {
		dc.Sysvol = sv
	}
	return dc, nil
}
