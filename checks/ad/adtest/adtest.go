// Package adtest starts a real Samba Active Directory domain controller for
// tests and benchmarks: `samba-tool domain provision` into a folder, then
// `samba -i` inside a network namespace of its own, every path (private,
// lock, pid, state, sysvol, sockets, logs) inside that folder. LDAPS uses a
// certificate the harness makes, so clients verify it like any other.
//
// A test calls Start(t); a program (bench/ad.sh) calls New and Close. Both
// need root (network namespaces) and the Debian packages listed in
// testdata/apt-packages.txt.
package adtest

import (
	"errors"
	"time"
)

// Domain names used by every harness domain controller.
const (
	Realm    = "MAIRIE.TEST"
	NetBIOS  = "MAIRIE"
	BaseDN   = "DC=mairie,DC=test"
	Hostname = "dc1.mairie.test"
	// AdminPassword is the Administrator password set at provisioning.
	AdminPassword = "Vigie-Test-1!"
	// LDAPSAddr is where the domain controller answers LDAPS inside its
	// namespace.
	LDAPSAddr = "127.0.0.1:636"
)

// ErrUnavailable wraps every reason the peer cannot run here (a missing
// program, not root); tests skip on it locally and fail in CI.
var ErrUnavailable = errors.New("samba AD DC unavailable")

// Options tune New.
type Options struct {
	// Dir is the folder that holds everything; it must exist and be empty
	// enough for a "dc" sub-folder.
	Dir string
	// BeforeStart, when set, runs after provisioning and before samba
	// starts, with the path of sam.ldb (bulk loads are faster offline).
	BeforeStart func(samLDB string) error
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

// Timings are what the harness measured.
type Timings struct {
	Provision time.Duration // samba-tool domain provision
	Start     time.Duration // samba -i until LDAPS answers
}

// DC is a running Samba domain controller.
type DC struct {
	Dir       string // everything lives under it
	SmbConf   string // the provisioned smb.conf
	SamLDB    string // private/sam.ldb, for ldbadd/ldbmodify
	Sysvol    string // state/sysvol: the SYSVOL share's folder
	CAFile    string // PEM of the CA that signed the LDAPS certificate
	Namespace string // network namespace name (ip netns)
	Timings   Timings

	stop func() error
}

// Close stops samba and removes the namespace; the folder is left to its
// owner (t.TempDir removes it).
func (d *DC) Close() error {
	if d == nil || d.stop == nil {
		return nil
	}
	err := d.stop()
	d.stop = nil
	return err
}
