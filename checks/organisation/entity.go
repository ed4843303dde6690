package organisation

import "github.com/vigie-cyber/vigie/protocol"

// Judge turns answers (question ID to answer, canonical or as typed) into
// the organisation domain's results, complete with their metadata (domain,
// severity, references, declared), exactly as a host running the
// questionnaire with these answers would score them: nothing answered
// leaves every question not applicable (« non évalué »); once something is
// answered, a blank or « ne sait pas » fails as « non renseigné ». The hub
// judges an entity's answers with it, without a host to run checks on.
// Answers to questions this version does not know are ignored.
func Judge(answers map[string]string) []protocol.Result {
	any := false
	for _, q := range byTheme {
		any = any || answers[q.ID] != ""
	}
	out := make([]protocol.Result, 0, len(byTheme))
	for _, q := range byTheme {
		r := judge(q, answers[q.ID], any)
		r.ID, r.Version, r.Domain, r.Severity, r.Refs, r.Declared = q.ID, 1, protocol.DomainOrganisation, q.Severity, q.Refs, true
		out = append(out, r)
	}
	return out
}

// Observation ties a question of the diagnostic to the host checks that
// see the same thing: where a check already answers it, the hub shows what
// the hosts showed (« constaté ») beside what was declared. The list is
// documented in docs/monaidecyber.md ("Constaté sur les postes").
type Observation struct {
	// Question is Vigie's question ID when Vigie asks it, else empty:
	// antivirus, firewall, encryption and updates are not asked, since a
	// check sees them, but MonAideCyber asks them and an Aidant reads
	// them.
	Question string
	// MonAideCyber is the corresponding MonAideCyber question.
	MonAideCyber string
	// FR and EN say what the checks show, in a few words.
	FR, EN string
	// Checks are the host checks that answer it, by ID.
	Checks []string
}

var observations = []Observation{
	{MonAideCyber: "securite-poste-antivirus-deploye", FR: "Antivirus actif et à jour", EN: "Antivirus active and up to date", Checks: []string{"hygiene.antivirus"}},
	{MonAideCyber: "securite-poste-pare-feu-local-active", FR: "Pare-feu local activé", EN: "Local firewall enabled", Checks: []string{"hygiene.firewall"}},
	{MonAideCyber: "securite-poste-r-et-d-disques-chiffres", FR: "Disques chiffrés", EN: "Disks encrypted", Checks: []string{"hygiene.disk-encryption"}},
	{MonAideCyber: "securite-poste-maj-fonctionnelles-et-securite-deployees", FR: "Mises à jour installées", EN: "Updates installed",
		Checks: []string{"patch.security-pending", "patch.auto-updates", "patch.os-support"}},
	{Question: "org.offline-backup", MonAideCyber: "reaction-sauvegardes-donnees-realisees", FR: "Sauvegardes vues sur les postes", EN: "Backups seen on the hosts",
		Checks: []string{"backup.recent", "backup.separate-disk"}},
	{Question: "org.admin-accounts", MonAideCyber: "acces-utilisateurs-administrateurs-poste", FR: "Droits d'administrateur local limités", EN: "Local administrator rights limited",
		Checks: []string{"hygiene.local-admins", "hygiene.sudo-nopasswd"}},
	{Question: "org.mfa-remote", MonAideCyber: "acces-teletravail-acces-distants-mesures-particulieres", FR: "Accès à distance (bureau à distance, SSH) protégés", EN: "Remote access (remote desktop, SSH) protected",
		Checks: []string{"hygiene.rdp", "hygiene.ssh"}},
}

// Observations returns the questions host checks answer (a copy).
func Observations() []Observation {
	out := make([]Observation, len(observations))
	for i, o := range observations {
		o.Checks = append([]string(nil), o.Checks...)
		out[i] = o
	}
	return out
}
