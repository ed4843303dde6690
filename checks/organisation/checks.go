package organisation

import (
	"context"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Checks returns one declared check per question, judging answers (by
// question ID) from the configuration or the interactive questionnaire.
func Checks(answers map[string]string) []checks.Check {
	any := false
	for _, q := range byTheme {
		any = any || answers[q.ID] != ""
	}
	out := make([]checks.Check, 0, len(byTheme))
	for _, q := range byTheme {
		out = append(out, answerCheck{q: q, answer: answers[q.ID], anyAnswered: any})
	}
	return out
}

// answerCheck judges one declared answer: yes passes, partial warns, no
// fails, "not applicable" is not applicable. Organisational answers belong
// to the entity, and the hub keeps them: a host where nothing was answered
// leaves the whole domain « non évalué » (every question not applicable,
// facts {"answer": "unanswered"}), which keeps the host's level at
// Intermédiaire at most (report.Score). Once the questionnaire is answered
// on a host, a question left unanswered or answered "don't know" is « non
// renseigné » and counts as not done: a failure, since nobody can say the
// measure is in place.
type answerCheck struct {
	q           Question
	answer      string
	anyAnswered bool
}

func (c answerCheck) Meta() checks.Meta {
	return checks.Meta{
		ID: c.q.ID, Version: 1, Domain: protocol.DomainOrganisation, Severity: c.q.Severity,
		Refs: c.q.Refs, Declared: true,
	}
}

func (c answerCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	r := judge(c.q, c.answer, c.anyAnswered)
	r.Declared = true
	return r
}

func judge(q Question, raw string, anyAnswered bool) protocol.Result {
	if raw == "" && !anyAnswered {
		r := checks.Skipped(protocol.Text{FR: "non renseigné : questionnaire non rempli sur ce poste", EN: "not answered: questionnaire not filled in on this host"})
		r.Facts = map[string]any{"answer": Unanswered}
		return r
	}
	if raw == "" {
		return checks.Failed(protocol.Text{FR: "non renseigné : compté comme non fait", EN: "not answered: counted as not done"}, map[string]any{"answer": Unanswered})
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
		return checks.Failed(protocol.Text{FR: "non renseigné (déclaré : ne sait pas) : compté comme non fait", EN: "not answered (declared: don't know): counted as not done"}, facts)
	case NotApplicable:
		r := checks.Skipped(protocol.Text{FR: "déclaré : non applicable", EN: "declared: not applicable"})
		r.Facts = facts
		return r
	default:
		return checks.Failed(protocol.Text{FR: "déclaré : non", EN: "declared: no"}, facts)
	}
}
