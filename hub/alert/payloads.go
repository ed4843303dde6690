package alert

import (
	"context"
	"slices"

	"github.com/vigie-cyber/vigie/hub/store"
)

// What detection reads beyond the scorecards' columns, and how it avoids
// reading it one scorecard at a time.

// payload returns a scorecard's signed payload: read with its batch by
// prefetch, else alone (which also says why a stored scorecard cannot be
// read).
func (p *pass) payload(ctx context.Context, r store.IngestRow) ([]byte, error) {
	if b, ok := p.payloads[r.Key]; ok {
		return b, nil
	}
	return p.e.as.ScorecardPayload(ctx, r.AgentID, r.ID)
}

// prefetch reads in one query the payloads the batch's rows will need for
// "fixed": those of hosts with an open critical alert whose check the row
// does not list as failing (its status, pass or not, is in the payload
// only). Rows whose payload is needed for another reason (a check never
// seen, an agent version change) are rare and read alone. A failed
// prefetch only costs speed: each row is then read alone, with the same
// outcome as before it.
func (p *pass) prefetch(ctx context.Context, rows []store.IngestRow) {
	var keys []int64
	for _, r := range rows {
		for k := range p.e.critical[r.AgentID] {
			if !slices.Contains(r.Failed, k.subject[len(r.AgentID)+1:]) {
				keys = append(keys, r.Key)
				break
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	m, err := p.e.as.ScorecardPayloads(ctx, keys)
	if err != nil {
		p.e.log.Debug("alertes : lecture groupée des bilans", "err", err)
		return
	}
	p.payloads = m
}

// indexOpen and unindexOpen keep Engine.critical, the open critical
// alerts by agent, in step with Engine.open: each scorecard looks at its
// own host's alerts, not at every open alert of the region.
func (e *Engine) indexOpen(k openKey, o store.OpenAlert) {
	if k.kind != string(Critical) || len(k.subject) <= len(o.AgentID) || k.subject[:len(o.AgentID)] != o.AgentID {
		return
	}
	m := e.critical[o.AgentID]
	if m == nil {
		m = map[openKey]struct{}{}
		e.critical[o.AgentID] = m
	}
	m[k] = struct{}{}
}

func (e *Engine) unindexOpen(k openKey) {
	o, ok := e.open[k]
	if !ok {
		return
	}
	if m := e.critical[o.AgentID]; m != nil {
		delete(m, k)
		if len(m) == 0 {
			delete(e.critical, o.AgentID)
		}
	}
}
