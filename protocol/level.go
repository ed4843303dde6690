package protocol

import (
	"fmt"
	"strings"
)

// LevelCap says why a scorecard's level was held below what its score
// gives. The rules (README, "Comment le score est calculé"): a failed
// critical check caps the level at Émergent, a failed high-severity check at
// Intermédiaire, and Confirmé or Optimal also need the organisational
// questions answered.
type LevelCap string

const (
	CapCritical     LevelCap = "critical-failure"
	CapHigh         LevelCap = "high-failure"
	CapOrganisation LevelCap = "organisation-unanswered"
)

// Max is the highest level the cap allows (MaxLevel for no or an unknown cap).
func (c LevelCap) Max() Level {
	switch c {
	case CapCritical:
		return 1
	case CapHigh, CapOrganisation:
		return 2
	}
	return MaxLevel
}

// Reason is the cap in one plain sentence, naming the checks that caused it
// (at most five, then how many more).
func (c LevelCap) Reason(lang string, by []string) string {
	list := strings.Join(by[:min(5, len(by))], ", ")
	if len(by) > 5 {
		list += fmt.Sprintf(pick([2]string{" et %d autres", " and %d more"}, lang), len(by)-5)
	}
	lv := c.Max().Name(lang)
	switch c {
	case CapCritical:
		return fmt.Sprintf(pick([2]string{"Niveau plafonné à %s : une vérification critique échoue (%s).", "Level capped at %s: a critical check fails (%s)."}, lang), lv, list)
	case CapHigh:
		return fmt.Sprintf(pick([2]string{"Niveau plafonné à %s : une vérification importante échoue (%s).", "Level capped at %s: an important check fails (%s)."}, lang), lv, list)
	case CapOrganisation:
		return fmt.Sprintf(pick([2]string{"Niveau plafonné à %s : les questions d'organisation ne sont pas renseignées.", "Level capped at %s: the organisational questions are not answered."}, lang), lv)
	case "":
		return ""
	}
	return string(c)
}
