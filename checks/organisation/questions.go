// Package organisation is the questionnaire: what a host cannot show about an
// entity (incident contacts, offline backups, MFA, awareness, NIS2 status...)
// asked of a person and recorded as declared answers. Each question is a check
// in the organisation domain whose results are marked Declared (not verified).
package organisation

import (
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/protocol"
)

// Answer values stored in the configuration and the scorecard facts.
const (
	// They are the answers document's values (protocol.AnswerValues): the
	// hub stores and judges what the agent sends with the same words.
	Yes     = protocol.AnswerYes
	No      = protocol.AnswerNo
	Partial = protocol.AnswerPartial
	Unknown = protocol.AnswerUnknown // « Je ne sais pas »: counts as not done
	// NotApplicable (« Non applicable ») says the question does not concern
	// the entity, e.g. remote access MFA where there is no remote access.
	NotApplicable = protocol.AnswerNotApplicable
	// Unanswered is the fact recorded when no answer was given, so that a
	// result tells « non renseigné » apart from « non applicable ».
	Unanswered = "unanswered"
)

// Question is one organisational question. Its ID is also the check ID.
type Question struct {
	ID       string
	FR, EN   string // the question
	HelpFR   string // one or two sentences of help shown under the question
	HelpEN   string
	Severity protocol.Severity
	Refs     protocol.Refs
	// Theme is the MonAideCyber theme the question belongs to
	// (monaidecyber.toml: gouvernance, securite-acces, reaction...).
	Theme string
	// MonAideCyber is the MonAideCyber question it corresponds to, so an
	// Aidant's diagnostic and Vigie's questionnaire can be read together.
	MonAideCyber string
	// NoMatch says why a question has no MonAideCyber counterpart (then
	// MonAideCyber is empty); the test requires one or the other.
	NoMatch string
}

// Text returns the question in lang ("fr" or "en", French by default).
func (q Question) Text(lang string) string {
	if lang == "en" {
		return q.EN
	}
	return q.FR
}

// Help returns the help text in lang.
func (q Question) Help(lang string) string {
	if lang == "en" {
		return q.HelpEN
	}
	return q.HelpFR
}

