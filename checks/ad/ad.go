// Package ad holds the Active Directory checks: a read-only look at a
// domain through LDAP (paged searches, github.com/go-ldap/ldap/v3), its
// SYSVOL folder and, on a domain controller, the controller's own settings.
// The checks follow ANSSI's public Active Directory control points
// (https://www.cert.ssi.gouv.fr/uploads/ad_checklist.html), graded in
// levels 1-5; ad.level gives the level reached on the points Vigie checks.
// docs/ad.md gives each check's level and why.
//
// The code is split in three: the collector (collect.go, dc.go, gpp.go,
// sysvol.go and sysvol_smb.go for where SYSVOL is read)
// reads into plain structs (facts.go), the judges (judge.go, level.go) turn
// them into results, and this file wires both into checks.
package ad

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Check IDs.
const (
	IDKrbtgt            = "ad.krbtgt-password-age"
	IDPrivGroups        = "ad.privileged-groups"
	IDPrivRoastable     = "ad.privileged-roastable"
	IDPreauth           = "ad.preauth-disabled"
	IDDelegation        = "ad.unconstrained-delegation"
	IDUnsupportedOS     = "ad.unsupported-os"
	IDDormant           = "ad.dormant-accounts"
	IDPrivNeverExpires  = "ad.privileged-password-never-expires"
	IDLAPS              = "ad.laps-coverage"
	IDGPPPasswords      = "ad.gpp-passwords"
	IDMachineQuota      = "ad.machine-account-quota"
	IDDCAuthProtocols   = "ad.dc-auth-protocols"
	IDDCSpooler         = "ad.dc-spooler"
	IDRecycleBin        = "ad.recycle-bin"
	IDProtectedUsers    = "ad.protected-users"
	IDFunctionalLevel   = "ad.functional-level"
	IDBackupAge         = "ad.backup-age"
	IDLevel             = "ad.level"
	collectTimeout      = 2 * time.Minute
	defaultPageSize     = 500
	maxEntries          = 500_000 // bounds memory on a directory far larger than the entities Vigie serves
	snapshotTTL         = 10 * time.Minute
	bindSimple          = "simple"
	bindKerberos        = "kerberos"
	defaultLDAPSPort    = "636"
	defaultLDAPPort     = "389"
	maxSysvolFile       = 4 << 20  // one Preferences XML file
	maxSysvolBytes      = 64 << 20 // all of them: a real SYSVOL has a few hundred KB
	maxSysvolEntries    = 100_000  // files and folders listed
	maxSysvolDepth      = 24       // folders nested (a junction loop ends here)
	sysvolTimeout       = time.Minute
	maxGPPFindingsShown = 20
)

// Config says which directory to read. The agent builds it from the [ad]
// section of its configuration; nil means no section (the checks then run
// only on a domain controller).
type Config struct {
	URL      string         // ldaps://host[:port] or ldap://host[:port] (StartTLS for simple binds)
	Bind     string         // "simple" or "kerberos"
	User     string         // simple bind
	Password string         // simple bind, read from password_file
	RootCAs  *x509.CertPool // nil: system roots
	BaseDN   string         // empty: the rootDSE's defaultNamingContext
	Sysvol   string         // a local folder or smb://host/SYSVOL; empty: on a DC its folder, else the LDAP host's SYSVOL share
}

// check is one AD check: its metadata and judge.
type check struct {
	meta  checks.Meta
	judge func(s *state, now time.Time) verdict
}

// Checks returns the family's checks for cfg (nil: no [ad] section).
func Checks(cfg *Config) []checks.Check {
	f := &family{cfg: cfg, memo: map[*checks.Host]*memoEntry{}}
	lc := levelCheck
	lc.judge = judgeLevel
	all := append(append([]check{}, catalogue...), lc)
	out := make([]checks.Check, 0, len(all))
	for _, c := range all {
		m := c.meta
		m.Version, m.Domain, m.Timeout = 1, protocol.DomainAD, collectTimeout
		out = append(out, checks.Func{M: m, F: func(ctx context.Context, h *checks.Host) protocol.Result {
			s := f.state(ctx, h)
			return finish(c.judge(s, h.Now()), c.meta.ID)
		}})
	}
	return out
}

