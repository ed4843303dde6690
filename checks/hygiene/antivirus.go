package hygiene

import (
	"context"
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// antivirusCheck: an antivirus or EDR runs, with fresh signatures. It is
// MonAideCyber's third priority measure and the last line against the
// malware a phishing mail brings (ANSSI 14 ; CIS 10.1, 10.2; NIS2 21(2)(g)).
type antivirusCheck struct{ procs *procCache }

func (antivirusCheck) Meta() checks.Meta {
	return meta("hygiene.antivirus", protocol.High, protocol.Refs{ANSSI: []int{14}, CIS: []string{"10.1", "10.2"}, NIS2: []string{"g"}}, 3)
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

// defenderScript reads Microsoft Defender's state: booleans and a number of
// days, nothing localised.
const defenderScript = `Get-MpComputerStatus | Select-Object AMServiceEnabled,AntivirusEnabled,RealTimeProtectionEnabled,AntivirusSignatureAge | ConvertTo-Json -Compress`

type defenderStatus struct {
	AMServiceEnabled          bool
	AntivirusEnabled          bool
	RealTimeProtectionEnabled bool
	AntivirusSignatureAge     int
}

// judgeDefender: real-time protection on and signatures at most 3 days old
// pass; 4-7 days warn; older or off fails, unless another product runs.
func judgeDefender(d *defenderStatus, others []string) protocol.Result {
	facts := map[string]any{"products": others}
	if d != nil {
		facts["defender_realtime"] = d.RealTimeProtectionEnabled
		facts["defender_signature_age_days"] = d.AntivirusSignatureAge
	}
	var third []string
	for _, p := range others {
		if p != "Microsoft Defender" {
			third = append(third, p)
		}
	}
	if len(third) > 0 {
		return checks.Passed(protocol.Textf("protection active : %s", "protection running: %s", strings.Join(third, ", ")), facts)
	}
	switch {
	case d == nil:
		return checks.Failed(protocol.Text{FR: "ni Microsoft Defender ni autre antivirus détecté", EN: "neither Microsoft Defender nor another antivirus detected"}, facts)
	case !d.AntivirusEnabled || !d.RealTimeProtectionEnabled:
		return checks.Failed(protocol.Textf("Microsoft Defender : protection en temps réel désactivée (antivirus %v, temps réel %v)",
			"Microsoft Defender: real-time protection off (antivirus %v, real time %v)", d.AntivirusEnabled, d.RealTimeProtectionEnabled), facts)
	case d.AntivirusSignatureAge > 7:
		return checks.Failed(protocol.Textf("Microsoft Defender : signatures vieilles de %d jours", "Microsoft Defender: signatures %d days old", d.AntivirusSignatureAge), facts)
	case d.AntivirusSignatureAge > 3:
		return checks.Warned(protocol.Textf("Microsoft Defender : signatures vieilles de %d jours", "Microsoft Defender: signatures %d days old", d.AntivirusSignatureAge), facts)
	}
	return checks.Passed(protocol.Textf("Microsoft Defender actif en temps réel, signatures de %d jour(s)", "Microsoft Defender real-time on, signatures %d day(s) old", d.AntivirusSignatureAge), facts)
}

func (c antivirusCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	procs, perr := c.procs.processNames(ctx, h)
	found := products(procs)
	switch h.OS {
	case "windows":
		var d *defenderStatus
		if out, err := powershell(ctx, h, defenderScript); err == nil {
			if ds, err := unmarshalList[defenderStatus](out); err == nil && len(ds) > 0 {
				d = &ds[0]
			}
		}
		if d == nil && perr != nil {
			return checks.Errored(protocol.Text{FR: "état de l'antivirus inconnu", EN: "antivirus state unknown"}, perr)
		}
		return judgeDefender(d, found)
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
