package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// Organisational answers belong to the entity (issue 17): the hub keeps
// them, an adviser fills them in or an agent sends them, and the entity's
// level is computed from its hosts' latest results and these answers with
// the agent's own scoring (report.Score).

// AnswerMap is the entity's answers as the questionnaire reads them
// (question ID to answer; a cleared answer is absent).
func AnswerMap(answers []store.Answer) map[string]string {
	m := make(map[string]string, len(answers))
	for _, a := range answers {
		if a.Value != "" {
			m[a.Question] = a.Value
		}
	}
	return m
}

// EntityResults is what the entity level is computed over: every host's
// results outside the organisation domain (a host's own declared answers
// give way to the entity's), then the organisation results judged from the
// entity's answers (organisation.Judge: nothing answered leaves the domain
// « non évalué »; once answered, a blank or « ne sait pas » fails).
func EntityResults(hosts [][]protocol.Result, answers []store.Answer) []protocol.Result {
	var out []protocol.Result
	for _, rs := range hosts {
		for _, r := range rs {
			if r.Domain != protocol.DomainOrganisation {
				out = append(out, r)
			}
		}
	}
	return append(out, organisation.Judge(AnswerMap(answers))...)
}

// EntityScores is the entity's level: report.Score over EntityResults,
// the same function the agent scores one host with, so the caps apply to
// the entity as to a host (a critical failure on any host holds the entity
// at Émergent; no organisational answer, at Intermédiaire).
func EntityScores(hosts [][]protocol.Result, answers []store.Answer) protocol.Scores {
	return report.Score(EntityResults(hosts, answers))
}

// ErrUnknownQuestion is an answer to a question this hub does not ask.
var ErrUnknownQuestion = fmt.Errorf("%w : question inconnue", ErrBadInput)

