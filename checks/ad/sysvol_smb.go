package ad

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"

	smb2 "github.com/cloudsoda/go-smb2"

	"github.com/vigie-cyber/vigie/checks"
)

// SYSVOL over SMB2/3 with github.com/cloudsoda/go-smb2: the maintained
// fork of hirochachacha/go-smb2 (which the module proxy no longer serves),
// the SMB client rclone uses. It speaks SMB 2.0.2 to 3.1.1 (pre-auth
// integrity, AES-CMAC signing, encryption when the server asks for it) and
// authenticates with NTLMv2 (or Kerberos with a keytab, unused here).
//
// Signing: the negotiation says "signing required". The library then
// refuses a guest or anonymous session (the server would not have checked
// the password) and verifies the signature of every response, failing the
// read on a missing or wrong one: a machine in the middle can neither
// replace the DC nor alter the files read.
//
// Read-only: the share is only ever seen through fs.FS (open for
// GENERIC_READ, list); nothing here can create, write or delete.

// openSMB connects to loc as cfg's account (the one the LDAP bind uses)
// and returns the share folder as an fs.FS. The connection is closed when
// ctx ends, so a stalled server cannot hold the scan past its deadline.
func openSMB(ctx context.Context, d checks.Dialer, cfg *Config, loc SysvolLocation) (fs.FS, func(), error) {
	user, domain, err := ntlmAccount(cfg.User)
	if err != nil {
		return nil, nil, fmt.Errorf("SYSVOL %s : %w", loc, err)
	}
	if cfg.Password == "" {
		return nil, nil, fmt.Errorf("SYSVOL %s : mot de passe vide", loc)
	}
	if d == nil {
		d = &net.Dialer{}
	}
	port := loc.Port
	if port == "" {
		port = "445"
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", net.JoinHostPort(loc.Host, port))
	if err != nil {
		return nil, nil, fmt.Errorf("SYSVOL %s : connexion : %w", loc, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(what string, err error) (fs.FS, func(), error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, nil, fmt.Errorf("SYSVOL %s : %s : %w", loc, what, err)
	}
	dialer := &smb2.Dialer{
		Negotiator: smb2.Negotiator{RequireMessageSigning: true},
		Initiator:  &smb2.NTLMInitiator{User: user, Password: cfg.Password, Domain: domain},
	}
	sess, err := dialer.DialConn(ctx, conn, loc.Host)
	if err != nil {
		var re *smb2.ResponseError
		if errors.As(err, &re) {
			// The server's own status; Samba answers a wrong password
			// with more than one code (STATUS_LOGON_FAILURE, STATUS_NOT_FOUND).
			return fail(fmt.Sprintf("ouverture de session SMB de %s refusée par le serveur (mot de passe, compte désactivé ou verrouillé ?)", cfg.User), err)
		}
		return fail(fmt.Sprintf("ouverture de session SMB de %s (signature exigée, NTLMv2)", cfg.User), err)
	}
	sess = sess.WithContext(ctx)
	share, err := sess.Mount(loc.Share)
	if err != nil {
		sess.Logoff()
		return fail("accès au partage "+loc.Share, err)
	}
	share = share.WithContext(ctx)
	closeFn := func() {
		share.Umount()
		sess.Logoff()
		stop()
		conn.Close()
	}
	return smbFS{share.DirFS(loc.Dir)}, closeFn, nil
}

// smbFS hides every method of the library's fs.FS but Open, so the walk
// cannot take another path (Glob, ReadFile without a size bound).
type smbFS struct{ fsys fs.FS }

func (s smbFS) Open(name string) (fs.File, error) { return s.fsys.Open(name) }

// CheckSMBAccount says whether the [ad] user can authenticate over SMB
// (configuration check at load).
func CheckSMBAccount(user string) error {
	_, _, err := ntlmAccount(user)
	return err
}

// ntlmAccount splits the [ad] user for NTLM: user@dns.domain is sent as
// a user principal name with no domain (MS-NLMP 3.1.5.1.2), DOMAIN\user
// as a user of that domain. A DN works for an LDAP simple bind but not
// for SMB.
func ntlmAccount(u string) (user, domain string, err error) {
	switch {
	case u == "":
		return "", "", errors.New("compte vide")
	case strings.Contains(u, "="):
		return "", "", fmt.Errorf("le compte %q est un DN : SMB demande utilisateur@domaine ou DOMAINE\\utilisateur", u)
	case strings.Contains(u, `\`):
		domain, user, _ = strings.Cut(u, `\`)
		if domain == "" || user == "" {
			return "", "", fmt.Errorf("compte %q invalide (DOMAINE\\utilisateur)", u)
		}
		return user, domain, nil
	}
	return u, "", nil
}
