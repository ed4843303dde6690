package ad

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/patch"
	"github.com/vigie-cyber/vigie/protocol"
)

// Judges of accounts and computers: krbtgt, privileged groups, roastable
// and delegating accounts, unsupported systems, dormant accounts, LAPS.

func judgeKrbtgt(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 2)
	if v != nil {
		return *v
	}
	for _, a := range snap.Accounts {
		if a.RID != ridKrbtgt || !strings.HasPrefix(a.SID, snap.Domain.SID+"-") {
			continue
		}
		if a.PwdLastSet.IsZero() {
			return verdict{res: checks.Errored(protocol.Text{FR: "compte krbtgt", EN: "krbtgt account"}, fmt.Errorf("pwdLastSet illisible")), blocks: 2}
		}
		d := days(now, a.PwdLastSet)
		facts := map[string]any{"password_age_days": d, "password_last_set": a.PwdLastSet.Format("2006-01-02")}
		ev := protocol.Textf("mot de passe du compte krbtgt changé il y a %d jours (le %s)", "krbtgt password changed %d days ago (on %s)", d, a.PwdLastSet.Format("2006-01-02"))
		switch {
		case d > krbtgtFailDays:
			return fail(2, ev, facts)
		case d > krbtgtWarnDays:
			return warn(2, ev, facts)
		}
		return ok(ev, facts)
	}
	return verdict{res: checks.Errored(protocol.Text{FR: "compte krbtgt", EN: "krbtgt account"}, fmt.Errorf("compte de RID 502 introuvable")), blocks: 2}
}

func judgePrivGroups(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 1)
	if v != nil {
		return *v
	}
	priv := privilegedAccounts(snap)
	var enabled, disabled, sleeping []Account
	for _, a := range priv {
		switch {
		case !a.Enabled() && a.RID == 500:
			// The built-in Administrator cannot leave Administrators;
			// keeping it disabled is the recommended state.
		case !a.Enabled():
			disabled = append(disabled, a)
		case dormant(a, now):
			sleeping = append(sleeping, a)
			enabled = append(enabled, a)
		default:
			enabled = append(enabled, a)
		}
	}
	per := map[string]int{}
	for _, g := range snap.Groups {
		per[g.Name] = len(g.Members)
	}
	facts := map[string]any{"privileged_enabled": len(enabled), "privileged_disabled": len(disabled), "privileged_dormant": len(sleeping),
		"members_by_group": per}
	base := protocol.Textf("%d comptes privilégiés actifs (appartenance imbriquée comprise)", "%d enabled privileged accounts (nested membership included)", len(enabled))
	var frs, ens []string
	level, status := 0, protocol.Pass
	raise := func(l int, st protocol.Status) {
		if level == 0 || l < level {
			level = l
		}
		if st == protocol.Fail || status == protocol.Pass {
			status = st
		}
	}
	if len(sleeping) > 0 {
		raise(2, protocol.Fail)
		facts["dormant_accounts"] = accountNames(sleeping)
		frs = append(frs, fmt.Sprintf("inutilisés depuis plus de %d jours mais actifs : %s", dormantDays, names(sleeping)))
		ens = append(ens, fmt.Sprintf("unused for more than %d days yet enabled: %s", dormantDays, names(sleeping)))
	}
	if len(enabled) > privFailCount {
		raise(1, protocol.Fail)
	} else if len(enabled) > privWarnCount {
		raise(2, protocol.Warn)
	}
	if len(enabled) > privWarnCount {
		frs = append(frs, fmt.Sprintf("plus de %d comptes privilégiés", privWarnCount))
		ens = append(ens, fmt.Sprintf("more than %d privileged accounts", privWarnCount))
	}
	if len(disabled) > 0 {
		raise(3, protocol.Warn)
		facts["disabled_accounts"] = accountNames(disabled)
		frs = append(frs, "comptes désactivés encore membres : "+names(disabled))
		ens = append(ens, "disabled accounts still members: "+names(disabled))
	}
	if status == protocol.Pass {
		return ok(base, facts)
	}
	ev := protocol.Text{FR: base.FR + " ; " + strings.Join(frs, " ; "), EN: base.EN + "; " + strings.Join(ens, "; ")}
	if status == protocol.Fail {
		return fail(level, ev, facts)
	}
	return warn(level, ev, facts)
}