var questions = []Question{
	{
		ID:       "org.incident-contact",
		FR:       "En cas d'incident cyber, savez-vous qui appeler : le CSIRT de votre région et le 17Cyber ?",
		EN:       "In a cyber incident, do you know whom to call: your regional CSIRT and 17Cyber?",
		HelpFR:   "Le CSIRT régional aide gratuitement les collectivités et établissements ; 17Cyber (17cyber.gouv.fr) est le guichet national.",
		HelpEN:   "The regional CSIRT helps public entities free of charge; 17Cyber (17cyber.gouv.fr) is the national help desk.",
		Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{40}, CIS: []string{"17.1", "17.2"}, NIS2: []string{"b"}},
		Theme: "reaction", MonAideCyber: "reaction-dispositif-gestion-crise-adapte-defini",
	},
	{
		ID:       "org.offline-backup",
		FR:       "Avez-vous une copie de sauvegarde hors ligne (débranchée, ou non modifiable) ?",
		EN:       "Do you keep an offline (disconnected or immutable) backup copy?",
		HelpFR:   "Un disque débranché après la sauvegarde, une bande, ou un stockage immuable : une copie qu'un rançongiciel ne peut pas chiffrer.",
		HelpEN:   "A disk unplugged after the backup, a tape, or immutable storage: a copy that ransomware cannot encrypt.",
		Severity: protocol.Critical, Refs: protocol.Refs{ANSSI: []int{37}, CIS: []string{"11.4"}, NIS2: []string{"c"}},
		Theme: "reaction", MonAideCyber: "reaction-sauvegardes-donnees-realisees-oui-automatique-et-reguliere-tiroir-environnement-isole",
	},
	{
		ID:       "org.restore-test",
		FR:       "Avez-vous testé la restauration d'une sauvegarde au cours des 12 derniers mois ?",
		EN:       "Have you tested restoring a backup in the last 12 months?",
		HelpFR:   "Restaurer réellement des fichiers ou un serveur depuis la sauvegarde, et vérifier qu'ils s'ouvrent.",
		HelpEN:   "Actually restore files or a server from the backup and check that they open.",
		Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{37}, CIS: []string{"11.5"}, NIS2: []string{"c"}},
		Theme: "reaction", MonAideCyber: "reaction-sauvegardes-donnees-realisees-oui-automatique-et-reguliere-tiroir-sauvegarde-testee-regulierement",
	},
	{
		ID:       "org.mfa-mail",
		FR:       "La messagerie exige-t-elle une double authentification (code, application, clé) ?",
		EN:       "Does email require multi-factor authentication (code, app, key)?",
		HelpFR:   "Un mot de passe volé suffit sinon à lire et envoyer les courriels de la structure.",
		HelpEN:   "Otherwise a stolen password is enough to read and send the entity's email.",
		Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{11}, CIS: []string{"6.3"}, NIS2: []string{"j"}},
		Theme: "securite-acces", MonAideCyber: "acces-teletravail-acces-distants-mesures-particulieres",
	},
	{
		ID:       "org.mfa-remote",
		FR:       "Les accès à distance (VPN, bureau à distance, télémaintenance) exigent-ils une double authentification ?",
		EN:       "Does remote access (VPN, remote desktop, vendor maintenance) require multi-factor authentication?",
		HelpFR:   "Les accès à distance sont la première porte d'entrée des rançongiciels.",
		HelpEN:   "Remote access is the first way in for ransomware.",
		Severity: protocol.Critical, Refs: protocol.Refs{ANSSI: []int{11, 30}, CIS: []string{"6.4"}, NIS2: []string{"j"}},
		Theme: "securite-acces", MonAideCyber: "acces-teletravail-acces-distants-mesures-particulieres",
	},
	{
		ID:       "org.admin-accounts",
		FR:       "Les administrateurs utilisent-ils un compte dédié à l'administration, distinct de leur compte de tous les jours ?",
		EN:       "Do administrators use a dedicated admin account, separate from their everyday account?",
		HelpFR:   "Lire ses courriels ou naviguer avec un compte administrateur donne tous les droits au premier logiciel malveillant.",
		HelpEN:   "Reading mail or browsing as an administrator hands every right to the first piece of malware.",
		Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{8, 27}, CIS: []string{"5.4"}, NIS2: []string{"i"}},
		Theme: "securite-acces", MonAideCyber: "acces-utilisation-comptes-administrateurs-droits-limitee",
	},
	{
		ID:       "org.awareness",
		FR:       "Les agents ont-ils été sensibilisés à la cybersécurité au cours de l'année (hameçonnage, mots de passe) ?",
		EN:       "Has staff had cyber-security awareness in the past year (phishing, passwords)?",
		HelpFR:   "Une courte session ou le module gratuit SecNumacadémie de l'ANSSI suffit pour commencer.",
		HelpEN:   "A short session or ANSSI's free SecNumacadémie course is enough to start.",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{2, 3}, CIS: []string{"14.1"}, NIS2: []string{"g"}},
		Theme: "sensibilisation", MonAideCyber: "sensibilisation-actions-sensibilisation-menace-et-bonnes-pratiques",
	},
	{
		ID:       "org.inventory",
		FR:       "Tenez-vous une liste à jour des équipements (postes, serveurs, imprimantes, box) et logiciels ?",
		EN:       "Do you keep an up-to-date list of equipment (computers, servers, printers, routers) and software?",
		HelpFR:   "On ne protège pas ce qu'on ne connaît pas : un simple tableur suffit.",
		HelpEN:   "You cannot protect what you do not know about: a simple spreadsheet is enough.",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{4, 5}, CIS: []string{"1.1", "2.1"}, NIS2: []string{"i"}},
		Theme: "gouvernance", MonAideCyber: "gouvernance-schema-si-a-jour",
	},
	{
		ID:       "org.continuity-plan",
		FR:       "Avez-vous un plan pour continuer le service si l'informatique s'arrête plusieurs jours ?",
		EN:       "Do you have a plan to keep the service going if IT stops for several days?",
		HelpFR:   "Quels services sont vitaux, comment travailler en mode dégradé (papier), qui décide.",
		HelpEN:   "Which services are vital, how to work in degraded mode (paper), who decides.",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{38}, NIS2: []string{"c"}},
		Theme: "reaction", MonAideCyber: "reaction-dispositif-gestion-crise-adapte-defini",
	},
	{
		ID:       "org.nis2-status",
		FR:       "Savez-vous si votre structure est concernée par la directive NIS2 (entité essentielle ou importante) ?",
		EN:       "Do you know whether your entity falls under the NIS2 directive (essential or important entity)?",
		HelpFR:   "Le service en ligne MonEspaceNIS2 de l'ANSSI permet de le vérifier.",
		HelpEN:   "ANSSI's MonEspaceNIS2 online service lets you check.",
		Severity: protocol.Low, Refs: protocol.Refs{NIS2: []string{"a"}},
		Theme: "gouvernance", NoMatch: "MonAideCyber ne demande pas le statut NIS2 ; ANSSI le fait vérifier sur MonEspaceNIS2.",
	},
	{
		ID:       "org.supplier-clauses",
		FR:       "Vos contrats avec les prestataires informatiques comportent-ils des clauses de sécurité (accès, incidents, données) ?",
		EN:       "Do your IT supplier contracts include security clauses (access, incidents, data)?",
		HelpFR:   "Par exemple : notification des incidents, accès à distance encadrés, restitution des données.",
		HelpEN:   "For example: incident notification, controlled remote access, return of data.",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{6}, NIS2: []string{"d"}},
		Theme: "gouvernance", MonAideCyber: "gouvernance-exigence-cyber-securite-presta",
	},
	{
		ID:       "org.log-retention",
		FR:       "Les journaux (connexions, pare-feu, serveurs) sont-ils conservés au moins un an ?",
		EN:       "Are logs (logins, firewall, servers) kept for at least a year?",
		HelpFR:   "Sans journaux, impossible de comprendre ce qui s'est passé après une attaque.",
		HelpEN:   "Without logs, nobody can tell what happened after an attack.",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{36}, CIS: []string{"8.1", "8.2"}, NIS2: []string{"b"}},
		Theme: "securite-infrastructure", MonAideCyber: "securite-infrastructure-pare-feu-deploye-oui-tiroir-logs-stockes",
	},
	{
		ID:       "org.password-policy",
		FR:       "Les mots de passe sont-ils longs, propres à chaque compte, et gardés dans un gestionnaire de mots de passe ?",
		EN:       "Are passwords long, unique to each account, and kept in a password manager?",
		HelpFR:   "Par exemple 12 caractères au moins ; un gestionnaire comme KeePassXC (recommandé par l'ANSSI).",
		HelpEN:   "For example at least 12 characters; a manager such as KeePassXC (recommended by ANSSI).",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{9, 10}, CIS: []string{"5.2"}, NIS2: []string{"g"}},
		Theme: "securite-acces", MonAideCyber: "acces-mesures-securite-robustesse-mdp",
	},
	{
		ID:       "org.default-passwords",
		FR:       "Les mots de passe par défaut des équipements (box, imprimantes, caméras, NAS) ont-ils tous été changés ?",
		EN:       "Have the default passwords of all devices (routers, printers, cameras, NAS) been changed?",
		HelpFR:   "Les mots de passe d'usine sont publiés sur Internet et essayés automatiquement.",
		HelpEN:   "Factory passwords are published online and tried automatically.",
		Severity: protocol.High, Refs: protocol.Refs{ANSSI: []int{12}, CIS: []string{"4.7"}, NIS2: []string{"g"}},
		Theme: "securite-acces", NoMatch: "MonAideCyber n'a pas de question sur les mots de passe par défaut ; c'est la mesure 12 du guide d'hygiène de l'ANSSI.",
	},
	{
		ID:       "org.emergency-contacts-printed",
		FR:       "Les contacts d'urgence (prestataire, CSIRT, assureur, élus) sont-ils imprimés sur papier ?",
		EN:       "Are emergency contacts (supplier, CSIRT, insurer, officials) printed on paper?",
		HelpFR:   "Pendant une attaque, la messagerie et les fichiers peuvent être inaccessibles.",
		HelpEN:   "During an attack, email and files may be out of reach.",
		Severity: protocol.Medium, Refs: protocol.Refs{ANSSI: []int{40}, CIS: []string{"17.2"}, NIS2: []string{"b", "c"}},
		Theme: "reaction", MonAideCyber: "reaction-dispositif-gestion-crise-adapte-defini",
	},
}

