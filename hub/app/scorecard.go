package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"slices"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// Reading stored scorecards for display. The store keeps the envelope
// exactly as received and verified; what is shown of a scorecard beyond
// its summary is decoded from it here, through protocol only.

// Series is one host's score history (the entity page's chart).
type Series struct {
	Label  string
	Points []store.Point
}

// Action is one measure across an entity's hosts and answers: a check
// failing or warning on at least one host, or an organisational question
// judged from the entity's answers (Hosts empty).
type Action struct {
	ID       string
	Status   protocol.Status   // fail when it fails on any host
	Severity protocol.Severity // the most severe seen
	Domain   protocol.Domain
	Hosts    []string
}

// EntityReport is what the entity page shows.
type EntityReport struct {
	Entity store.Entity
	Hosts  []store.HostRow
	// Labels name the hosts by agent ID (HostLabels: same names told apart).
	Labels  map[string]string
	History []Series
	// Actions are the entity's measures in the restitution's order
	// (report.Prioritise with the catalogue's ranks over the entity's
	// results: measures with a failure first, then with a warning, by
	// rank); the page details the first report.TopActions.
	Actions []Action
	// Unreadable lists the hosts whose latest scorecard's details do not
	// decode (protocol.Summary): they are missing from Actions and Scores.
	Unreadable []string
	// Scores is the entity's level (EntityScores over its hosts' latest
	// results and its answers); nil when no host reported.
	Scores *protocol.Scores
	// Answers is the questionnaire with the entity's answers, in display
	// order; Observed what the hosts showed on the questions a check
	// answers (« constaté »).
	Answers  []AnswerRow
	Observed []Observed
}

// HostLabel names a host: its hostname, else the start of its agent ID.
func HostLabel(a store.Agent) string {
	if a.Hostname != "" {
		return a.Hostname
	}
	return shortID(a.ID)
}

func shortID(id string) string { return id[:min(8, len(id))] }

// HostLabels names each agent of rows (by agent ID) as HostLabel does, but
// hosts sharing a name within one entity (two "vm", a reinstalled machine
// enrolled again) get the start of their agent ID too: "vm (3f9a2b1c)".
func HostLabels(rows []store.HostRow) map[string]string {
	type key struct {
		entity int64
		name   string
	}
	n := map[key]int{}
	for _, r := range rows {
		n[key{r.Agent.EntityID, HostLabel(r.Agent)}]++
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		l := HostLabel(r.Agent)
		if n[key{r.Agent.EntityID, l}] > 1 && r.Agent.Hostname != "" {
			l += " (" + shortID(r.Agent.ID) + ")"
		}
		out[r.Agent.ID] = l
	}
	return out
}

// Entity returns the entity page's content and records that by viewed it.
// Errors: store.ErrNotFound.
func (a *App) Entity(ctx context.Context, id int64, by string) (EntityReport, error) {
	st := a.cfg.Store
	e, err := st.Entity(ctx, id)
	if err != nil {
		return EntityReport{}, err
	}
	rows, err := st.Hosts(ctx, store.HostFilter{EntityID: id, IncludeRevoked: true})
	if err != nil {
		return EntityReport{}, err
	}
	r := EntityReport{Entity: e, Hosts: rows, Labels: HostLabels(rows)}
	for _, h := range rows {
		if h.Latest == nil {
			continue
		}
		hist, err := st.History(ctx, h.Agent.ID, 90)
		if err != nil {
			return r, err
		}
		r.History = append(r.History, Series{Label: r.Labels[h.Agent.ID], Points: hist})
	}
	hosts, unreadable, err := a.latestResults(ctx, rows)
	if err != nil {
		return r, err
	}
	r.Unreadable = unreadable
	answers, err := st.Answers(ctx, id)
	if err != nil {
		return r, err
	}
	var results [][]protocol.Result
	for _, h := range hosts {
		results = append(results, h.results)
	}
	if len(hosts) > 0 {
		s := EntityScores(results, answers)
		r.Scores = &s
	}
	r.Actions = entityActions(hosts, answers, a.cfg.Rank)
	r.Observed = observe(hosts)
	r.Answers = answerRows(answers, r.Observed)
	a.Record(ctx, by, "view_entity", e.Name, "")
	return r, nil
}