func judgePrivRoastable(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 1)
	if v != nil {
		return *v
	}
	var spn, nopre []Account
	for _, a := range privilegedAccounts(snap) {
		if !a.Enabled() || a.Computer {
			continue
		}
		if a.SPNs > 0 {
			spn = append(spn, a)
		}
		if a.UAC&uacDontReqPreauth != 0 {
			nopre = append(nopre, a)
		}
	}
	facts := map[string]any{"privileged_with_spn": accountNames(spn), "privileged_without_preauth": accountNames(nopre)}
	if len(spn)+len(nopre) == 0 {
		return ok(protocol.Textf("aucun compte privilégié actif avec SPN ou sans pré-authentification Kerberos",
			"no enabled privileged account has an SPN or lacks Kerberos pre-authentication"), facts)
	}
	var fr, en []string
	if len(spn) > 0 {
		fr = append(fr, "comptes privilégiés avec SPN (Kerberoasting) : "+names(spn))
		en = append(en, "privileged accounts with an SPN (Kerberoasting): "+names(spn))
	}
	if len(nopre) > 0 {
		fr = append(fr, "comptes privilégiés sans pré-authentification (AS-REP roasting) : "+names(nopre))
		en = append(en, "privileged accounts without pre-authentication (AS-REP roasting): "+names(nopre))
	}
	return fail(1, protocol.Text{FR: strings.Join(fr, " ; "), EN: strings.Join(en, "; ")}, facts)
}

func judgePreauth(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 2)
	if v != nil {
		return *v
	}
	var nopre []Account
	for _, a := range snap.Accounts {
		if a.Enabled() && a.UAC&uacDontReqPreauth != 0 {
			nopre = append(nopre, a)
		}
	}
	facts := map[string]any{"accounts": accountNames(nopre), "count": len(nopre)}
	if len(nopre) == 0 {
		return ok(protocol.Textf("tous les comptes actifs exigent la pré-authentification Kerberos (%d comptes lus)",
			"every enabled account requires Kerberos pre-authentication (%d accounts read)", len(snap.Accounts)), facts)
	}
	return fail(2, protocol.Textf("%d comptes actifs sans pré-authentification Kerberos : %s", "%d enabled accounts without Kerberos pre-authentication: %s",
		len(nopre), names(nopre)), facts)
}

func judgeDelegation(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 2)
	if v != nil {
		return *v
	}
	var bad []Account
	for _, a := range snap.Accounts {
		if a.Enabled() && a.UAC&uacTrustedForDeleg != 0 && !a.IsDC() {
			bad = append(bad, a)
		}
	}
	facts := map[string]any{"accounts": accountNames(bad), "count": len(bad)}
	if len(bad) == 0 {
		return ok(protocol.Textf("délégation Kerberos non contrainte réservée aux contrôleurs de domaine", "unconstrained Kerberos delegation only on domain controllers"), facts)
	}
	return fail(2, protocol.Textf("délégation non contrainte hors contrôleurs de domaine : %s", "unconstrained delegation outside domain controllers: %s", names(bad)), facts)
}

var osBuild = regexp.MustCompile(`\((\d+)\)`)

// WinVersionFromAD maps operatingSystem / operatingSystemVersion
// ("Windows 10 Pro", "10.0 (19045)") to the patch family's lifecycle key.
func WinVersionFromAD(osName, osVersion string) (patch.WinVersion, bool) {
	if !strings.HasPrefix(strings.ToLower(osName), "windows") {
		return patch.WinVersion{}, false
	}
	m := osBuild.FindStringSubmatch(osVersion)
	if m == nil {
		return patch.WinVersion{}, false
	}
	b, err := strconv.Atoi(m[1])
	if err != nil {
		return patch.WinVersion{}, false
	}
	v := patch.WinVersion{ProductName: osName, CurrentBuild: b, EditionID: "Professional", InstallationType: "Client"}
	lo := strings.ToLower(osName)
	switch {
	case strings.Contains(lo, "server"):
		v.InstallationType, v.EditionID = "Server", "ServerStandard"
	case strings.Contains(lo, "iot") && (strings.Contains(lo, "ltsc") || strings.Contains(lo, "ltsb")):
		v.EditionID = "IoTEnterpriseS"
	case strings.Contains(lo, "ltsc"), strings.Contains(lo, "ltsb"):
		v.EditionID = "EnterpriseS"
	case strings.Contains(lo, "enterprise"), strings.Contains(lo, "entreprise"):
		v.EditionID = "Enterprise"
	case strings.Contains(lo, "education"), strings.Contains(lo, "éducation"):
		v.EditionID = "Education"
	}
	return v, true
}

