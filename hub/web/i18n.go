package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// words is the UI's vocabulary, French first (the default) and English.
var words = map[string][2]string{
	"app":                {"Vigie — hub régional", "Vigie — regional hub"},
	"skip":               {"Aller au contenu", "Skip to content"},
	"overview":           {"Vue régionale", "Region overview"},
	"audit":              {"Journal d'audit", "Audit log"},
	"tokens":             {"Jetons d'enrôlement", "Enrolment tokens"},
	"users":              {"Comptes", "Accounts"},
	"agents":             {"Agents et révocation", "Agents and revocation"},
	"logout":             {"Se déconnecter", "Log out"},
	"login":              {"Connexion", "Log in"},
	"email":              {"Adresse électronique", "E-mail address"},
	"password":           {"Mot de passe", "Password"},
	"loginbtn":           {"Se connecter", "Log in"},
	"badlogin":           {"Adresse ou mot de passe incorrect.", "Wrong e-mail address or password."},
	"toomany":            {"Trop de tentatives : réessayez dans quelques minutes.", "Too many attempts: try again in a few minutes."},
	"entities":           {"Entités", "Entities"},
	"entity":             {"Entité", "Entity"},
	"sector":             {"Secteur", "Sector"},
	"allsectors":         {"Tous les secteurs", "All sectors"},
	"level":              {"Niveau", "Level"},
	"alllevels":          {"Tous les niveaux", "All levels"},
	"filter":             {"Filtrer", "Filter"},
	"score":              {"Score", "Score"},
	"hosts":              {"Postes", "Hosts"},
	"host":               {"Poste", "Host"},
	"lastseen":           {"Dernier bilan", "Last report"},
	"never":              {"jamais", "never"},
	"heatmap":            {"Carte de chaleur : entités × domaines", "Heat map: entities × domains"},
	"heatmaphelp":        {"Score de 0 à 100 par domaine (moyenne des postes de l'entité) ; le niveau est celui du poste le plus faible.", "Score 0-100 per domain (mean over the entity's hosts); the level is the weakest host's."},
	"distribution":       {"Répartition des niveaux de maturité", "Maturity level distribution"},
	"silent":             {"Entités silencieuses depuis plus de %d jours", "Entities silent for more than %d days"},
	"nosilent":           {"Aucune entité silencieuse.", "No silent entity."},
	"topfailed":          {"Vérifications les plus souvent en échec (pour vos campagnes)", "Most frequently failed checks (for your campaigns)"},
	"check":              {"Vérification", "Check"},
	"nentities":          {"Entités concernées", "Entities affected"},
	"nhosts":             {"Postes concernés", "Hosts affected"},
	"hidden":             {"Statistiques masquées : moins de %d entités dans cette sélection (confidentialité).", "Statistics hidden: fewer than %d entities in this selection (privacy)."},
	"export":             {"Exporter", "Export"},
	"exportcsv":          {"Exporter en CSV", "Export as CSV"},
	"exportjson":         {"Exporter en JSON", "Export as JSON"},
	"trend":              {"Évolution du score", "Score trend"},
	"actions":            {"Actions prioritaires", "Priority actions"},
	"noactions":          {"Aucune action en attente.", "No pending action."},
	"status":             {"Résultat", "Result"},
	"severity":           {"Gravité", "Severity"},
	"evidence":           {"Constat", "Evidence"},
	"guidance":           {"Que faire", "What to do"},
	"what":               {"De quoi s'agit-il", "What it means"},
	"why":                {"Pourquoi c'est important", "Why it matters"},
	"fix":                {"Comment faire", "How to fix"},
	"effort":             {"Temps estimé", "Estimated time"},
	"noguidance":         {"Pas de fiche de conseil pour cette vérification dans ce hub.", "No guidance for this check in this hub."},
	"signature":          {"Signature", "Signature"},
	"sigok":              {"Signature Ed25519 valide de l'agent %s : bilan authentique et intact.", "Valid Ed25519 signature by agent %s: the scorecard is genuine and intact."},
	"sigbad":             {"Signature INVALIDE : %s", "INVALID signature: %s"},
	"scanned":            {"Analysé le", "Scanned on"},
	"received":           {"Reçu le", "Received on"},
	"sequence":           {"Séquence", "Sequence"},
	"system":             {"Système", "System"},
	"agentversion":       {"Version de l'agent", "Agent version"},
	"history":            {"Historique", "History"},
	"results":            {"Toutes les vérifications", "All checks"},
	"capped":             {"plafonné : une vérification critique a échoué", "capped: a critical check failed"},
	"declared":           {"déclaré", "declared"},
	"noreport":           {"Ce poste n'a encore envoyé aucun bilan.", "This host has not sent any report yet."},
	"unreadablehosts":    {"Actions manquantes : le détail du dernier bilan de ces postes ne peut pas être lu (voir leur page) :", "Actions missing: the details of these hosts' latest scorecard cannot be read (see their page):"},
	"unreadable":         {"Le détail de ce bilan ne peut pas être affiché : son contenu signé ne suit pas le format des bilans (%s). Le score, le niveau et les vérifications échouées ci-dessus ont été lus à la réception ; l'agent qui l'a produit est peut-être défectueux ou d'une autre version.", "This scorecard's details cannot be shown: its signed content does not follow the scorecard format (%s). The score, level and failed checks above were read on receipt; the agent that produced it may be faulty or of another version."},
	"create":             {"Créer", "Create"},
	"expires":            {"Expire", "Expires"},
	"expiresin":          {"Validité", "Valid for"},
	"created":            {"Créé", "Created"},
	"createdby":          {"Créé par", "Created by"},
	"used":               {"Utilisé", "Used"},
	"unused":             {"non utilisé", "unused"},
	"expired":            {"expiré", "expired"},
	"newtoken":           {"Nouveau jeton (affiché une seule fois, transmettez-le à l'entité) :", "New token (shown once, give it to the entity):"},
	"role":               {"Rôle", "Role"},
	"adviser":            {"conseiller", "adviser"},
	"admin":              {"administrateur", "administrator"},
	"disabled":           {"désactivé", "disabled"},
	"active":             {"actif", "active"},
	"disable":            {"Désactiver", "Disable"},
	"enable":             {"Réactiver", "Enable"},
	"adduser":            {"Ajouter un compte", "Add an account"},
	"useradded":          {"Compte créé.", "Account created."},
	"revoke":             {"Révoquer", "Revoke"},
	"revoked":            {"révoqué", "revoked"},
	"revokedmsg":         {"Agent révoqué : ses bilans sont désormais refusés.", "Agent revoked: its reports are now refused."},
	"agentid":            {"Identifiant d'agent", "Agent ID"},
	"when":               {"Quand", "When"},
	"who":                {"Qui", "Who"},
	"action":             {"Action", "Action"},
	"target":             {"Objet", "Target"},
	"detail":             {"Détail", "Detail"},
	"forbidden":          {"Accès réservé aux administrateurs.", "Administrators only."},
	"notfound":           {"Page introuvable.", "Page not found."},
	"badcsrf":            {"Formulaire expiré ou invalide : rechargez la page et recommencez.", "Expired or invalid form: reload the page and try again."},
	"error":              {"Erreur interne : l'incident a été journalisé.", "Internal error: the incident was logged."},
	"levels":             {"Niveaux : Insuffisant (0), Émergent (1), Intermédiaire (2), Confirmé (3), Optimal (4).", "Levels: Insufficient (0), Emerging (1), Intermediate (2), Established (3), Optimal (4)."},
	"lang":               {"English", "Français"},
	"weakpw":             {"Mot de passe trop court (12 caractères au moins).", "Password too short (at least 12 characters)."},
	"exists":             {"Ce compte existe déjà.", "This account already exists."},
	"badinput":           {"Saisie invalide : %s", "Invalid input: %s"},
	"noentities":         {"Aucune entité ne correspond.", "No entity matches."},
	"hostsaffected":      {"postes", "hosts"},
	"footer":             {"Vigie %s — les bilans sont signés par les agents et vérifiés à la réception.", "Vigie %s — reports are signed by the agents and verified on receipt."},
	"signedinas":         {"Connecté : %s", "Signed in: %s"},
	"chartnone":          {"Pas encore d'historique.", "No history yet."},
	"chartlabel":         {"Évolution du score de chaque poste de 0 à 100", "Score of each host over time, 0 to 100"},
	"days":               {"jours", "days"},
	"hours":              {"heures", "hours"},
	"ok":                 {"Enregistré.", "Saved."},
	"state":              {"État", "Status"},
	"colon":              {"\u00a0:", ":"}, // French puts a (non-breaking) space before a colon, English none
	"enrolledon":         {"enrôlé le %s", "enrolled on %s"},
	"validfor":           {"valable %s", "valid for %s"},
	"newtokenfor":        {"Nouveau jeton pour « %s », valable %s, %s. Il n'est affiché qu'une fois : transmettez-le maintenant à l'entité.", "New token for %q, valid for %s, %s. It is shown only once: give it to the entity now."},
	"installcmd":         {"Commande à transmettre à l'informaticien de l'entité (sur le poste à équiper, en administrateur) :", "Command to give the entity's IT staff (on the host to equip, as administrator):"},
	"derivedurl":         {"Adresse du hub déduite de celle de cette page ; si les agents le joignent autrement, lancez le hub avec --public-url.", "Hub address taken from this page's; if agents reach the hub at another address, start it with --public-url."},
	"confirmrevoke":      {"Révoquer l'agent %s ?", "Revoke agent %s?"},
	"revokehelp":         {"Le hub refusera désormais les bilans et les enrôlements de cette clé, même avec un nouveau jeton ; ceux déjà reçus restent. L'agent crée une nouvelle clé à son prochain « vigie enroll » ; « vigie-hub agent link » lui rend cet historique, « vigie-hub agent reinstate » annule une révocation faite par erreur.", "The hub will refuse this key's reports and enrolments from now on, even with a new token; those already received are kept. The agent makes a new key at its next \"vigie enroll\"; \"vigie-hub agent link\" gives it this history back, \"vigie-hub agent reinstate\" undoes a revocation made by mistake."},
	"revokeconfirm":      {"Confirmer la révocation", "Confirm revocation"},
	"cancel":             {"Annuler", "Cancel"},
	"changesector":       {"Changer le secteur", "Change sector"},
	"changesectorhelp":   {"Les statistiques régionales suivront ; le changement est inscrit au journal d'audit.", "The region's statistics will follow; the change is recorded in the audit log."},
	"samesector":         {"L'entité est déjà dans ce secteur.", "The entity is already in this sector."},
	"sectorchanged":      {"Secteur changé.", "Sector changed."},
	"entitylevel":        {"Niveau de l'entité", "Entity level"},
	"entitylevelhelp":    {"Calculé comme pour un poste, sur les derniers bilans de tous ses postes et les réponses de l'entité aux questions d'organisation.", "Computed as for one host, over the latest reports of all its hosts and the entity's answers to the organisational questions."},
	"hostlevels":         {"Niveaux des postes", "Host levels"},
	"nolevel":            {"non évalué : aucun poste n'a encore envoyé de bilan lisible", "not assessed: no host has sent a readable report yet"},
	"top6":               {"Les 6 mesures prioritaires", "The 6 priority measures"},
	"moremeasures":       {"Mesures suivantes", "Further measures"},
	"entitywide":         {"Entité (réponses aux questions d'organisation)", "Entity (answers to the organisational questions)"},
	"orgquestions":       {"Questions d'organisation", "Organisational questions"},
	"orghelp":            {"Ces réponses valent pour toute l'entité. Sans réponse ou « je ne sais pas », la mesure est comptée comme non faite ; sans aucune réponse, le niveau reste à Intermédiaire au plus.", "These answers hold for the whole entity. Unanswered or \"don't know\" counts as not done; with no answer at all, the level stays at Intermediate at most."},
	"question":           {"Question", "Question"},
	"answer":             {"Réponse", "Answer"},
	"declaredby":         {"Renseigné par", "Answered by"},
	"observed":           {"Constaté sur les postes", "Seen on the hosts"},
	"observedhelp":       {"Ce que les vérifications des postes montrent sur les mêmes sujets (dernier bilan de chaque poste).", "What the hosts' checks show on the same topics (each host's latest report)."},
	"notobserved":        {"rien de constaté", "nothing seen"},
	"byagent":            {"agent %s", "agent %s"},
	"saveanswers":        {"Enregistrer les réponses", "Save the answers"},
	"answerssaved":       {"%d réponse(s) modifiée(s).", "%d answer(s) changed."},
	"unanswered":         {"non renseigné", "not answered"},
	"constate":           {"constaté", "seen"},
	"ans-":               {"— non renseigné —", "— not answered —"},
	"ans-yes":            {"oui", "yes"},
	"ans-no":             {"non", "no"},
	"ans-partial":        {"partiellement", "partly"},
	"ans-unknown":        {"ne sait pas", "don't know"},
	"ans-not-applicable": {"non applicable", "not applicable"},
	"busy":               {"Trop de connexions en cours : réessayez dans quelques secondes.", "Too many logins at once: try again in a few seconds."},
	"older":              {"Entrées plus anciennes", "Older entries"},
	"uses":               {"Nombre de postes (un parc entier : autant que de postes)", "Number of hosts (a whole fleet: as many as hosts)"},
	"nhostsfor":          {"%d postes", "%d hosts"},
	"singleuse":          {"à usage unique", "single use"},
}

