// Package hygiene checks the basic security settings of a host on Linux and
// Windows: firewall, remote access (SSH, RDP, SMBv1), exposed risky ports
// (weighted by the entity's sector), accounts and administrators, disk
// encryption, antivirus/EDR, time synchronisation and logs. Ransomware enters
// small entities through exactly these gaps (ANSSI hygiene guide, CIS IG1,
// NIS2 art. 21(2)(g)).
package hygiene

import (
	"context"
	"strings"
	"sync"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Sectors of the entity; they change which exposures are emphasised. The
// vocabulary is protocol's (protocol.Sectors).
const (
	SectorCommune  = string(protocol.SectorCommune)
	SectorHospital = string(protocol.SectorHospital)
	SectorPort     = string(protocol.SectorPort)
	SectorOther    = string(protocol.SectorOther)
)

// Checks returns the hygiene checks; sector is the entity's sector
// (commune, hospital, port, other; empty means other).
func Checks(sector string) []checks.Check {
	procs := &procCache{}
	return append([]checks.Check{
		firewallCheck{},
		sshCheck{},
		portsCheck{sector: sector},
		sectorPortsCheck{sector: sector},
		uid0Check{},
		emptyPasswordsCheck{},
		sudoCheck{},
		encryptionCheck{},
		timeCheck{procs},
		antivirusCheck{procs},
		logsCheck{procs},
		eventLogCheck{},
		rdpCheck{},
		smb1Check{},
		adminsCheck{},
		guestCheck{},
		lapsCheck{},
		smbSigningCheck{},
		smbGuestCheck{},
	}, hardeningChecks()...)
}

func meta(id string, sev protocol.Severity, refs protocol.Refs, oses ...string) checks.Meta {
	return checks.Meta{ID: id, Version: 1, Domain: protocol.DomainHygiene, Severity: sev, Refs: refs, OS: oses}
}

// otherOS is the result of a check that has no collection on this OS.
func otherOS(h *checks.Host) protocol.Result {
	return checks.Skipped(protocol.Textf("ne s'applique pas à %s", "does not apply to %s", h.OS))
}

// procCache lists the host's processes once for the checks of one scan that
// need them (time-sync, antivirus, logs): on a small VM each listing costs
// hundreds of milliseconds.
type procCache struct {
	mu sync.Mutex
	m  map[*checks.Host]*procEntry
}

type procEntry struct {
	once  sync.Once
	names []string
	err   error
}

// processNames lists running process names in lower case, once per host
// when c is shared (a nil cache lists every time).
func (c *procCache) processNames(ctx context.Context, h *checks.Host) ([]string, error) {
	if c == nil {
		return listProcesses(ctx, h)
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[*checks.Host]*procEntry{}
	}
	e, ok := c.m[h]
	if !ok {
		e = &procEntry{}
		c.m[h] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.names, e.err = listProcesses(ctx, h) })
	return e.names, e.err
}

func listProcesses(ctx context.Context, h *checks.Host) ([]string, error) {
	ps, err := h.Facts.Processes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, strings.ToLower(p.Name))
	}
	return out, nil
}
