package ad

import (
	"sort"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// anssiIDs names, per check, ANSSI's public AD control points it covers
// (https://www.cert.ssi.gouv.fr/uploads/ad_checklist.html). Checks absent
// here have no identifier Vigie could confirm in the public material; their
// level is Vigie's choice, explained in docs/ad.md.
var anssiIDs = map[string][]string{
	IDKrbtgt:           {"vuln_krbtgt"},
	IDPrivGroups:       {"vuln_privileged_members"},
	IDPrivRoastable:    {"vuln_spn_priv", "vuln_kerberos_properties_preauth_priv"},
	IDPreauth:          {"vuln_kerberos_properties_preauth"},
	IDDelegation:       {"vuln_delegation_t4d"},
	IDUnsupportedOS:    {"vuln_warning_dc_obsolete"},
	IDDormant:          {"vuln_user_accounts_dormant"},
	IDPrivNeverExpires: {"vuln_dont_expire_priv"},
	IDMachineQuota:     {"vuln_user_accounts_machineaccountquota"},
	IDProtectedUsers:   {"vuln_protected_users"},
	IDFunctionalLevel:  {"vuln_functional_level"},
}

// catalogue lists every check with the lowest level it can block (an
// error blocks at that level: no data, no level).
var catalogue = []check{
	{checks.Meta{ID: IDKrbtgt, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{11}, NIS2: []string{"i"}}}, judgeKrbtgt},
	{checks.Meta{ID: IDPrivGroups, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{5, 9}, CIS: []string{"5.3", "5.4"}, NIS2: []string{"i"}}}, judgePrivGroups},
	{checks.Meta{ID: IDPrivRoastable, Severity: protocol.Critical, Refs: protocol.Refs{ANSSI: []int{10, 11}, CIS: []string{"5.2"}, NIS2: []string{"i"}}}, judgePrivRoastable},
	{checks.Meta{ID: IDPreauth, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{10}, NIS2: []string{"i"}}}, judgePreauth},
	{checks.Meta{ID: IDDelegation, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{9}, NIS2: []string{"i"}}}, judgeDelegation},
	{checks.Meta{ID: IDUnsupportedOS, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{35}, CIS: []string{"2.2"}, NIS2: []string{"e"}}}, judgeUnsupportedOS},
	{checks.Meta{ID: IDDormant, Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{6}, CIS: []string{"5.3"}, NIS2: []string{"i"}}}, judgeDormant},
	{checks.Meta{ID: IDPrivNeverExpires, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{10}, CIS: []string{"5.2"}, NIS2: []string{"i"}}}, judgePrivNeverExpires},
	{checks.Meta{ID: IDLAPS, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{12, 29}, CIS: []string{"5.2"}, NIS2: []string{"i"}}}, judgeLAPS},
	{checks.Meta{ID: IDGPPPasswords, Severity: protocol.Critical, Refs: protocol.Refs{ANSSI: []int{11}, CIS: []string{"5.2"}, NIS2: []string{"i"}}}, judgeGPP},
	{checks.Meta{ID: IDMachineQuota, Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{7}, NIS2: []string{"i"}}}, judgeMachineQuota},
	{checks.Meta{ID: IDDCAuthProtocols, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{13}, CIS: []string{"4.1"}, NIS2: []string{"h"}}}, judgeDCAuth},
	{checks.Meta{ID: IDDCSpooler, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{29}, CIS: []string{"4.1"}, NIS2: []string{"e"}}}, judgeSpooler},
	{checks.Meta{ID: IDRecycleBin, Severity: protocol.Low, Refs: protocol.Refs{CIS: []string{"11.1"}, NIS2: []string{"c"}}}, judgeRecycleBin},
	{checks.Meta{ID: IDProtectedUsers, Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{11}, NIS2: []string{"i"}}}, judgeProtectedUsers},
	{checks.Meta{ID: IDFunctionalLevel, Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{35}, CIS: []string{"4.1"}}}, judgeFunctionalLevel},
	{checks.Meta{ID: IDBackupAge, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{37}, CIS: []string{"11.2"}, NIS2: []string{"c"}}}, judgeBackup},
}

// levelCheck comes last: it runs every other judge on the same snapshot.
var levelCheck = check{checks.Meta{ID: IDLevel, Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{5, 9, 10, 11}, NIS2: []string{"i"}}}, nil}

// judgeLevel gives the domain's level in the spirit of ANSSI's control
// points: 5 minus nothing, capped by the lowest level any other check
// blocks. A check without data (error) blocks its own level: Vigie does not
// claim a level it could not verify.
func judgeLevel(s *state, now time.Time) verdict {
	if _, v := needSnap(s, 1); v != nil {
		if v.res.Status == protocol.Error {
			return verdict{res: v.res}
		}
		return *v
	}
	level := 5
	blockers := map[int][]string{}
	for _, c := range catalogue {
		v := c.judge(s, now)
		if v.blocks == 0 {
			continue
		}
		blockers[v.blocks] = append(blockers[v.blocks], c.meta.ID)
		if v.blocks < level {
			level = v.blocks
		}
	}
	facts := map[string]any{"level": level}
	if level == 5 {
		return ok(protocol.Textf("niveau 5 sur 5 : tous les points de contrôle examinés par Vigie sont satisfaits", "level 5 of 5: every control point Vigie examines is met"), facts)
	}
	next := blockers[level]
	sort.Strings(next)
	facts["blocking_next_level"] = next
	ev := protocol.Textf("niveau %d sur 5 ; pour atteindre le niveau %d, corriger : %s", "level %d of 5; to reach level %d, fix: %s",
		level, level+1, strings.Join(next, ", "))
	switch {
	case level >= 4:
		return verdict{res: checks.Passed(ev, facts)}
	case level == 3:
		return verdict{res: checks.Warned(ev, facts)}
	}
	return verdict{res: checks.Failed(ev, facts)}
}