// auditWords name the audit log's actions for people; an action this hub
// does not know is shown as recorded.
var auditWords = map[string][2]string{
	"login":           {"Connexion", "Log in"},
	"login_failed":    {"Échec de connexion", "Failed login"},
	"login_throttled": {"Connexions bloquées (trop de tentatives)", "Logins blocked (too many attempts)"},
	"logout":          {"Déconnexion", "Log out"},
	"token_create":    {"Jeton d'enrôlement créé", "Enrolment token created"},
	"agent_enroll":    {"Agent enrôlé", "Agent enrolled"},
	"agent_revoke":    {"Agent révoqué", "Agent revoked"},
	"user_add":        {"Compte créé", "Account created"},
	"user_enable":     {"Compte réactivé", "Account re-enabled"},
	"user_disable":    {"Compte désactivé", "Account disabled"},
	"export":          {"Export", "Export"},
	"backup":          {"Sauvegarde de la base", "Database backup"},
	"view_entity":     {"Consultation d'une entité", "Entity viewed"},
	"view_host":       {"Consultation d'un poste", "Host viewed"},
	"entity_sector":   {"Secteur d'une entité changé", "Entity sector changed"},
	"answers_set":     {"Réponses de l'entité modifiées", "Entity answers changed"},
	"answers_agent":   {"Réponses envoyées par un agent", "Answers sent by an agent"},
	"agent_link":      {"Agent rattaché à l'historique d'un agent révoqué", "Agent linked to a revoked agent's history"},
	"agent_reinstate": {"Révocation annulée", "Revocation undone"},
}

