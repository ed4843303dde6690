package alert

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// History is how old a scorecard may be, by its reception, and still
// raise an event: older ones (a history imported into the hub) only move
// the baseline.
const History = 72 * time.Hour

// Rebaseline reasons (Data.Rebaseline).
const (
	ReasonAgentVersion = "agent-version" // the scoring rules ship with the agent
	ReasonCheckVersion = "check-version"
)

// scorecard compares one newly stored scorecard with its host's baseline
// and moves the baseline to it.
//
// The rules (docs/alerts.md, "Baselines"): a host's first scorecard sets
// its baseline silently. The scorecard carries no version of the scoring
// rules: they are the agent's (report.Build), so the agent version stands
// for them, and each result carries its check's version. When the agent
// version changed, a drop of level or a new critical failure is compared
// result by result with the previous scorecard: a new critical failure of
// a check whose version changed, or that the previous agent did not run,
// and a level drop with no result of an unchanged check changing status,
// are caused by the new version: the baseline moves with a quiet event,
// listed once in the daily digest, and nothing alerts. With the same
// agent version the checks and rules are the same: every change is the
// host's.
func (p *pass) scorecard(ctx context.Context, r store.IngestRow) error {
	h := p.host(r.AgentID)
	if h == nil {
		h = &store.AlertHost{AgentID: r.AgentID, Level: -1}
		p.hosts[r.AgentID] = h
	}
	if h.Revoked || r.Sequence <= h.Sequence {
		return nil
	}
	prev := *h
	h.Sequence, h.ScorecardID, h.Level, h.Failed, h.AgentVersion = r.Sequence, r.ID, r.Level, r.Failed, r.AgentVersion
	if prev.Level < 0 || prev.ScorecardID == "" || p.now.Sub(r.ReceivedAt) > History {
		return nil
	}
	host := &HostRef{AgentID: r.AgentID, Hostname: r.Hostname}
	was := make(map[string]bool, len(prev.Failed))
	for _, id := range prev.Failed {
		was[id] = true
	}
	failing := make(map[string]bool, len(r.Failed))
	var added []string
	for _, id := range r.Failed {
		failing[id] = true
		if !was[id] {
			added = append(added, id)
		}
	}
	// The current scorecard is decoded only when the columns cannot
	// answer: a newly failing check not yet known for this agent version
	// (is it critical?), an open critical alert whose check stopped
	// failing (fixed, or an error?), or an agent version change.
	var cur *protocol.Scorecard
	decodeCur := func() (*protocol.Scorecard, error) {
		if cur == nil {
			payload, err := p.payload(ctx, r)
			if err != nil {
				return nil, err
			}
			if cur, err = p.e.decode(r.AgentID, payload); err != nil {
				return nil, err
			}
		}
		return cur, nil
	}
	var critical []string
	for _, id := range added {
		info, ok := p.e.checks[r.AgentVersion+"\x00"+id]
		if !ok {
			if _, err := decodeCur(); err != nil {
				return p.unreadable(r, err, prev, host)
			}
			info = p.e.checks[r.AgentVersion+"\x00"+id]
		}
		if info.critical {
			if _, open := p.isOpen(openKey{string(Critical), r.AgentID + "|" + id}); !open {
				critical = append(critical, id)
			}
		}
	}
	regression := r.Level < prev.Level
	changed := r.AgentVersion != prev.AgentVersion
	var explained []string // critical failures the new version explains
	quietDrop := false
	reason := ReasonAgentVersion
	if changed && (regression || len(critical) > 0) {
		now, err := decodeCur()
		if err != nil {
			return p.unreadable(r, err, prev, host)
		}
		var before *protocol.Scorecard
		if payload, err := p.e.as.ScorecardPayload(ctx, r.AgentID, prev.ScorecardID); err == nil {
			before, _ = p.e.decode(r.AgentID, payload) // nil: cannot compare, every change counts as the host's
		}
		if before != nil {
			old := resultsByKey(before)
			oldChecks := map[string]int{}
			for _, x := range before.Results {
				oldChecks[x.ID] = x.Version
			}
			var keep []string
			for _, id := range critical {
				v, ran := oldChecks[id]
				if ran && v == checkVersion(now, id) {
					keep = append(keep, id)
					continue
				}
				if ran {
					reason = ReasonCheckVersion
				}
				explained = append(explained, id)
			}
			critical = keep
			if regression && !hostChanged(old, oldChecks, now) {
				quietDrop = true
			}
		}
	}
	agentChange := &VersionChange{From: prev.AgentVersion, To: r.AgentVersion}
	if regression {
		lc := &LevelChange{From: prev.Level, To: r.Level, FromName: protocol.Level(prev.Level).Name("fr"), ToName: protocol.Level(r.Level).Name("fr")}
		if quietDrop {
			p.add(pending{kind: Regression, quiet: true, entityID: prev.EntityID, agentID: r.AgentID, data: &Data{Host: host, Level: lc, Rebaseline: ReasonAgentVersion, AgentVersion: agentChange}})
		} else {
			p.add(pending{kind: Regression, entityID: prev.EntityID, agentID: r.AgentID, data: &Data{Host: host, Level: lc}})
		}
	}
	if len(explained) > 0 {
		p.add(pending{kind: Critical, quiet: true, entityID: prev.EntityID, agentID: r.AgentID, data: &Data{Host: host, Checks: explained, Rebaseline: reason, AgentVersion: agentChange}})
	}
	if len(critical) > 0 {
		i := p.add(pending{kind: Critical, entityID: prev.EntityID, agentID: r.AgentID, data: &Data{Host: host, Checks: critical}})
		for _, id := range critical {
			p.openAlert(store.OpenAlert{Kind: string(Critical), Subject: r.AgentID + "|" + id, EntityID: prev.EntityID, AgentID: r.AgentID, EventIndex: i, OpenedAt: p.now})
		}
	}
	// Fixed: an open critical alert of this host whose check now passes
	// (or no longer applies). An error or a warning leaves it open: no
	// verdict without evidence. A check the new agent version no longer
	// runs closes it silently.
	var fixed []string
	var statuses map[string]protocol.Status // check ID -> worst status, read when needed
	for k := range p.e.critical[r.AgentID] {
		if p.closed[k] {
			continue
		}
		id := k.subject[len(r.AgentID)+1:]
		if failing[id] {
			continue
		}
		if statuses == nil {
			var err error
			if statuses, err = p.statuses(ctx, r, cur); err != nil {
				return p.unreadable(r, err, prev, host)
			}
		}
		switch st, ran := statuses[id]; {
		case !ran && changed:
			p.closeAlert(k)
		case ran && (st == protocol.Pass || st == protocol.NotApplicable):
			fixed = append(fixed, id)
			p.closeAlert(k)
		}
	}
	if len(fixed) > 0 {
		slices.Sort(fixed)
		p.add(pending{kind: Fixed, entityID: prev.EntityID, agentID: r.AgentID, data: &Data{Host: host, Checks: fixed, Fixes: Critical}})
	}
	return nil
}