// family holds one collection per host, shared by every check of a scan.
type family struct {
	cfg  *Config
	mu   sync.Mutex
	memo map[*checks.Host]*memoEntry
}

type memoEntry struct {
	once sync.Once
	at   time.Time
	s    *state
}

// state is what one collection found; each part may be missing with a
// reason (not applicable) or an error.
type state struct {
	dc    *DCConfig // nil: not a domain controller (or dcErr)
	dcErr error

	snap   *Snapshot
	snapNA protocol.Text // set when the directory is not to be read here
	snapEr error

	gpp   *GPPScan
	gppNA protocol.Text
	gppEr error
}

func (f *family) state(ctx context.Context, h *checks.Host) *state {
	f.mu.Lock()
	e, ok := f.memo[h]
	if !ok || h.Now().Sub(e.at) > snapshotTTL {
		e = &memoEntry{at: h.Now()}
		f.memo[h] = e
	}
	f.mu.Unlock()
	e.once.Do(func() { e.s = collectAll(ctx, f.cfg, h) })
	return e.s
}

// collectAll reads the DC's own settings (when on one), the directory and
// SYSVOL. It never fails as a whole: each part records its own error.
func collectAll(ctx context.Context, cfg *Config, h *checks.Host) *state {
	s := &state{}
	s.dc, s.dcErr = ReadDCConfig(ctx, h)
	eff, na := effectiveConfig(cfg, s.dc, h.OS)
	if na != nil {
		s.snapNA = *na
	} else {
		s.snap, s.snapEr = Collect(ctx, h.Dialer, eff, h.Now())
	}
	loc, known, err := sysvolFor(cfg, s.dc)
	switch {
	case err != nil:
		s.gppEr = err
	case known && loc.SMB() && invalidCredentials(s.snapEr):
		// The same account, the same password: a second refusal would only
		// bring the account closer to its lockout threshold.
		s.gppEr = fmt.Errorf("SYSVOL %s non lu : l'annuaire a refusé le compte %s, pas de seconde tentative par SMB (verrouillage du compte)", loc, cfg.User)
	case known:
		s.gpp, s.gppEr = ScanSysvolAt(ctx, h.Dialer, eff, loc)
	case cfg == nil && s.dc == nil:
		s.gppNA = notConfigured
	default:
		s.gppNA = protocol.Text{FR: "dossier SYSVOL inconnu : indiquez sysvol dans la section [ad] (smb://dc1.mairie.local/SYSVOL ou chemin local)",
			EN: "SYSVOL folder unknown: set sysvol in the [ad] section (smb://dc1.mairie.local/SYSVOL or a local path)"}
	}
	return s
}

// invalidCredentials reports an LDAP refusal of the account's password.
func invalidCredentials(err error) bool {
	var le *ldap.Error
	return errors.As(err, &le) && le.ResultCode == ldap.LDAPResultInvalidCredentials
}

var notConfigured = protocol.Text{
	FR: "ni contrôleur de domaine ni section [ad] dans la configuration : l'annuaire n'est pas examiné depuis cette machine",
	EN: "neither a domain controller nor an [ad] section in the configuration: the directory is not examined from this host",
}

// effectiveConfig fills defaults: a configured section wins; on a Windows
// DC without one, the local directory with the machine account (Kerberos).
// A Samba DC without one cannot bind without a secret: not applicable.
func effectiveConfig(cfg *Config, dc *DCConfig, goos string) (*Config, *protocol.Text) {
	if cfg != nil {
		c := *cfg
		if c.Bind == "" {
			c.Bind = bindSimple
			if goos == "windows" {
				c.Bind = bindKerberos
			}
		}
		if c.URL == "" {
			c.URL = "ldap://localhost"
		}
		return &c, nil
	}
	if dc == nil {
		return nil, &notConfigured
	}
	if dc.Samba || goos != "windows" {
		return nil, &protocol.Text{
			FR: "contrôleur de domaine Samba : ajoutez une section [ad] avec un compte de lecture (bind = \"simple\") pour examiner l'annuaire",
			EN: "Samba domain controller: add an [ad] section with a read account (bind = \"simple\") to examine the directory",
		}
	}
	return &Config{URL: "ldap://localhost", Bind: bindKerberos}, nil
}
