package hygiene

import (
	"bufio"
	"context"
	"fmt"
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
	return meta("hygiene.time-sync", protocol.Low, protocol.Refs{ANSSI: []int{36}, CIS: []string{"8.4"}, NIS2: []string{"b"}})
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

const (
	w32timeKey       = `HKLM\SYSTEM\CurrentControlSet\Services\W32Time`
	w32timePolicyKey = `HKLM\SOFTWARE\Policies\Microsoft\W32Time`
)

// The "Windows Time Service" policies override the service's own
// parameters: read them first and say which applied.
var (
	w32Type      = []regVal{{w32timePolicyKey + `\Parameters`, "Type", true}, {w32timeKey + `\Parameters`, "Type", false}}
	w32Server    = []regVal{{w32timePolicyKey + `\Parameters`, "NtpServer", true}, {w32timeKey + `\Parameters`, "NtpServer", false}}
	w32NtpClient = []regVal{{w32timePolicyKey + `\TimeProviders\NtpClient`, "Enabled", true}, {w32timeKey + `\TimeProviders\NtpClient`, "Enabled", false}}
)

// winTime is what was read of the Windows Time service; fields are set
// only when read.
type winTime struct {
	Start     uint64
	StartRead bool
	Type      string
	TypeFrom  regVal
	Server    string
	Client    uint64
	ClientRd  bool
}

// judgeWinTime reads the Windows Time service's start mode (2 automatic,
// 3 manual/trigger, 4 disabled), its type (NTP, NT5DS for the domain
// hierarchy, AllSync, NoSync) and whether the NTP client is enabled.
func judgeWinTime(t winTime) protocol.Result {
	facts := map[string]any{"type": t.Type, "type_source": t.TypeFrom.Key}
	if t.StartRead {
		facts["start"] = t.Start
	}
	src := t.TypeFrom.source()
	switch {
	case t.StartRead && t.Start == 4:
		return checks.Failed(protocol.Text{FR: "service de temps Windows (W32Time) désactivé (Start=4)", EN: "Windows Time service (W32Time) disabled (Start=4)"}, facts)
	case strings.EqualFold(t.Type, "NoSync"):
		return checks.Failed(tf("W32Time configuré sans synchronisation (Type=NoSync, %s)", "W32Time configured without synchronisation (Type=NoSync, %s)", src), facts)
	case t.ClientRd && t.Client == 0:
		return checks.Failed(tf("client NTP de W32Time désactivé (NtpClient Enabled=0 ; Type=%s, %s)", "W32Time NTP client disabled (NtpClient Enabled=0; Type=%s, %s)", t.Type, src), facts)
	case strings.EqualFold(t.Type, "NT5DS"):
		return checks.Passed(tf("heure synchronisée sur le domaine (Type=NT5DS, %s)", "time synchronised from the domain (Type=NT5DS, %s)", src), facts)
	}
	server := protocol.Text{FR: "serveur non lu", EN: "server not read"}
	if t.Server != "" {
		server = protocol.Textf("serveur %s", "server %s", t.Server)
	}
	return checks.Passed(protocol.Text{FR: fmt.Sprintf("heure synchronisée (Type=%s, %s ; %s)", t.Type, src.FR, server.FR),
		EN: fmt.Sprintf("time synchronised (Type=%s, %s; %s)", t.Type, src.EN, server.EN)}, facts)
}

func collectWinTime(r checks.Registry) (winTime, error) {
	var t winTime
	var err error
	if t.Start, err = r.Integer(w32timeKey, "Start"); err == nil {
		t.StartRead = true
	}
	if t.Type, t.TypeFrom, err = firstString(r, w32Type...); err != nil {
		return t, err
	}
	t.Server, _, _ = firstString(r, w32Server...)
	if t.Client, _, err = firstInt(r, w32NtpClient...); err == nil {
		t.ClientRd = true
	}
	return t, nil
}

func (c timeCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	switch h.OS {
	case "windows":
		t, err := collectWinTime(h.Registry)
		if err != nil {
			return checks.Errored(protocol.Text{FR: "type de synchronisation W32Time (Type) illisible", EN: "W32Time synchronisation type (Type) unreadable"}, err)
		}
		return judgeWinTime(t)
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
