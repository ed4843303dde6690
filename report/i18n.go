package report

import (
	"fmt"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// words holds the renderers' fixed vocabulary; check-specific text comes from
// the guidance catalogue and the results' evidence.
var words = map[string]map[string]string{
	"fr": {
		"title":      "Bilan de cybersécurité",
		"domain":     "Domaine",
		"host":       "Hôte",
		"system":     "Système",
		"scanned":    "Analysé le",
		"duration":   "durée",
		"level":      "Niveau de maturité",
		"score":      "Score global",
		"capped":     "plafonné : au moins une vérification critique a échoué",
		"domains":    "Scores par domaine",
		"findings":   "Points à corriger",
		"nofindings": "Aucun échec ni avertissement.",
		"actions":    "Les 6 mesures prioritaires",
		"others":     "Mesures suivantes",
		"trend":      "Évolution du score",
		"trendlabel": "%d derniers bilans, du %s au %s : score de %d à %d",
		"seen":       "Constaté",
		"why":        "Pourquoi",
		"todo":       "À faire",
		"effort":     "Temps estimé",
		"na":         "non évalué",
		"passed":     "réussie(s)",
		"warned":     "avertissement(s)",
		"failed":     "échec(s)",
		"errored":    "erreur(s)",
		"notapp":     "sans objet",
		"all":        "Toutes les vérifications",
		"check":      "Vérification",
		"status":     "Résultat",
		"evidence":   "Ce qui a été constaté",
		"footer":     "Rapport produit par Vigie %s. Niveaux de maturité : Insuffisant (0), Émergent (1), Intermédiaire (2), Confirmé (3), Optimal (4).",
		"agent":      "Agent",
		"entity":     "Entité",
		"declared":   "déclaré",
	},
	"en": {
		"title":      "Cybersecurity report",
		"domain":     "Domain",
		"host":       "Host",
		"system":     "System",
		"scanned":    "Scanned on",
		"duration":   "took",
		"level":      "Maturity level",
		"score":      "Overall score",
		"capped":     "capped: at least one critical check failed",
		"domains":    "Scores by domain",
		"findings":   "Issues to fix",
		"nofindings": "No failure and no warning.",
		"actions":    "The 6 priority measures",
		"others":     "Further measures",
		"trend":      "Score over time",
		"trendlabel": "last %d scans, from %s to %s: score from %d to %d",
		"seen":       "Seen",
		"why":        "Why",
		"todo":       "What to do",
		"effort":     "Estimated time",
		"na":         "not assessed",
		"passed":     "passed",
		"warned":     "warning(s)",
		"failed":     "failed",
		"errored":    "error(s)",
		"notapp":     "not applicable",
		"all":        "All checks",
		"check":      "Check",
		"status":     "Result",
		"evidence":   "What was seen",
		"footer":     "Report produced by Vigie %s. Maturity levels: Insufficient (0), Emerging (1), Intermediate (2), Established (3), Optimal (4).",
		"agent":      "Agent",
		"entity":     "Entity",
		"declared":   "declared",
	},
}

func lang(l string) string {
	if l == "en" {
		return "en"
	}
	return "fr"
}

func word(l, key string) string { return words[lang(l)][key] }

// CapReason says in one line why the level is lower than the score gives,
// or "" when it is not. Scorecards from agents before the named caps only
// say that a critical check failed.
func CapReason(s *protocol.Scores, l string) string {
	switch {
	case s.LevelCap != "":
		return s.LevelCap.Reason(lang(l), s.CappedBy)
	case s.LevelCapped:
		return word(l, "capped")
	}
	return ""
}

// FormatTime prints a time as French or English readers expect, in the
// scorecard's own zone (UTC) so reports are reproducible.
func FormatTime(t time.Time, l string) string {
	t = t.UTC()
	if lang(l) == "en" {
		return t.Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprintf("%s à %s UTC", t.Format("02/01/2006"), t.Format("15:04"))
}

func formatDuration(d time.Duration, l string) string {
	s := fmt.Sprintf("%.1f s", d.Seconds())
	if lang(l) == "fr" {
		for i := range s {
			if s[i] == '.' {
				s = s[:i] + "," + s[i+1:]
				break
			}
		}
	}
	return s
}

// titleOf returns the catalogue title of a check, or its ID.
func titleOf(cat checks.Catalogue, id, l string) string {
	if g, ok := cat[id]; ok {
		if t := g.In(lang(l)).Title; t != "" {
			return t
		}
	}
	return id
}