// SetAnswers records an adviser's answers for the entity (question ID to
// one of protocol.AnswerValues, or "" to clear it: « non renseigné »).
// Only the answers that change are written, so each keeps who gave it and
// when; the change is audited. It returns how many answers changed.
// Errors: store.ErrNotFound, ErrBadInput for an unknown question or value.
func (a *App) SetAnswers(ctx context.Context, entityID int64, answers map[string]string, by string) (int, error) {
	st := a.cfg.Store
	e, err := st.Entity(ctx, entityID)
	if err != nil {
		return 0, err
	}
	known := map[string]bool{}
	for _, q := range organisation.Questions() {
		known[q.ID] = true
	}
	for q, v := range answers {
		if !known[q] {
			return 0, fmt.Errorf("%w %q", ErrUnknownQuestion, protocol.Clip(q, 60))
		}
		if v != "" && !protocol.ValidAnswer(v) {
			return 0, fmt.Errorf("%w : réponse %q invalide pour %s", ErrBadInput, protocol.Clip(v, 40), q)
		}
	}
	current, err := st.Answers(ctx, entityID)
	if err != nil {
		return 0, err
	}
	was := map[string]string{}
	for _, x := range current {
		was[x.Question] = x.Value
	}
	now := a.cfg.Now()
	var changed []store.Answer
	var names []string
	for q, v := range answers {
		if was[q] != v {
			changed = append(changed, store.Answer{Question: q, Value: v, By: by, At: now})
			names = append(names, q+"="+cmp.Or(v, "non renseigné"))
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	slices.Sort(names)
	if err := st.SetAnswers(ctx, entityID, changed); err != nil {
		return 0, err
	}
	a.Record(ctx, by, "answers_set", e.Name, strings.Join(names, ", "))
	return len(changed), nil
}

// AnswerRow is one question of the entity's answers page: the question,
// the answer kept (zero when never answered), how it is judged, and what
// the hosts showed when a check answers it.
type AnswerRow struct {
	Question organisation.Question
	Answer   store.Answer
	Result   protocol.Result
	Observed *Observed
}

// Unanswered reports whether the answer counts as « non renseigné »:
// never given, cleared, or « ne sait pas ».
func (r AnswerRow) Unanswered() bool {
	return r.Answer.Value == "" || r.Answer.Value == protocol.AnswerUnknown
}

// Observed is what the entity's hosts showed on a question a check
// answers (organisation.Observations): « constaté ».
type Observed struct {
	organisation.Observation
	// Status is the worst seen across the hosts (fail, then warn, then
	// pass); empty when no host had a verdict on these checks.
	Status protocol.Status
	Seen   []Seen
}

// Seen is one host's verdict on one check of an observation.
type Seen struct {
	Host     string
	Check    string
	Target   string
	Status   protocol.Status
	Evidence protocol.Text
}

// observe collects, for each observation, what the hosts' results show.
func observe(hosts []hostResults) []Observed {
	var out []Observed
	for _, o := range organisation.Observations() {
		ob := Observed{Observation: o}
		for _, h := range hosts {
			for _, r := range h.results {
				if !slices.Contains(o.Checks, r.ID) {
					continue
				}
				st := r.Status.Effective()
				if st != protocol.Pass && st != protocol.Warn && st != protocol.Fail {
					continue // not applicable or not read: nothing seen
				}
				ob.Seen = append(ob.Seen, Seen{Host: h.label, Check: r.ID, Target: r.Target, Status: st, Evidence: r.Evidence})
				if ob.Status == "" || st.Rank() < ob.Status.Rank() {
					ob.Status = st
				}
			}
		}
		out = append(out, ob)
	}
	return out
}

type hostResults struct {
	label   string
	results []protocol.Result
}

// answerRows lays the questionnaire out with the entity's answers.
func answerRows(answers []store.Answer, observed []Observed) []AnswerRow {
	byQ := map[string]store.Answer{}
	for _, x := range answers {
		byQ[x.Question] = x
	}
	judged := map[string]protocol.Result{}
	for _, r := range organisation.Judge(AnswerMap(answers)) {
		judged[r.ID] = r
	}
	var rows []AnswerRow
	for _, q := range organisation.Questions() {
		row := AnswerRow{Question: q, Answer: byQ[q.ID], Result: judged[q.ID]}
		for i := range observed {
			if observed[i].Question == q.ID {
				row.Observed = &observed[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// levelCache keeps each entity's computed level until its hosts' latest
// scorecards or its answers change: the overview would otherwise decode
// every host's latest scorecard on every load.
type levelCache struct {
	mu sync.Mutex
	m  map[int64]cachedLevel
}

type cachedLevel struct {
	key    string
	scores protocol.Scores
	checks map[string]protocol.Status // entityChecks: the comparison with peers
	none   bool                       // no host's latest scorecard decodes: no entity level
}

// levelKey names what an entity's level depends on: its hosts' latest
// scorecard IDs and its answers with their times.
func levelKey(rows []store.HostRow, answers []store.Answer) string {
	var b strings.Builder
	for _, r := range rows {
		if r.Latest != nil {
			b.WriteString(r.Agent.ID + ":" + r.Latest.ID + ";")
		}
	}
	b.WriteString("|")
	for _, x := range answers {
		fmt.Fprintf(&b, "%s=%s@%d;", x.Question, x.Value, x.At.UnixMicro())
	}
	return b.String()
}

// EntityLevels computes the level of every entity in rows that has at
// least one host which reported (an entity without evidence from a host
// has no level), from its hosts' latest scorecards and its answers. A host
// whose latest scorecard does not decode is left out of its entity's
// level; an entity none of whose hosts' does is left out of the result
// (the overview then shows its weakest host's stored level). Levels are
// cached until a latest scorecard or an answer changes: only the first
// overview after a hub start, or after new scorecards, decodes them.
func (a *App) EntityLevels(ctx context.Context, rows []store.HostRow) (map[int64]protocol.Scores, error) {
	states, err := a.entityStates(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]protocol.Scores, len(states))
	for id, s := range states {
		out[id] = s.scores
	}
	return out, nil
}

// entityStates is EntityLevels with each entity's status on each check
// (entityChecks), from the same cache.
func (a *App) entityStates(ctx context.Context, rows []store.HostRow) (map[int64]cachedLevel, error) {
	all, err := a.cfg.Store.AllAnswers(ctx)
	if err != nil {
		return nil, err
	}
	byEntity := map[int64][]store.HostRow{}
	for _, r := range rows {
		byEntity[r.Agent.EntityID] = append(byEntity[r.Agent.EntityID], r)
	}
	out := map[int64]cachedLevel{}
	for id, hosts := range byEntity {
		slices.SortFunc(hosts, func(x, y store.HostRow) int { return strings.Compare(x.Agent.ID, y.Agent.ID) })
		key := levelKey(hosts, all[id])
		a.levels.mu.Lock()
		c, ok := a.levels.m[id]
		a.levels.mu.Unlock()
		if ok && c.key == key {
			if !c.none {
				out[id] = c
			}
			continue
		}
		hr, _, err := a.latestResults(ctx, hosts)
		if err != nil {
			return nil, err
		}
		if len(hr) == 0 {
			a.levels.mu.Lock()
			a.levels.m[id] = cachedLevel{key: key, none: true}
			a.levels.mu.Unlock()
			continue
		}
		var rs [][]protocol.Result
		for _, h := range hr {
			rs = append(rs, h.results)
		}
		results := EntityResults(rs, all[id])
		c = cachedLevel{key: key, scores: report.Score(results), checks: entityChecks(results)}
		a.levels.mu.Lock()
		a.levels.m[id] = c
		a.levels.mu.Unlock()
		out[id] = c
	}
	return out, nil
}

// latestResults decodes the latest scorecard of each host that reported;
// unreadable lists the hosts whose scorecard does not decode.
func (a *App) latestResults(ctx context.Context, hosts []store.HostRow) (out []hostResults, unreadable []string, err error) {
	labels := HostLabels(hosts)
	for _, h := range hosts {
		if h.Latest == nil {
			continue
		}
		label := labels[h.Agent.ID]
		full, err := a.cfg.Store.Scorecard(ctx, h.Agent.ID, h.Latest.ID)
		if err != nil {
			return nil, nil, err
		}
		sc, err := OpenStored(full.Envelope)
		if err != nil {
			unreadable = append(unreadable, label)
			continue
		}
		out = append(out, hostResults{label: label, results: sc.Results})
	}
	return out, unreadable, nil
}

// CapReason is report.CapReason for an entity or host level, "" when not
// capped.
func CapReason(s *protocol.Scores, lang string) string {
	if s == nil {
		return ""
	}
	return report.CapReason(s, lang)
}
