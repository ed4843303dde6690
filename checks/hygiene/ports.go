package hygiene

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// portsCheck: no risky service listens on a non-loopback address. Telnet,
// FTP, SMB, RDP, VNC and SNMP are the ports ransomware operators scan for;
// industrial protocols (Modbus, S7) and DICOM are warnings here, except in
// the sector where they matter most (ports, hospitals), where
// hygiene.sector-ports judges them as critical (ANSSI 17 reinforced, 19,
// 21; CIS 4.4, 4.8; NIS2 21(2)(g)).
type portsCheck struct{ sector string }

func (c portsCheck) Meta() checks.Meta {
	return meta("hygiene.exposed-ports", protocol.High, protocol.Refs{ANSSI: []int{17, 19, 21}, CIS: []string{"4.4", "4.8"}, NIS2: []string{"g"}})
}

// riskyPort is a port worth reporting when it listens beyond loopback.
type riskyPort struct {
	Proto   string // tcp or udp
	Port    int
	Name    string
	Fail    bool     // a failure in every sector
	Sectors []string // sectors where it is a failure rather than a warning
	WhyFR   string
	WhyEN   string
}

var riskyPorts = []riskyPort{
	{"tcp", 23, "Telnet", true, nil, "mots de passe en clair", "clear-text passwords"},
	{"tcp", 21, "FTP", false, nil, "mots de passe en clair", "clear-text passwords"},
	{"tcp", 139, "SMB/NetBIOS", false, nil, "partage de fichiers Windows, cible des rançongiciels", "Windows file sharing, a ransomware target"},
	{"tcp", 445, "SMB", false, nil, "partage de fichiers Windows, cible des rançongiciels", "Windows file sharing, a ransomware target"},
	{"tcp", 3389, "RDP", false, nil, "bureau à distance, première porte d'entrée des rançongiciels", "remote desktop, ransomware's first way in"},
	{"tcp", 5900, "VNC", true, nil, "prise en main à distance souvent sans chiffrement", "remote control often unencrypted"},
	{"tcp", 5901, "VNC", true, nil, "prise en main à distance souvent sans chiffrement", "remote control often unencrypted"},
	{"udp", 161, "SNMP", false, nil, "communautés par défaut (public) lisibles", "default communities (public) readable"},
	{"tcp", 502, "Modbus", false, []string{SectorPort}, "protocole industriel sans authentification (grues, écluses, pompes)", "industrial protocol without authentication (cranes, locks, pumps)"},
	{"tcp", 102, "Siemens S7", false, []string{SectorPort}, "automates industriels sans authentification", "industrial controllers without authentication"},
	{"tcp", 104, "DICOM", false, []string{SectorHospital}, "imagerie médicale : données de santé", "medical imaging: health data"},
	{"tcp", 11112, "DICOM", false, []string{SectorHospital}, "imagerie médicale : données de santé", "medical imaging: health data"},
}

// loopback reports whether a listening address is reachable only locally.
func loopback(addr string) bool {
	if addr == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(addr, "[]"))
	return ip != nil && ip.IsLoopback()
}

// exposure is one risky port found listening.
type exposure struct {
	P       riskyPort
	Addrs   []string
	Process string
	Fail    bool
}

// findExposures matches listeners against the risky ports (pure). The
// ports of the entity's own sector are left to sectorPortsCheck, which
// judges them as critical: they are reported once.
func findExposures(ls []checks.Listener, sector string) []exposure {
	return matchPorts(ls, sector, func(rp riskyPort) bool { return !slices.Contains(rp.Sectors, sector) })
}

// matchPorts returns the listeners beyond loopback on risky ports that keep
// says to look at (pure).
func matchPorts(ls []checks.Listener, sector string, keep func(riskyPort) bool) []exposure {
	var out []exposure
	idx := map[string]int{}
	for _, l := range ls {
		if loopback(l.Address) {
			continue
		}
		proto := strings.TrimSuffix(l.Proto, "6")
		for _, rp := range riskyPorts {
			if rp.Proto != proto || rp.Port != l.Port || !keep(rp) {
				continue
			}
			key := fmt.Sprintf("%s/%d", proto, l.Port)
			i, ok := idx[key]
			if !ok {
				out = append(out, exposure{P: rp, Process: l.Process, Fail: rp.Fail || slices.Contains(rp.Sectors, sector)})
				i = len(out) - 1
				idx[key] = i
			}
			if !slices.Contains(out[i].Addrs, l.Address) {
				out[i].Addrs = append(out[i].Addrs, l.Address)
			}
		}
	}
	return out
}

