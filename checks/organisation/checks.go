package organisation

import (
	"context"
	_ "embed"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// GuidanceTOML is the family's guidance catalogue (French and English).
//
//go:embed guidance.toml
var GuidanceTOML []byte

// Checks returns one declared check per question, judging answers (by
// question ID) from the configuration or the interactive questionnaire.
func Checks(answers map[string]string) []checks.Check {
	out := make([]checks.Check, 0, len(byTheme))
	for _, q := range byTheme {
		out = append(out, answerCheck{q: q, answer: answers[q.ID]})
	}
	return out
}

// answerCheck judges one declared answer: yes passes, partial and "don't
// know" warn, no fails, "not applicable" is not applicable. An unanswered
// question is not applicable too, so that it leaves the score's
// denominator for now, but its facts say {"answer": "unanswered"}: the
// scoring can tell « non renseigné » (to count as not done, issue 17) from
// « non applicable » without the scores changing here.
type answerCheck struct {
	q      Question
	answer string
}

func (c answerCheck) Meta() checks.Meta {
	return checks.Meta{
		ID: c.q.ID, Version: 1, Domain: protocol.DomainOrganisation, Severity: c.q.Severity,
		Refs: c.q.Refs, Priority: c.q.Priority, Declared: true,
	}
}

func (c answerCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	r := judge(c.q, c.answer)
	r.Declared = true
	return r
}

func judge(q Question, raw string) protocol.Result {
	if raw == "" {
		r := checks.Skipped(protocol.Text{FR: "non renseigné (questionnaire)", EN: "not answered (questionnaire)"})
		r.Facts = map[string]any{"answer": Unanswered}
		return r
	}
	a, err := Normalize(raw)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "réponse illisible dans la configuration", EN: "unreadable answer in the configuration"}, err)
	}
	facts := map[string]any{"answer": a, "declared": true}
	switch a {
	case Yes:
		return checks.Passed(protocol.Text{FR: "déclaré : oui", EN: "declared: yes"}, facts)
	case Partial:
		return checks.Warned(protocol.Text{FR: "déclaré : partiellement", EN: "declared: partly"}, facts)
	case Unknown:
		return checks.Warned(protocol.Text{FR: "déclaré : ne sait pas", EN: "declared: don't know"}, facts)
	case NotApplicable:
		r := checks.Skipped(protocol.Text{FR: "déclaré : non applicable", EN: "declared: not applicable"})
		r.Facts = facts
		return r
	default:
		return checks.Failed(protocol.Text{FR: "déclaré : non", EN: "declared: no"}, facts)
	}
}
