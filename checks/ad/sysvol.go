package ad

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
)

// Where SYSVOL is read from. The GPP logic (gpp.go) walks an fs.FS and does
// not know whether it is a local folder (a DC running the agent, tests, a
// mounted share) or a share read over SMB (sysvol_smb.go): both give the
// same read-only view.

// SysvolLocation is a parsed `sysvol` setting: a local folder, or a share
// on a domain controller (smb://host[:port]/share[/folder]).
type SysvolLocation struct {
	Path  string // local folder (absolute); empty for SMB
	Host  string // SMB server
	Port  string // SMB port; empty: 445
	Share string // share name, normally SYSVOL
	Dir   string // folder inside the share, slash-separated; empty: the share's root
}

// SMB reports whether the location is a share read over the network.
func (l SysvolLocation) SMB() bool { return l.Host != "" }

// String gives the location as it is shown in results: the path, or the
// smb:// address (never a credential: there is none in it).
func (l SysvolLocation) String() string {
	if !l.SMB() {
		return l.Path
	}
	u := url.URL{Scheme: "smb", Host: l.Host, Path: "/" + l.Share}
	switch {
	case l.Port != "":
		u.Host = net.JoinHostPort(l.Host, l.Port)
	case strings.Contains(l.Host, ":"):
		u.Host = "[" + l.Host + "]" // IPv6
	}
	if l.Dir != "" {
		u.Path += "/" + l.Dir
	}
	return u.String()
}

// ParseSysvol reads a `sysvol` setting: an absolute local path, or
// smb://host[:port]/share[/folder...] without user, query or fragment
// (credentials come from the [ad] section, never from the address).
func ParseSysvol(s string) (SysvolLocation, error) {
	if len(s) > 1024 {
		return SysvolLocation{}, errors.New("adresse SYSVOL trop longue")
	}
	if !strings.HasPrefix(strings.ToLower(s), "smb:") {
		if !isAbs(s) {
			return SysvolLocation{}, fmt.Errorf("%q doit être un chemin absolu ou une adresse smb://serveur/SYSVOL", s)
		}
		return SysvolLocation{Path: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return SysvolLocation{}, fmt.Errorf("adresse SYSVOL %q illisible : %v", s, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery {
		// Redacted: a password typed into the address is not repeated.
		return SysvolLocation{}, fmt.Errorf("%q : ni compte, ni paramètres dans l'adresse (exemple : smb://dc1.mairie.local/SYSVOL ; le compte est celui de la section [ad])", u.Redacted())
	}
	l := SysvolLocation{Host: u.Hostname(), Port: u.Port()}
	if l.Host == "" || strings.ContainsAny(l.Host, `\/@%`) {
		return SysvolLocation{}, fmt.Errorf("%q : serveur manquant ou invalide (exemple : smb://dc1.mairie.local/SYSVOL)", s)
	}
	if l.Port != "" {
		if p, err := strconv.Atoi(l.Port); err != nil || p < 1 || p > 65535 {
			return SysvolLocation{}, fmt.Errorf("%q : port invalide", s)
		}
	}
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/"), "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, `\:*?"<>|`) || strings.ContainsFunc(p, isControl) {
			return SysvolLocation{}, fmt.Errorf("%q : partage ou dossier invalide (exemple : smb://dc1.mairie.local/SYSVOL)", s)
		}
	}
	l.Share, l.Dir = parts[0], strings.Join(parts[1:], "/")
	return l, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// isAbs accepts the absolute paths of both systems, whatever this one is,
// so a Windows configuration validates the same everywhere.
func isAbs(p string) bool {
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\\`) ||
		(len(p) > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/'))
}

// sysvolFor decides where SYSVOL is read: the setting when given, the DC's
// own folder when running on one, else the SYSVOL share of the domain
// controller the [ad] section reads (every DC shares SYSVOL). ok is false
// when none is known.
func sysvolFor(cfg *Config, dc *DCConfig) (loc SysvolLocation, ok bool, err error) {
	switch {
	case cfg != nil && cfg.Sysvol != "":
		loc, err = ParseSysvol(cfg.Sysvol)
		return loc, err == nil, err
	case dc != nil && dc.Sysvol != "":
		return SysvolLocation{Path: dc.Sysvol}, true, nil
	case cfg != nil && cfg.URL != "":
		u, err := url.Parse(cfg.URL)
		if err != nil || u.Hostname() == "" {
			return SysvolLocation{}, false, nil
		}
		return SysvolLocation{Host: u.Hostname(), Share: "SYSVOL"}, true, nil
	}
	return SysvolLocation{}, false, nil
}

// ScanSysvolAt reads the GPP files of SYSVOL at loc. Over SMB it
// authenticates as cfg's account; everything is bounded (entries, bytes
// per file and in all, sysvolTimeout).
func ScanSysvolAt(ctx context.Context, d checks.Dialer, cfg *Config, loc SysvolLocation) (*GPPScan, error) {
	ctx, cancel := context.WithTimeout(ctx, sysvolTimeout)
	defer cancel()
	fsys, closeFS, err := openSysvol(ctx, d, cfg, loc)
	if err != nil {
		return nil, err
	}
	defer closeFS()
	s, err := ScanSysvolFS(ctx, fsys, loc.String())
	if err != nil {
		return nil, err
	}
	s.SMB = loc.SMB()
	return s, nil
}

func openSysvol(ctx context.Context, d checks.Dialer, cfg *Config, loc SysvolLocation) (fs.FS, func(), error) {
	if !loc.SMB() {
		st, err := os.Stat(loc.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("SYSVOL %s : %w", loc.Path, err)
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("SYSVOL %s n'est pas un dossier", loc.Path)
		}
		return os.DirFS(loc.Path), func() {}, nil
	}
	if cfg == nil {
		return nil, nil, fmt.Errorf("SYSVOL %s : aucun compte pour s'y connecter (section [ad])", loc)
	}
	if cfg.Bind == bindKerberos {
		// Windows reads the share itself, as the machine account (SSPI,
		// Kerberos) and with the signing its hardened-path policy for
		// \\*\SYSVOL requires: nothing secret is handled by Vigie.
		if runtime.GOOS != "windows" {
			return nil, nil, fmt.Errorf("SYSVOL %s : bind kerberos possible seulement sous Windows", loc)
		}
		unc := `\\` + loc.Host + `\` + loc.Share
		if loc.Dir != "" {
			unc += `\` + strings.ReplaceAll(loc.Dir, "/", `\`)
		}
		if loc.Port != "" && loc.Port != "445" {
			return nil, nil, fmt.Errorf("SYSVOL %s : port autre que 445 impossible avec bind kerberos (lecture par Windows)", loc)
		}
		return openSysvol(ctx, d, cfg, SysvolLocation{Path: unc})
	}
	return openSMB(ctx, d, cfg, loc)
}
