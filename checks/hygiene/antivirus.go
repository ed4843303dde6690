package hygiene

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// antivirusCheck: an antivirus or EDR runs, with fresh signatures. It is
// MonAideCyber's third priority measure and the last line against the
// malware a phishing mail brings (ANSSI 14 ; CIS 10.1, 10.2; NIS2 21(2)(g)).
type antivirusCheck struct{ procs *procCache }

func (antivirusCheck) Meta() checks.Meta {
	return meta("hygiene.antivirus", protocol.High, protocol.Refs{ANSSI: []int{14}, CIS: []string{"10.1", "10.2"}, NIS2: []string{"g"}})
}

// avProcesses maps process names (lower case) of antivirus and EDR agents
// to a product name, on Linux and Windows.
var avProcesses = map[string]string{
	"clamd": "ClamAV", "clamonacc": "ClamAV", "freshclam": "ClamAV",
	"wdavdaemon": "Microsoft Defender for Endpoint", "mssense.exe": "Microsoft Defender for Endpoint", "sensecncproxy.exe": "Microsoft Defender for Endpoint",
	"falcon-sensor": "CrowdStrike Falcon", "csfalconservice.exe": "CrowdStrike Falcon",
	"sentinelagent.exe": "SentinelOne", "s1-agent": "SentinelOne", "sentinelone-agent": "SentinelOne",
	"esets_daemon": "ESET", "oaeventd": "ESET", "ekrn.exe": "ESET", "eset_service": "ESET",
	"avp.exe": "Kaspersky", "kesl": "Kaspersky", "klnagent": "Kaspersky", "wdserver": "Kaspersky",
	"sophos_threat_detector": "Sophos", "sophosfilescanner.exe": "Sophos", "sophoshealth.exe": "Sophos", "sophos-spl": "Sophos", "sspservice.exe": "Sophos",
	"mfetpd": "Trellix (McAfee)", "mfemms.exe": "Trellix (McAfee)", "mcshield.exe": "Trellix (McAfee)",
	"ds_agent": "Trend Micro", "ntrtscan.exe": "Trend Micro", "pccntmon.exe": "Trend Micro",
	"cybereason-sensor": "Cybereason", "minionhost.exe": "Cybereason",
	"hurukai": "HarfangLab", "hurukai.exe": "HarfangLab",
	"fsav": "WithSecure", "fshoster64.exe": "WithSecure", "fshoster32.exe": "WithSecure",
	"bdservicehost.exe": "Bitdefender", "bdsec": "Bitdefender", "epsecurityservice.exe": "Bitdefender",
	"traps_pmd": "Cortex XDR", "cyserver.exe": "Cortex XDR",
	"ccsvchst.exe": "Symantec", "sepagent": "Symantec",
	"stormshield": "Stormshield", "ssepsvc.exe": "Stormshield", "tetragon": "Tetragon", "wazuh-agentd": "Wazuh (EDR)",
	"msmpeng.exe": "Microsoft Defender",
}

