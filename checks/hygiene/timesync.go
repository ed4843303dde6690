package hygiene

import (
	"bufio"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// timeCheck: the clock is synchronised with a time source. Without a common
// time, logs of different machines cannot be put together after an incident,
// and certificates and Kerberos fail (ANSSI 36; CIS 8.4; NIS2 21(2)(b)).
type timeCheck struct{ procs *procCache }

func (timeCheck) Meta() checks.Meta {
	return meta("hygiene.time-sync", protocol.Low, protocol.Refs{ANSSI: []int{36}, CIS: []string{"8.4"}, NIS2: []string{"b"}}, 0)
}

var timeDaemons = []string{"chronyd", "ntpd", "systemd-timesyncd", "openntpd", "ntpsec", "timesyncd", "vmtoolsd-timesync"}

// parseTimedatectl reads `timedatectl show` (key=value, not localised).
func parseTimedatectl(b []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	return m
}

func judgeLinuxTime(td map[string]string, daemons []string) protocol.Result {
	facts := map[string]any{"daemons": daemons, "synchronized": td["NTPSynchronized"] == "yes"}
	d := strings.Join(daemons, ", ")
	switch {
	case td["NTPSynchronized"] == "yes":
		return checks.Passed(protocol.Textf("horloge synchronisée (NTPSynchronized=yes ; %s)", "clock synchronised (NTPSynchronized=yes; %s)", orDash(d)), facts)
	case len(daemons) > 0 && td["NTPSynchronized"] == "no":
		return checks.Warned(protocol.Textf("service de temps présent (%s) mais horloge non synchronisée", "time service present (%s) but clock not synchronised", d), facts)
	case len(daemons) > 0:
		return checks.Passed(protocol.Textf("service de temps actif : %s", "time service running: %s", d), facts)
	case td["NTP"] == "yes":
		return checks.Warned(protocol.Text{FR: "synchronisation activée (NTP=yes) mais pas encore effective", EN: "synchronisation on (NTP=yes) but not effective yet"}, facts)
	}
	return checks.Failed(protocol.Text{FR: "aucune synchronisation de l'heure (ni chrony, ni systemd-timesyncd, ni ntpd)", EN: "no time synchronisation (no chrony, systemd-timesyncd or ntpd)"}, facts)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

const w32timeKey = `HKLM\SYSTEM\CurrentControlSet\Services\W32Time`

// judgeWinTime reads the Windows Time service's start mode (2 automatic,
// 3 manual/trigger, 4 disabled) and type (NTP, NT5DS for the domain
// hierarchy, AllSync, NoSync).
func judgeWinTime(start uint64, startErr error, typ, server string) protocol.Result {
	facts := map[string]any{"start": start, "type": typ}
	switch {
	case startErr == nil && start == 4:
		return checks.Failed(protocol.Text{FR: "service de temps Windows (W32Time) désactivé", EN: "Windows Time service (W32Time) disabled"}, facts)
	case strings.EqualFold(typ, "NoSync"):
		return checks.Failed(protocol.Text{FR: "W32Time configuré sans synchronisation (Type=NoSync)", EN: "W32Time configured without synchronisation (Type=NoSync)"}, facts)
	case strings.EqualFold(typ, "NT5DS"):
		return checks.Passed(protocol.Text{FR: "heure synchronisée sur le domaine (Type=NT5DS)", EN: "time synchronised from the domain (Type=NT5DS)"}, facts)
	case typ != "":
		return checks.Passed(protocol.Textf("heure synchronisée (Type=%s, serveur %s)", "time synchronised (Type=%s, server %s)", typ, orDash(server)), facts)
	}
	return checks.Warned(protocol.Text{FR: "configuration W32Time introuvable", EN: "W32Time configuration not found"}, facts)
}

func (c timeCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	switch h.OS {
	case "windows":
		start, serr := h.Registry.Integer(w32timeKey, "Start")
		typ, terr := h.Registry.String(w32timeKey+`\Parameters`, "Type")
		server, _ := h.Registry.String(w32timeKey+`\Parameters`, "NtpServer")
		if serr != nil && terr != nil && !errors.Is(terr, checks.ErrNotFound) {
			return checks.Errored(protocol.Text{FR: "registre W32Time illisible", EN: "W32Time registry unreadable"}, terr)
		}
		return judgeWinTime(start, serr, typ, server)
	case "linux":
		out, _ := h.Exec.Run(ctx, "timedatectl", "show")
		td := parseTimedatectl(out)
		procs, err := c.procs.processNames(ctx, h)
		if err != nil && len(td) == 0 {
			return checks.Errored(protocol.Text{FR: "état de l'horloge inconnu", EN: "clock state unknown"}, err)
		}
		var daemons []string
		for _, p := range procs {
			if slices.Contains(timeDaemons, p) && !slices.Contains(daemons, p) {
				daemons = append(daemons, p)
			}
		}
		return judgeLinuxTime(td, daemons)
	}
	return otherOS(h)
}