// themeOrder is MonAideCyber's order of themes; the questionnaire is shown
// grouped by theme in this order.
var themeOrder = []string{"contexte", "gouvernance", "securite-acces", "securite-poste", "securite-infrastructure", "sensibilisation", "reaction"}

// byTheme is the questionnaire grouped by theme, in declaration order
// within a theme.
var byTheme = func() []Question {
	out := make([]Question, 0, len(questions))
	for _, t := range themeOrder {
		for _, q := range questions {
			if q.Theme == t {
				out = append(out, q)
			}
		}
	}
	return out
}()

// Questions returns the questionnaire in display order, grouped by
// MonAideCyber theme (a copy).
func Questions() []Question { return append([]Question(nil), byTheme...) }

// ThemeTitle returns the French title of a MonAideCyber theme, or the ID
// when the referential does not name it.
func ThemeTitle(id string) string {
	if r, err := MonAideCyberReferential(); err == nil {
		if t, ok := r.Theme(id); ok {
			return t.Title
		}
	}
	return id
}

// Normalize maps an answer as typed by a person or written in the
// configuration file (o, oui, y, yes, n, non, no, p, partiel, partial, ?,
// nsp, unknown, na, sans objet...) to one of Yes, No, Partial, Unknown,
// NotApplicable. Case and spaces do not matter; anything else is an error.
func Normalize(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "o", "oui", "y", "yes":
		return Yes, nil
	case "n", "non", "no":
		return No, nil
	case "p", "partiel", "partielle", "partiellement", "partial", "partly":
		return Partial, nil
	case "?", "nsp", "ne sais pas", "je ne sais pas", "unknown", "dk", "don't know":
		return Unknown, nil
	case "na", "n/a", "so", "sans objet", "non applicable", "not applicable", "not-applicable":
		return NotApplicable, nil
	}
	return "", fmt.Errorf("answer %q is not one of yes/no/partial/unknown/not applicable (oui/non/partiel/nsp/na)", s)
}