// entityActions orders the entity's measures as report.Prioritise does
// over its results (each measure once, at its first place, with the hosts
// where it fails or warns).
func entityActions(hosts []hostResults, answers []store.Answer, rank func(string) int) []Action {
	where := map[string][]string{}
	var all [][]protocol.Result
	for _, h := range hosts {
		all = append(all, h.results)
		for _, x := range h.results {
			if st := x.Status.Effective(); (st == protocol.Fail || st == protocol.Warn) && x.Domain != protocol.DomainOrganisation && !slices.Contains(where[x.ID], h.label) {
				where[x.ID] = append(where[x.ID], h.label)
			}
		}
	}
	var out []Action
	seen := map[string]int{}
	for _, x := range report.Prioritise(EntityResults(all, answers), rank) {
		if i, ok := seen[x.ID]; ok {
			if x.Severity.Rank() < out[i].Severity.Rank() {
				out[i].Severity = x.Severity
			}
			continue
		}
		seen[x.ID] = len(out)
		out = append(out, Action{ID: x.ID, Status: x.Status.Effective(), Severity: x.Severity, Domain: x.Domain, Hosts: where[x.ID]})
	}
	return out
}

// OpenStored decodes the scorecard of a stored envelope WITHOUT checking
// its signature: the hub verified these very bytes on receipt
// (protocol.OpenUnverified says when that is allowed). Pages that show
// one scorecard verify it again (Host).
func OpenStored(envelope []byte) (*protocol.Scorecard, error) {
	env, err := protocol.ParseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	payload, err := protocol.OpenUnverified(env, protocol.PayloadType)
	if err != nil {
		return nil, err
	}
	return protocol.Decode(payload)
}

// HostReport is what the host page shows.
type HostReport struct {
	Agent  store.Agent
	Record *store.Scorecard // nil: the host never reported
	// SigErr is why the stored envelope does not verify against the
	// agent's key; nil when it does.
	SigErr error
	// Scorecard is the verified scorecard, nil when SigErr is set or its
	// details do not decode (Unreadable says why: only its summary was
	// checked on receipt, protocol.Summary).
	Scorecard  *protocol.Scorecard
	Unreadable error
	// Results are the scorecard's results in the order of every page
	// (protocol.ByPriority: failures first, then severity).
	Results []protocol.Result
	History []store.Point // newest first
}

// Host returns the host page's content: the scorecard id of agent, or its
// latest when id is empty, verified again from the stored envelope (what
// the adviser reads is what the agent signed), and records that by viewed
// it. Errors: store.ErrNotFound for an unknown agent.
func (a *App) Host(ctx context.Context, agentID, id, by string) (HostReport, error) {
	st := a.cfg.Store
	agent, err := st.Agent(ctx, agentID)
	if err != nil {
		return HostReport{}, err
	}
	r := HostReport{Agent: agent}
	var rec *store.Scorecard
	if id != "" {
		rec, err = st.Scorecard(ctx, agent.ID, id)
	} else {
		rec, err = st.LatestScorecard(ctx, agent.ID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	if rec != nil {
		r.Record = rec
		env, err := protocol.ParseEnvelope(rec.Envelope)
		var payload []byte
		if err == nil {
			payload, err = protocol.Verify(env, protocol.PayloadType, ed25519.PublicKey(agent.PublicKey))
		}
		if err != nil {
			r.SigErr = err
		} else if sc, err := protocol.Decode(payload); err != nil {
			r.Unreadable = err
		} else {
			r.Scorecard = sc
			r.Results = slices.Clone(sc.Results)
			slices.SortStableFunc(r.Results, func(x, y protocol.Result) int { return protocol.ByPriority(&x, &y) })
		}
	}
	if r.History, err = st.History(ctx, agent.ID, 30); err != nil {
		return r, err
	}
	slices.Reverse(r.History)
	a.Record(ctx, by, "view_host", agent.Entity+" / "+HostLabel(agent), agent.ID)
	return r, nil
}
