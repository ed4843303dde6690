package ad

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/patch"
	"github.com/vigie-cyber/vigie/protocol"
)

// verdict is a judge's result and the lowest ANSSI level it keeps the
// domain at: a level is reached only when no control point of a lower
// level fails, so a finding that blocks level 3 leaves the domain at 3 at
// best. blocks is 0 when the result blocks nothing.
type verdict struct {
	res    protocol.Result
	blocks int
}

// Thresholds, stated in the evidence.
const (
	dormantDays      = 180 // ANSSI's dormant-account threshold (vuln_user_accounts_dormant)
	krbtgtWarnDays   = 365
	krbtgtFailDays   = 3 * 365
	privWarnCount    = 10 // enabled privileged accounts: a small entity needs a handful
	privFailCount    = 50
	dormantFailShare = 10 // percent of enabled accounts
	backupWarnDays   = 30
	backupFailDays   = 180 // the default tombstone lifetime: an older backup cannot be restored safely
	lapsWarnShare    = 90  // percent of member computers covered
	maxNamesShown    = 20
)

func ok(ev protocol.Text, facts map[string]any) verdict {
	return verdict{res: checks.Passed(ev, facts)}
}
func warn(level int, ev protocol.Text, facts map[string]any) verdict {
	return verdict{res: checks.Warned(ev, facts), blocks: level}
}
func fail(level int, ev protocol.Text, facts map[string]any) verdict {
	return verdict{res: checks.Failed(ev, facts), blocks: level}
}

// finish adds the level a result blocks to its facts.
func finish(v verdict, id string) protocol.Result {
	if v.blocks > 0 {
		if v.res.Facts == nil {
			v.res.Facts = map[string]any{}
		}
		v.res.Facts["blocks_level"] = v.blocks
	}
	if ids := anssiIDs[id]; len(ids) > 0 && v.res.Status.Applicable() {
		if v.res.Facts == nil {
			v.res.Facts = map[string]any{}
		}
		v.res.Facts["anssi_ad"] = ids
	}
	return v.res
}

// needSnap returns the snapshot, or the verdict to give without one.
func needSnap(s *state, level int) (*Snapshot, *verdict) {
	switch {
	case s.snapEr != nil:
		v := verdict{res: checks.Errored(protocol.Text{FR: "lecture de l'annuaire", EN: "reading the directory"}, s.snapEr), blocks: level}
		return nil, &v
	case s.snap == nil:
		v := verdict{res: checks.Skipped(s.snapNA)}
		return nil, &v
	}
	return s.snap, nil
}

// needDC returns the domain controller's settings, or the verdict to give
// on any other host.
func needDC(s *state, level int) (*DCConfig, *verdict) {
	switch {
	case s.dcErr != nil:
		v := verdict{res: checks.Errored(protocol.Text{FR: "lecture des réglages du contrôleur de domaine", EN: "reading the domain controller's settings"}, s.dcErr), blocks: level}
		return nil, &v
	case s.dc == nil:
		v := verdict{res: checks.Skipped(protocol.Text{
			FR: "cette machine n'est pas un contrôleur de domaine : ce contrôle lit les réglages propres au contrôleur, lancez Vigie sur chaque contrôleur",
			EN: "this host is not a domain controller: this check reads the controller's own settings, run Vigie on each controller"})}
		return nil, &v
	}
	return s.dc, nil
}

func days(now, t time.Time) int { return int(now.Sub(t).Hours() / 24) }

// names lists account names for evidence, at most maxNamesShown.
func names(as []Account) string {
	ns := make([]string, 0, len(as))
	for _, a := range as {
		n := a.Name
		if n == "" {
			n = a.DN
		}
		ns = append(ns, n)
	}
	sort.Strings(ns)
	if len(ns) > maxNamesShown {
		return strings.Join(ns[:maxNamesShown], ", ") + fmt.Sprintf(" (+%d)", len(ns)-maxNamesShown)
	}
	return strings.Join(ns, ", ")
}