func judgePorts(ex []exposure, sector string, listeners int) protocol.Result {
	facts := map[string]any{"listeners": listeners, "sector": sector}
	if len(ex) == 0 {
		return checks.Passed(protocol.Textf("aucun port à risque ouvert hors de la machine (%d ports en écoute examinés)",
			"no risky port open beyond the machine (%d listening ports examined)", listeners), facts)
	}
	var fr, en, ports []string
	fail := false
	for _, e := range ex {
		who := ""
		if e.Process != "" {
			who = ", " + e.Process
		}
		f := fmt.Sprintf("%s (%d/%s) sur %s%s : %s", e.P.Name, e.P.Port, e.P.Proto, strings.Join(e.Addrs, ", "), who, e.P.WhyFR)
		g := fmt.Sprintf("%s (%d/%s) on %s%s: %s", e.P.Name, e.P.Port, e.P.Proto, strings.Join(e.Addrs, ", "), who, e.P.WhyEN)
		fr, en = append(fr, f), append(en, g)
		ports = append(ports, fmt.Sprintf("%d/%s", e.P.Port, e.P.Proto))
		fail = fail || e.Fail
	}
	facts["risky_ports"] = ports
	ev := protocol.Text{
		FR: "en écoute sur le réseau (le pare-feu peut encore les filtrer) : " + strings.Join(fr, " ; "),
		EN: "listening on the network (the firewall may still filter them): " + strings.Join(en, "; "),
	}
	if fail {
		return checks.Failed(ev, facts)
	}
	return checks.Warned(ev, facts)
}

func (c portsCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	ls, err := h.Facts.Listeners(ctx)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "liste des ports en écoute impossible", EN: "cannot list listening ports"}, err)
	}
	return judgePorts(findExposures(ls, c.sector), c.sector, len(ls))
}

// sectorPortsCheck: the protocols that matter most in the entity's sector
// (Modbus and S7 in ports, DICOM in hospitals) are not reachable from the
// network. They carry no authentication: an industrial controller or an
// imaging server reachable from the network is one step from stopping a
// terminal or leaking health data, so it is critical, where the same port
// in another sector is a warning of hygiene.exposed-ports (ANSSI 19, 21;
// CIS 4.4; NIS2 21(2)(e); calibration profiles 9 and 10).
type sectorPortsCheck struct{ sector string }

func (c sectorPortsCheck) Meta() checks.Meta {
	return meta("hygiene.sector-ports", protocol.Critical, protocol.Refs{ANSSI: []int{19, 21}, CIS: []string{"4.4"}, NIS2: []string{"e"}})
}

// sectorPorts lists the risky ports raised by sector.
func sectorPorts(sector string) []string {
	var out []string
	for _, rp := range riskyPorts {
		if slices.Contains(rp.Sectors, sector) {
			out = append(out, fmt.Sprintf("%s %d/%s", rp.Name, rp.Port, rp.Proto))
		}
	}
	return out
}

func judgeSectorPorts(ls []checks.Listener, sector string) protocol.Result {
	watched := sectorPorts(sector)
	if len(watched) == 0 {
		return checks.Skipped(protocol.Textf("aucun protocole sensible propre au secteur %q", "no sensitive protocol specific to sector %q", sector))
	}
	ex := matchPorts(ls, sector, func(rp riskyPort) bool { return slices.Contains(rp.Sectors, sector) })
	facts := map[string]any{"sector": sector, "listeners": len(ls)}
	if len(ex) == 0 {
		return checks.Passed(protocol.Textf("aucun de ces ports n'écoute hors de la machine : %s (%d ports en écoute examinés)",
			"none of these ports listens beyond the machine: %s (%d listening ports examined)", strings.Join(watched, ", "), len(ls)), facts)
	}
	var fr, en, ports []string
	for _, e := range ex {
		fr = append(fr, fmt.Sprintf("%s (%d/%s) sur %s : %s", e.P.Name, e.P.Port, e.P.Proto, strings.Join(e.Addrs, ", "), e.P.WhyFR))
		en = append(en, fmt.Sprintf("%s (%d/%s) on %s: %s", e.P.Name, e.P.Port, e.P.Proto, strings.Join(e.Addrs, ", "), e.P.WhyEN))
		ports = append(ports, fmt.Sprintf("%d/%s", e.P.Port, e.P.Proto))
	}
	facts["risky_ports"] = ports
	return checks.Failed(protocol.Text{
		FR: "en écoute sur le réseau : " + strings.Join(fr, " ; "),
		EN: "listening on the network: " + strings.Join(en, "; "),
	}, facts)
}

func (c sectorPortsCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if len(sectorPorts(c.sector)) == 0 {
		return judgeSectorPorts(nil, c.sector)
	}
	ls, err := h.Facts.Listeners(ctx)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "liste des ports en écoute impossible", EN: "cannot list listening ports"}, err)
	}
	return judgeSectorPorts(ls, c.sector)
}