// T translates key into lang (fr by default).
func T(lang, key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

// tr is the per-request translator handed to templates as .L.
type tr struct{ Lang string }

func (l tr) T(key string) string               { return T(l.Lang, key) }
func (l tr) F(key string, args ...any) string  { return fmt.Sprintf(T(l.Lang, key), args...) }
func (l tr) Level(n int) string                { return protocol.Level(n).Name(l.Lang) }
func (l tr) LevelName(v protocol.Level) string { return v.Name(l.Lang) }

// Colon is a label's colon with the language's spacing: "Postes :" in
// French, "Hosts:" in English.
func (l tr) Colon() string { return T(l.Lang, "colon") }

// Uses says how many hosts a token enrols ("à usage unique", "30 postes").
func (l tr) Uses(n int) string {
	if n <= 1 {
		return l.T("singleuse")
	}
	return l.F("nhostsfor", n)
}

// Duration says a duration in words ("3 jours").
func (l tr) Duration(d time.Duration) string { return app.DurationWords(d, l.Lang) }

// AuditAction names an audit entry's action in words.
func (l tr) AuditAction(e store.AuditEntry) string {
	if w, ok := auditWords[e.Action]; ok {
		if l.Lang == "en" {
			return w[1]
		}
		return w[0]
	}
	return e.Action
}

// AuditDetail says an audit entry's detail in words where the hub knows
// its form: a token's validity ("valable 3 jours"; rows before version 1.1
// read "valid 72h0m0s"), a sector change with the sectors' names, an
// account's role; otherwise as recorded.
func (l tr) AuditDetail(e store.AuditEntry) string {
	switch e.Action {
	case "token_create":
		// "72h0m0s; uses 30; token 1a2b3c4d" (version 2), "72h0m0s" or
		// "valid 72h0m0s" before.
		dur, rest, _ := strings.Cut(e.Detail, "; ")
		if d, err := time.ParseDuration(strings.TrimPrefix(dur, "valid ")); err == nil {
			out := l.F("validfor", l.Duration(d))
			var uses int
			if _, err := fmt.Sscanf(rest, "uses %d", &uses); err == nil && uses > 1 {
				out += ", " + l.F("nhostsfor", uses)
			}
			if _, ref, ok := strings.Cut(rest, "token "); ok {
				out += " (" + ref + ")"
			}
			return out
		}
	case "entity_sector":
		if from, to, ok := strings.Cut(e.Detail, " -> "); ok {
			return l.Sector(from) + " → " + l.Sector(to)
		}
	case "entity_size_band":
		return bandAudit(e.Detail, l.Lang)
	case "user_add":
		if _, err := store.ParseRole(e.Detail); err == nil {
			return l.T(e.Detail)
		}
	}
	return e.Detail
}

// The contract's vocabularies are protocol's (one definition for the hub,
// the agent and the reports); these only pass the page's language.

// Status is a result's status as reports print it ("ÉCHEC"); a status this
// hub does not know reads as an error (protocol.Status.Effective).
func (l tr) Status(s protocol.Status) string { return s.Label(l.Lang) }

func (l tr) Severity(s protocol.Severity) string { return s.Name(l.Lang) }

// Domain names a domain; one this hub does not know is shown under its ID.
func (l tr) Domain(d protocol.Domain) string { return d.Name(l.Lang) }

// Sector names a sector, given as protocol.Sector or as the store's string.
func (l tr) Sector(s any) string { return protocol.Sector(fmt.Sprint(s)).Name(l.Lang) }

// Date formats a time in the page's language, in the hub's local zone
// (UTC unless TZ is set).
func (l tr) Date(t time.Time) string {
	if t.IsZero() {
		return T(l.Lang, "never")
	}
	if l.Lang == "en" {
		return t.Local().Format("2006-01-02 15:04")
	}
	return t.Local().Format("02/01/2006 15:04")
}