// products returns the antivirus/EDR products among running processes.
func products(procs []string) []string {
	var out []string
	for _, p := range procs {
		if name, ok := avProcesses[p]; ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// defenderScript reads Microsoft Defender's state: booleans, a number of
// days, the running mode (Normal, Passive Mode, EDR Block Mode) and the
// exclusions, which only an administrator may see (others get "N/A: Must
// be an administrator..."), so whether they were read is said apart.
const defenderScript = `$s = Get-MpComputerStatus
$p = $null; $read = $false
try { $p = Get-MpPreference; $read = $true } catch {}
[pscustomobject]@{
  AMServiceEnabled = [bool]$s.AMServiceEnabled
  AntivirusEnabled = [bool]$s.AntivirusEnabled
  RealTimeProtectionEnabled = [bool]$s.RealTimeProtectionEnabled
  IsTamperProtected = [bool]$s.IsTamperProtected
  AntivirusSignatureAge = [int]$s.AntivirusSignatureAge
  AMRunningMode = [string]$s.AMRunningMode
  ExclusionsRead = $read
  ExclusionPath = @($p.ExclusionPath | Where-Object { $_ } | ForEach-Object { [string]$_ })
  ExclusionExtension = @($p.ExclusionExtension | Where-Object { $_ } | ForEach-Object { [string]$_ })
}`

type defenderStatus struct {
	AMServiceEnabled          bool
	AntivirusEnabled          bool
	RealTimeProtectionEnabled bool
	IsTamperProtected         bool
	AntivirusSignatureAge     int
	AMRunningMode             string
	ExclusionsRead            bool
	ExclusionPath             []string
	ExclusionExtension        []string
}

// securityCenterScript lists the antivirus products registered with the
// Windows Security Center (workstations only: the namespace does not exist
// on Windows Server). productState is a bit field (see wscState).
const securityCenterScript = `Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | ForEach-Object { [pscustomobject]@{ Name = [string]$_.displayName; State = [int64]$_.productState } }`

type wscProduct struct {
	Name  string
	State int64
}

// wscState decodes productState: bits 12-15 are the scanner state (1 on,
// 0 off, 2 snoozed, 3 expired), bits 4-7 the signatures (0 up to date,
// 1 out of date). Documented by the Security Center's SDK samples and
// observed values (0x61100 Defender on, 0x60100 off, 0x61110 out of date).
func wscState(state int64) (on, upToDate bool) {
	return (state>>12)&0xF == 1, (state>>4)&0xF == 0
}

func isDefender(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "defender")
}

// broadPaths are exclusions that leave most of the system unscanned.
var broadPaths = []string{`c:\`, `c:\windows`, `c:\windows\system32`, `c:\users`, `c:\programdata`, `c:\program files`, `c:\program files (x86)`,
	`c:\windows\temp`, `%temp%`, `%windir%`, `%systemroot%`, `%userprofile%`, `%appdata%`, `%programdata%`, `c:\users\*\appdata`, `c:\users\*\downloads`, `*`}

// broadExtensions are file types malware arrives as.
var broadExtensions = []string{"exe", "dll", "ps1", "bat", "cmd", "js", "vbs", "scr", "hta", "msi", "zip", "docm", "xlsm", "*"}

// broadExclusions returns the exclusions among paths and extensions that
// are broad; a drive root of any letter is broad.
func broadExclusions(paths, exts []string) []string {
	var out []string
	for _, p := range paths {
		l := strings.ToLower(strings.TrimRight(strings.TrimSpace(p), `\`))
		if len(l) == 2 && l[1] == ':' || slices.Contains(broadPaths, l) || slices.Contains(broadPaths, l+`\`) {
			out = append(out, p)
		}
	}
	for _, e := range exts {
		if slices.Contains(broadExtensions, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(e), "."))) {
			out = append(out, "*."+strings.TrimPrefix(e, "."))
		}
	}
	return out
}

// winAV is what was read; nil or empty fields were not read.
type winAV struct {
	Workstation bool
	WSC         []wscProduct // nil: not read
	WSCErr      error
	Defender    *defenderStatus
	DefenderErr error
	DefenderAbs bool     // no Defender cmdlets on this system
	Procs       []string // known products among running processes
	ProcsRead   bool
}

// judgeWinAV: a third-party product that is on (Security Center) or runs
// (known process) passes; otherwise Defender is judged: real-time
// protection, tamper protection, signature age, broad exclusions.
// Nothing read is an error; data read and no protection is a failure.
func judgeWinAV(a winAV) protocol.Result {
	facts := map[string]any{"products": a.Procs}
	var third, thirdOff []string
	for _, p := range a.WSC {
		if isDefender(p.Name) {
			continue
		}
		if on, _ := wscState(p.State); on {
			third = append(third, p.Name+" (Security Center)")
		} else {
			thirdOff = append(thirdOff, p.Name)
		}
	}
	for _, p := range a.Procs {
		if p != "Microsoft Defender" && !slices.ContainsFunc(third, func(s string) bool {
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(strings.Fields(p)[0]))
		}) {
			third = append(third, p+" (processus / process)")
		}
	}
	if a.WSC != nil {
		facts["security_center_products"] = len(a.WSC)
	}
	if len(third) > 0 {
		return checks.Passed(protocol.Textf("protection active : %s", "protection running: %s", strings.Join(third, ", ")), facts)
	}
	d := a.Defender
	if d == nil {
		switch {
		case a.WSC != nil && len(a.WSC) == 0 && a.ProcsRead:
			return checks.Failed(protocol.Text{FR: "le Centre de sécurité Windows ne connaît aucun antivirus et aucun antivirus connu ne tourne", EN: "Windows Security Center knows no antivirus and no known antivirus runs"}, facts)
		case a.DefenderAbs && a.ProcsRead:
			return checks.Failed(tf("ni Microsoft Defender (non installé) ni autre antivirus connu en cours d'exécution%s", "neither Microsoft Defender (not installed) nor another known antivirus running%s", offList(thirdOff)), facts)
		}
		return winps.Errored(protocol.Text{FR: "état de l'antivirus illisible (Microsoft Defender et Centre de sécurité)", EN: "antivirus state unreadable (Microsoft Defender and Security Center)"}, errors.Join(a.DefenderErr, a.WSCErr))
	}
	facts["defender_realtime"] = d.RealTimeProtectionEnabled
	facts["defender_tamper_protected"] = d.IsTamperProtected
	facts["defender_signature_age_days"] = d.AntivirusSignatureAge
	facts["defender_mode"] = d.AMRunningMode
	var broad []string
	if d.ExclusionsRead && !exclusionsHidden(d.ExclusionPath) {
		broad = broadExclusions(d.ExclusionPath, d.ExclusionExtension)
		facts["defender_exclusions"] = len(d.ExclusionPath) + len(d.ExclusionExtension)
		facts["defender_broad_exclusions"] = len(broad)
	}
	switch {
	case !d.AntivirusEnabled || !d.RealTimeProtectionEnabled:
		return checks.Failed(protocol.Textf("Microsoft Defender : protection en temps réel désactivée (antivirus %v, temps réel %v, mode %s)%s",
			"Microsoft Defender: real-time protection off (antivirus %v, real time %v, mode %s)%s", d.AntivirusEnabled, d.RealTimeProtectionEnabled, orDash(d.AMRunningMode), offList(thirdOff)), facts)
	case d.AntivirusSignatureAge > 7:
		return checks.Failed(protocol.Textf("Microsoft Defender : signatures vieilles de %d jours", "Microsoft Defender: signatures %d days old", d.AntivirusSignatureAge), facts)
	case len(broad) > 0:
		return checks.Failed(protocol.Textf("Microsoft Defender : exclusions trop larges (%s), une grande partie du système n'est pas analysée",
			"Microsoft Defender: broad exclusions (%s), much of the system is not scanned", strings.Join(broad, ", ")), facts)
	}
	ev := protocol.Textf("Microsoft Defender actif en temps réel, signatures de %d jour(s)", "Microsoft Defender real-time on, signatures %d day(s) old", d.AntivirusSignatureAge)
	if d.IsTamperProtected {
		ev.FR, ev.EN = ev.FR+", protection contre les falsifications active", ev.EN+", tamper protection on"
	} else {
		ev.FR, ev.EN = ev.FR+", protection contre les falsifications DÉSACTIVÉE", ev.EN+", tamper protection OFF"
	}
	if !d.ExclusionsRead || exclusionsHidden(d.ExclusionPath) {
		ev.FR, ev.EN = ev.FR+" ; exclusions non lues ("+winps.AdminNeeded.FR+")", ev.EN+"; exclusions not read ("+winps.AdminNeeded.EN+")"
	} else {
		ev.FR += fmt.Sprintf(", %d exclusion(s), aucune trop large", len(d.ExclusionPath)+len(d.ExclusionExtension))
		ev.EN += fmt.Sprintf(", %d exclusion(s), none broad", len(d.ExclusionPath)+len(d.ExclusionExtension))
	}
	if d.AntivirusSignatureAge > 3 || !d.IsTamperProtected {
		return checks.Warned(ev, facts)
	}
	return checks.Passed(ev, facts)
}

func exclusionsHidden(paths []string) bool {
	return len(paths) > 0 && strings.HasPrefix(paths[0], "N/A")
}

func offList(names []string) protocol.Text {
	if len(names) == 0 {
		return protocol.Text{}
	}
	return protocol.Text{FR: " ; inscrits mais inactifs : " + strings.Join(names, ", "), EN: "; registered but inactive: " + strings.Join(names, ", ")}
}

func (c antivirusCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	procs, perr := c.procs.processNames(ctx, h)
	found := products(procs)
	switch h.OS {
	case "windows":
		a := winAV{Procs: found, ProcsRead: perr == nil}
		pt, err := productType(h.Registry)
		// The Security Center exists on workstations only; when the
		// product type is unknown it is asked anyway.
		if err != nil || pt == "WinNT" {
			a.Workstation = err == nil
			a.WSC, a.WSCErr = psList[wscProduct](ctx, h, securityCenterScript)
			if a.WSCErr != nil {
				a.WSC = nil
			} else if a.WSC == nil {
				a.WSC = []wscProduct{}
			}
		}
		d, err := psOne[defenderStatus](ctx, h, defenderScript)
		var pe *winps.Error
		switch {
		case err == nil:
			a.Defender = &d
		case errors.As(err, &pe) && pe.Type == commandNotFound:
			a.DefenderAbs = true
		default:
			a.DefenderErr = err
		}
		return judgeWinAV(a)
	case "linux":
		if perr != nil {
			return checks.Errored(protocol.Text{FR: "liste des processus impossible", EN: "cannot list processes"}, perr)
		}
		facts := map[string]any{"products": found}
		if len(found) > 0 {
			return checks.Passed(protocol.Textf("protection active : %s", "protection running: %s", strings.Join(found, ", ")), facts)
		}
		// On a Linux server an antivirus is advice rather than a rule; a
		// workstation or a file server for Windows clients needs one.
		return checks.Warned(protocol.Textf("aucun antivirus ni EDR en cours d'exécution (%d processus examinés)",
			"no antivirus or EDR running (%d processes examined)", len(procs)), facts)
	}
	return otherOS(h)
}
