package ad

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Judges of the domain and its controllers: GPP passwords, machine quota,
// authentication settings, Print Spooler, recycle bin, Protected Users,
// functional level, backups.

func judgeGPP(s *state, now time.Time) verdict {
	switch {
	case s.gppEr != nil:
		return verdict{res: checks.Errored(protocol.Text{FR: "lecture de SYSVOL", EN: "reading SYSVOL"}, s.gppEr), blocks: 1}
	case s.gpp == nil:
		return verdict{res: checks.Skipped(s.gppNA)}
	}
	g := s.gpp
	transport := "local"
	if g.SMB {
		transport = "smb"
	}
	facts := map[string]any{"sysvol": g.Root, "transport": transport, "gpos": g.GPOs, "files": g.Files, "findings": len(g.Findings)}
	if len(g.Findings) == 0 {
		return ok(protocol.Textf("aucun mot de passe (cpassword) dans les %d fichiers de préférences des %d stratégies de groupe de %s",
			"no password (cpassword) in the %d Preferences files of the %d Group Policies of %s", g.Files, g.GPOs, g.Root), facts)
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
	return fail(1, protocol.Textf("%d mots de passe lisibles par tout utilisateur du domaine dans les préférences de stratégie de groupe de %s : %s",
		"%d passwords readable by every domain user in the Group Policy Preferences of %s: %s", len(g.Findings), g.Root, strings.Join(list, ", ")), facts)
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