func accountNames(as []Account) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	if len(out) > maxNamesShown {
		out = out[:maxNamesShown]
	}
	return out
}

// privilegedAccounts returns the accounts member (nested or primary) of a
// privileged group, plus the built-in Administrator (RID 500).
func privilegedAccounts(snap *Snapshot) []Account {
	in := map[string]bool{}
	for _, g := range snap.Groups {
		for _, m := range g.Members {
			in[strings.ToLower(m)] = true
		}
	}
	var out []Account
	for _, a := range snap.Accounts {
		if in[strings.ToLower(a.DN)] || (a.RID == 500 && strings.HasPrefix(a.SID, snap.Domain.SID+"-")) {
			out = append(out, a)
		}
	}
	return out
}

// dormant reports an enabled account unused for dormantDays: its last
// logon, or its creation when it never logged on, is older than that.
func dormant(a Account, now time.Time) bool {
	last := a.LastLogon
	if last.IsZero() {
		last = a.Created
	}
	return !last.IsZero() && days(now, last) > dormantDays
}

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

func judgeGPP(s *state, now time.Time) verdict {
	switch {
	case s.gppEr != nil:
		return verdict{res: checks.Errored(protocol.Text{FR: "lecture de SYSVOL", EN: "reading SYSVOL"}, s.gppEr), blocks: 1}
	case s.gpp == nil:
		return verdict{res: checks.Skipped(s.gppNA)}
	}
	g := s.gpp
	facts := map[string]any{"sysvol": g.Root, "files": g.Files, "findings": len(g.Findings)}
	if len(g.Findings) == 0 {
		return ok(protocol.Textf("aucun mot de passe (cpassword) dans les %d fichiers de préférences de stratégie de groupe de %s",
			"no password (cpassword) in the %d Group Policy Preferences files of %s", g.Files, g.Root), facts)
	}
	var list []string
	for i, f := range g.Findings {
		if i == maxGPPFindingsShown {
			list = append(list, fmt.Sprintf("+%d", len(g.Findings)-i))
			break
		}
		item := f.File + " <" + f.Element + ">"
		if f.Account != "" {
			item += " " + f.Account
		}
		list = append(list, item)
	}
	facts["files_with_passwords"] = list
	return fail(1, protocol.Textf("%d mots de passe lisibles par tout utilisateur du domaine dans les préférences de stratégie de groupe : %s",
		"%d passwords readable by every domain user in Group Policy Preferences: %s", len(g.Findings), strings.Join(list, ", ")), facts)
}

func judgeMachineQuota(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 4)
	if v != nil {
		return *v
	}
	q := snap.Domain.MachineAccountQuota
	if q == nil {
		return verdict{res: checks.Errored(protocol.Text{FR: "lecture du domaine", EN: "reading the domain"}, fmt.Errorf("ms-DS-MachineAccountQuota illisible sur %s", snap.Domain.DN)), blocks: 4}
	}
	facts := map[string]any{"machine_account_quota": *q}
	if *q > 0 {
		return fail(4, protocol.Textf("tout utilisateur du domaine peut y ajouter %d ordinateurs (ms-DS-MachineAccountQuota = %d)",
			"any domain user can join %d computers to the domain (ms-DS-MachineAccountQuota = %d)", *q, *q), facts)
	}
	return ok(protocol.Textf("seuls les comptes délégués peuvent joindre des ordinateurs au domaine (ms-DS-MachineAccountQuota = 0)",
		"only delegated accounts can join computers to the domain (ms-DS-MachineAccountQuota = 0)"), facts)
}