func judgeUnsupportedOS(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 1)
	if v != nil {
		return *v
	}
	var ended, extended, unknown []Account
	dcEnded := false
	windows := 0
	for _, a := range snap.Accounts {
		if !a.Computer || !a.Enabled() {
			continue
		}
		wv, isWin := WinVersionFromAD(a.OS, a.OSVersion)
		if !isWin {
			continue
		}
		windows++
		l, err := patch.LookupWindows(wv)
		if err != nil {
			unknown = append(unknown, a)
			continue
		}
		switch l.At(now).State {
		case "ended":
			ended = append(ended, a)
			dcEnded = dcEnded || a.IsDC()
		case "extended":
			extended = append(extended, a)
		}
	}
	facts := map[string]any{"windows_computers": windows, "unsupported": accountNames(ended), "extended_support_only": accountNames(extended),
		"unknown_builds": len(unknown)}
	if windows == 0 {
		return verdict{res: checks.Skipped(protocol.Textf("aucun ordinateur Windows actif dans l'annuaire", "no enabled Windows computer in the directory"))}
	}
	switch {
	case len(ended) > 0:
		level := 2
		if dcEnded {
			level = 1
		}
		return fail(level, protocol.Textf("%d ordinateurs sous un Windows qui n'est plus maintenu : %s", "%d computers run a Windows that is no longer supported: %s",
			len(ended), names(ended)), facts)
	case len(extended) > 0:
		return warn(3, protocol.Textf("%d ordinateurs ne sont couverts que par le support étendu payant (ESU) : %s", "%d computers are covered only by paid extended support (ESU): %s",
			len(extended), names(extended)), facts)
	}
	return ok(protocol.Textf("%d ordinateurs Windows actifs, tous sous un système maintenu", "%d enabled Windows computers, all on a supported system", windows-len(unknown)), facts)
}

func judgeDormant(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 1)
	if v != nil {
		return *v
	}
	var asleep []Account
	enabled := 0
	for _, a := range snap.Accounts {
		if !a.Enabled() {
			continue
		}
		enabled++
		if dormant(a, now) {
			asleep = append(asleep, a)
		}
	}
	facts := map[string]any{"enabled": enabled, "dormant": len(asleep), "accounts": accountNames(asleep), "threshold_days": dormantDays}
	if len(asleep) == 0 {
		return ok(protocol.Textf("aucun des %d comptes actifs n'est inutilisé depuis plus de %d jours", "none of the %d enabled accounts has been unused for more than %d days",
			enabled, dormantDays), facts)
	}
	ev := protocol.Textf("%d comptes actifs sur %d inutilisés depuis plus de %d jours : %s", "%d of %d enabled accounts unused for more than %d days: %s",
		len(asleep), enabled, dormantDays, names(asleep))
	if len(asleep)*100 > dormantFailShare*enabled {
		return fail(1, ev, facts)
	}
	return warn(2, ev, facts)
}

func judgePrivNeverExpires(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 1)
	if v != nil {
		return *v
	}
	var bad []Account
	for _, a := range privilegedAccounts(snap) {
		if a.Enabled() && !a.Computer && a.UAC&uacDontExpire != 0 {
			bad = append(bad, a)
		}
	}
	facts := map[string]any{"accounts": accountNames(bad)}
	if len(bad) == 0 {
		return ok(protocol.Textf("aucun compte privilégié actif n'a un mot de passe qui n'expire jamais", "no enabled privileged account has a password that never expires"), facts)
	}
	return fail(1, protocol.Textf("comptes privilégiés dont le mot de passe n'expire jamais : %s", "privileged accounts whose password never expires: %s", names(bad)), facts)
}

func judgeLAPS(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 3)
	if v != nil {
		return *v
	}
	var members, uncovered []Account
	for _, a := range snap.Accounts {
		if a.Computer && a.Enabled() && !a.IsDC() {
			members = append(members, a)
			if !a.LAPSLegacy && !a.LAPSWindows {
				uncovered = append(uncovered, a)
			}
		}
	}
	facts := map[string]any{"computers": len(members), "uncovered": len(uncovered), "schema_legacy_laps": snap.LAPS.Legacy, "schema_windows_laps": snap.LAPS.Windows}
	if len(members) == 0 {
		return verdict{res: checks.Skipped(protocol.Textf("aucun ordinateur membre actif (hors contrôleurs de domaine)", "no enabled member computer (domain controllers aside)"))}
	}
	if !snap.LAPS.Legacy && !snap.LAPS.Windows {
		return fail(3, protocol.Textf("LAPS n'est pas déployé (ni LAPS Windows ni LAPS historique dans le schéma) : les %d ordinateurs membres gardent des mots de passe d'administrateur local non gérés",
			"LAPS is not deployed (neither Windows LAPS nor legacy LAPS in the schema): the %d member computers keep unmanaged local administrator passwords", len(members)), facts)
	}
	covered := len(members) - len(uncovered)
	if len(uncovered) == 0 {
		return ok(protocol.Textf("LAPS gère le mot de passe d'administrateur local des %d ordinateurs membres", "LAPS manages the local administrator password of all %d member computers", len(members)), facts)
	}
	facts["uncovered_computers"] = accountNames(uncovered)
	ev := protocol.Textf("LAPS couvre %d ordinateurs membres sur %d ; sans LAPS : %s", "LAPS covers %d of %d member computers; without LAPS: %s", covered, len(members), names(uncovered))
	if covered*100 >= lapsWarnShare*len(members) {
		return warn(3, ev, facts)
	}
	return fail(3, ev, facts)
}
