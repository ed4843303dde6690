package agent

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vigie-cyber/vigie/checks/ad"
	tlscheck "github.com/vigie-cyber/vigie/checks/tls"
)

// The [ad] section: which Active Directory to read and how (docs/ad.md).

// ADConfig is the [ad] section: which directory to read and how.
type ADConfig struct {
	URL          string `toml:"url"`           // ldaps://dc1.mairie.local; default on a DC: the local directory
	Bind         string `toml:"bind"`          // kerberos (Windows machine account, default there) or simple
	User         string `toml:"user"`          // simple bind: svc-vigie@mairie.local
	PasswordFile string `toml:"password_file"` // simple bind: 0600, refused if others can read it
	CAFile       string `toml:"ca_file"`       // LDAPS trust; default tls_ca_file, then the system roots
	BaseDN       string `toml:"base_dn"`       // default: the rootDSE's defaultNamingContext
	Sysvol       string `toml:"sysvol"`        // smb://dc1.mairie.local/SYSVOL or a local path; default: on a DC its folder, else the url host's SYSVOL share
}

// maxADPasswordFile bounds the password file (a password, not a document).
const maxADPasswordFile = 1024

// Defaults applied by LoadConfig to unset fields.
func (c *Config) validateAD(bad func(string, ...string) error) error {
	a := c.AD
	out := &ad.Config{URL: a.URL, Bind: a.Bind, User: a.User, BaseDN: a.BaseDN, Sysvol: a.Sysvol, RootCAs: c.tlsRoots}
	if a.URL != "" {
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "ldaps" && u.Scheme != "ldap") || u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return bad(fmt.Sprintf("%q doit être une adresse ldaps://hôte ou ldap://hôte (exemple : ldaps://dc1.mairie.local)", a.URL), "ad", "url")
		}
	}
	switch a.Bind {
	case "":
		out.Bind = "simple"
		if runtime.GOOS == "windows" {
			out.Bind = "kerberos"
		}
	case "simple", "kerberos":
	default:
		return bad(fmt.Sprintf("%q inconnu ; valeurs possibles : kerberos, simple", a.Bind), "ad", "bind")
	}
	if out.Bind == "kerberos" {
		if runtime.GOOS != "windows" {
			return bad("kerberos n'est possible que sous Windows (compte machine) ; ailleurs, bind = \"simple\" avec user et password_file", "ad", "bind")
		}
		if a.User != "" || a.PasswordFile != "" {
			return bad("user et password_file ne servent qu'avec bind = \"simple\" (kerberos utilise le compte machine)", "ad", "user")
		}
	} else {
		if a.User == "" {
			return bad("compte de lecture à indiquer pour bind = \"simple\" (exemple : svc-vigie@mairie.local)", "ad", "user")
		}
		if a.PasswordFile == "" {
			return bad("fichier du mot de passe à indiquer pour bind = \"simple\" (exemple : /etc/vigie/ad.pass, droits 0600)", "ad", "password_file")
		}
		if !filepath.IsAbs(a.PasswordFile) && !strings.HasPrefix(a.PasswordFile, "/") {
			return bad(fmt.Sprintf("%q doit être un chemin absolu", a.PasswordFile), "ad", "password_file")
		}
		pw, err := readSecretFile(a.PasswordFile)
		if err != nil {
			return bad(err.Error(), "ad", "password_file")
		}
		out.Password = pw
	}
	if a.CAFile != "" {
		if !filepath.IsAbs(a.CAFile) && !strings.HasPrefix(a.CAFile, "/") {
			return bad(fmt.Sprintf("%q doit être un chemin absolu", a.CAFile), "ad", "ca_file")
		}
		roots, err := tlscheck.LoadRoots(a.CAFile)
		if err != nil {
			return bad(err.Error(), "ad", "ca_file")
		}
		out.RootCAs = roots
	}
	if len(a.BaseDN) > 1024 || (a.BaseDN != "" && !strings.Contains(strings.ToUpper(a.BaseDN), "DC=")) {
		return bad(fmt.Sprintf("%q n'est pas un DN de domaine (exemple : DC=mairie,DC=local)", a.BaseDN), "ad", "base_dn")
	}
	if a.Sysvol != "" {
		loc, err := ad.ParseSysvol(a.Sysvol)
		if err != nil {
			return bad(err.Error(), "ad", "sysvol")
		}
		// Over SMB, the [ad] account authenticates with NTLM: a DN, fine
		// for an LDAP simple bind, names no one there.
		if loc.SMB() && out.Bind == "simple" {
			if err := ad.CheckSMBAccount(a.User); err != nil {
				return bad(err.Error(), "ad", "user")
			}
		}
	}
	c.ad = out
	return nil
}

// readSecretFile reads a password file that only its owner may read
// (mode 0600 or stricter on Unix); the trailing newline editors add is
// dropped. On Windows the file sits under ProgramData\Vigie, whose ACL the
// installer restricts; mode bits say nothing there and are not checked.
func readSecretFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("fichier du mot de passe illisible : %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s n'est pas un fichier ordinaire", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s est lisible par d'autres comptes (droits %#o) : chmod 600 %s", path, st.Mode().Perm(), path)
	}
	if st.Size() > maxADPasswordFile {
		return "", fmt.Errorf("%s : plus de %d octets, ce n'est pas un mot de passe", path, maxADPasswordFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("fichier du mot de passe illisible : %w", err)
	}
	pw := strings.TrimRight(string(data), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%s est vide", path)
	}
	return pw, nil
}

// NormalizeFingerprint lower-cases a fingerprint and drops the colons and
// spaces people copy from openssl output.