func judgeDCAuth(s *state, now time.Time) verdict {
	dc, v := needDC(s, 2)
	if v != nil {
		return *v
	}
	facts := map[string]any{"source": dc.Source, "ldap_signing": dc.LDAPSigning, "ldap_channel_binding": dc.ChannelBinding,
		"smb_signing_required": dc.SMBSigningRequired, "ntlmv1_accepted": dc.NTLMv1Accepted, "lm_accepted": dc.LMAccepted}
	var fr, en []string
	level, st := 0, protocol.Pass
	add := func(l int, s protocol.Status, f, e string) {
		if level == 0 || l < level {
			level = l
		}
		if s == protocol.Fail || st == protocol.Pass {
			st = s
		}
		fr, en = append(fr, f), append(en, e)
	}
	if dc.LMAccepted {
		add(2, protocol.Fail, "le contrôleur accepte l'authentification LM", "the controller accepts LM authentication")
	}
	if dc.NTLMv1Accepted {
		add(2, protocol.Fail, "le contrôleur accepte NTLMv1", "the controller accepts NTLMv1")
	}
	if dc.LDAPSigning != "required" {
		add(3, protocol.Fail, "la signature LDAP n'est pas exigée", "LDAP signing is not required")
	}
	if !dc.SMBSigningRequired {
		add(3, protocol.Fail, "la signature SMB n'est pas exigée", "SMB signing is not required")
	}
	switch dc.ChannelBinding {
	case "never", "when-supported":
		add(4, protocol.Warn, "la liaison de canal LDAP (channel binding) n'est pas toujours exigée", "LDAP channel binding is not always required")
	}
	if st == protocol.Pass {
		ev := protocol.Textf("signature LDAP et SMB exigées, LM et NTLMv1 refusés", "LDAP and SMB signing required, LM and NTLMv1 refused")
		if dc.ChannelBinding == "unsupported" {
			ev.FR += " (Samba n'a pas de réglage de liaison de canal LDAP)"
			ev.EN += " (Samba has no LDAP channel binding setting)"
		}
		return ok(ev, facts)
	}
	ev := protocol.Text{FR: strings.Join(fr, " ; "), EN: strings.Join(en, "; ")}
	if st == protocol.Fail {
		return fail(level, ev, facts)
	}
	return warn(level, ev, facts)
}

func judgeSpooler(s *state, now time.Time) verdict {
	dc, v := needDC(s, 2)
	if v != nil {
		return *v
	}
	facts := map[string]any{"spooler": dc.Spooler}
	switch dc.Spooler {
	case "not-applicable":
		return verdict{res: checks.Skipped(protocol.Textf("le service Spouleur d'impression est propre à Windows ; ce contrôleur est un Samba", "the Print Spooler is a Windows service; this controller runs Samba"))}
	case "running":
		return fail(2, protocol.Textf("le Spouleur d'impression fonctionne sur ce contrôleur de domaine", "the Print Spooler runs on this domain controller"), facts)
	case "stopped":
		return warn(3, protocol.Textf("le Spouleur d'impression est arrêté mais pas désactivé : il redémarrera", "the Print Spooler is stopped but not disabled: it will start again"), facts)
	}
	return ok(protocol.Textf("le Spouleur d'impression est désactivé sur ce contrôleur de domaine", "the Print Spooler is disabled on this domain controller"), facts)
}

func judgeRecycleBin(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 4)
	if v != nil {
		return *v
	}
	facts := map[string]any{"recycle_bin": snap.RecycleBin}
	if snap.RecycleBin {
		return ok(protocol.Textf("la corbeille Active Directory est activée", "the Active Directory recycle bin is enabled"), facts)
	}
	return warn(4, protocol.Textf("la corbeille Active Directory n'est pas activée : un objet supprimé par erreur ne se restaure qu'à partir d'une sauvegarde",
		"the Active Directory recycle bin is not enabled: an object deleted by mistake can only be restored from a backup"), facts)
}