// unreadable: the scorecard's details do not decode, so nothing can be
// said of its checks; the baseline still moves (its level and failures
// are the stored columns), and the level drop alone is judged.
func (p *pass) unreadable(r store.IngestRow, err error, prev store.AlertHost, host *HostRef) error {
	p.e.log.Warn("alertes : bilan illisible, vérifications non comparées", "agent", r.AgentID, "bilan", r.ID, "err", err)
	if r.Level < prev.Level {
		lc := &LevelChange{From: prev.Level, To: r.Level, FromName: protocol.Level(prev.Level).Name("fr"), ToName: protocol.Level(r.Level).Name("fr")}
		p.add(pending{kind: Regression, entityID: prev.EntityID, agentID: r.AgentID, data: &Data{Host: host, Level: lc}})
	}
	return nil
}

// decode decodes a stored scorecard's payload and remembers what its
// agent version says of each check (version, critical).
func (e *Engine) decode(agentID string, payload []byte) (*protocol.Scorecard, error) {
	sc, err := protocol.Decode(payload)
	if err != nil {
		return nil, err
	}
	if sc.AgentID != agentID {
		return nil, errors.New("scorecard of another agent")
	}
	for _, x := range sc.Results {
		k := sc.AgentVersion + "\x00" + x.ID
		info := e.checks[k]
		info.version = x.Version
		info.critical = info.critical || x.Severity == protocol.Critical
		e.checks[k] = info
	}
	return sc, nil
}

type resultKey struct{ id, target string }

type resultVS struct {
	version int
	status  protocol.Status
}

func resultsByKey(sc *protocol.Scorecard) map[resultKey]resultVS {
	m := make(map[resultKey]resultVS, len(sc.Results))
	for _, x := range sc.Results {
		m[resultKey{x.ID, x.Target}] = resultVS{x.Version, x.Status}
	}
	return m
}

// hostChanged reports whether something on the host, not in the agent,
// changed between two scorecards: a result of a check of the same version
// whose status changed, or a new target of a check the previous agent ran
// at the same version.
func hostChanged(old map[resultKey]resultVS, oldChecks map[string]int, now *protocol.Scorecard) bool {
	for _, x := range now.Results {
		o, ok := old[resultKey{x.ID, x.Target}]
		if ok && o.version == x.Version && o.status != x.Status {
			return true
		}
		if !ok {
			if v, ran := oldChecks[x.ID]; ran && v == x.Version && (x.Status == protocol.Fail || x.Status == protocol.Warn) {
				return true
			}
		}
	}
	return false
}

func checkVersion(sc *protocol.Scorecard, id string) int {
	for _, x := range sc.Results {
		if x.ID == id {
			return x.Version
		}
	}
	return -1
}

// statuses returns the worst status of each check of r, from cur when
// already decoded, else from its results alone (resultStatuses: what
// "fixed" needs, at a fraction of a full decode).
func (p *pass) statuses(ctx context.Context, r store.IngestRow, cur *protocol.Scorecard) (map[string]protocol.Status, error) {
	if cur != nil {
		out := make(map[string]protocol.Status, len(cur.Results))
		for _, x := range cur.Results {
			if st, ok := out[x.ID]; !ok || x.Status.Rank() < st.Rank() {
				out[x.ID] = x.Status
			}
		}
		return out, nil
	}
	payload, err := p.payload(ctx, r)
	if err != nil {
		return nil, err
	}
	return resultStatuses(payload)
}