func judgeProtectedUsers(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 3)
	if v != nil {
		return *v
	}
	if snap.Protected == nil {
		return fail(3, protocol.Textf("le groupe Protected Users n'existe pas (niveau fonctionnel antérieur à 2012 R2)", "the Protected Users group does not exist (functional level before 2012 R2)"), nil)
	}
	in := map[string]bool{}
	for _, m := range snap.Protected.Members {
		in[strings.ToLower(m)] = true
	}
	var outside, inside []Account
	for _, a := range privilegedAccounts(snap) {
		if !a.Enabled() || a.Computer {
			continue
		}
		if in[strings.ToLower(a.DN)] {
			inside = append(inside, a)
		} else {
			outside = append(outside, a)
		}
	}
	facts := map[string]any{"protected_users_members": len(snap.Protected.Members), "privileged_protected": len(inside), "privileged_not_protected": accountNames(outside)}
	switch {
	case len(outside) == 0:
		return ok(protocol.Textf("les %d comptes privilégiés actifs sont dans Protected Users", "all %d enabled privileged accounts are in Protected Users", len(inside)), facts)
	case len(inside) == 0:
		return fail(3, protocol.Textf("aucun compte privilégié dans Protected Users ; hors du groupe : %s", "no privileged account in Protected Users; outside the group: %s", names(outside)), facts)
	}
	return warn(3, protocol.Textf("%d comptes privilégiés hors de Protected Users : %s", "%d privileged accounts outside Protected Users: %s", len(outside), names(outside)), facts)
}

// functionalNames maps domainFunctionality to Windows Server releases.
var functionalNames = map[int]string{0: "2000", 1: "2003 interim", 2: "2003", 3: "2008", 4: "2008 R2", 5: "2012", 6: "2012 R2", 7: "2016", 10: "2025"}

func judgeFunctionalLevel(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 1)
	if v != nil {
		return *v
	}
	fl := snap.Server.DomainFunctionality
	name, known := functionalNames[fl]
	if !known {
		name = strconv.Itoa(fl)
	}
	facts := map[string]any{"domain_functionality": fl, "forest_functionality": snap.Server.ForestFunctionality, "level_name": name}
	switch {
	case fl < 3:
		return fail(1, protocol.Textf("niveau fonctionnel du domaine Windows Server %s : antérieur à 2008", "domain functional level Windows Server %s: older than 2008", name), facts)
	case fl < 6:
		return warn(3, protocol.Textf("niveau fonctionnel du domaine Windows Server %s : antérieur à 2012 R2 (pas de Protected Users ni de protections Kerberos récentes)",
			"domain functional level Windows Server %s: older than 2012 R2 (no Protected Users nor recent Kerberos protections)", name), facts)
	}
	return ok(protocol.Textf("niveau fonctionnel du domaine Windows Server %s", "domain functional level Windows Server %s", name), facts)
}

func judgeBackup(s *state, now time.Time) verdict {
	snap, v := needSnap(s, 2)
	if v != nil {
		return *v
	}
	b := snap.Domain.Backup
	if !b.Found {
		if snap.Server.IsSamba() {
			return verdict{res: checks.Skipped(protocol.Textf("Samba n'enregistre pas ses sauvegardes dans l'annuaire (dSASignature) : vérifiez-les avec samba-tool domain backup et la famille Sauvegardes",
				"Samba does not record its backups in the directory (dSASignature): check them with samba-tool domain backup and the Backups family"))}
		}
		return verdict{res: checks.Errored(protocol.Text{FR: "date de sauvegarde de l'annuaire", EN: "directory backup date"},
			fmt.Errorf("métadonnées de réplication de dSASignature illisibles sur %s", snap.Domain.DN)), blocks: 2}
	}
	facts := map[string]any{"source": b.Source, "version": b.Version}
	if b.Version <= 1 {
		return fail(2, protocol.Textf("aucune sauvegarde de l'annuaire n'a été enregistrée depuis la création du domaine", "no directory backup has been recorded since the domain was created"), facts)
	}
	d := days(now, b.Time)
	facts["last_backup"], facts["age_days"] = b.Time.Format("2006-01-02"), d
	ev := protocol.Textf("dernière sauvegarde de l'annuaire le %s, il y a %d jours", "last directory backup on %s, %d days ago", b.Time.Format("2006-01-02"), d)
	switch {
	case d > backupFailDays:
		return fail(2, ev, facts)
	case d > backupWarnDays:
		return warn(3, ev, facts)
	}
	return ok(ev, facts)
}
