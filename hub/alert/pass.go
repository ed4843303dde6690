package alert

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// One detection pass: the events of newly stored scorecards, silences,
// committed with their outbox rows and the cursor in one transaction.

// pass is one detection pass being prepared: events and the state they
// move, applied to the engine's memory only once committed.
type pass struct {
	e      *Engine
	now    time.Time
	hosts  map[string]*store.AlertHost // changed baselines
	open   map[openKey]*store.OpenAlert
	closed map[openKey]bool
	events []pending
	cursor int64
	// payloads are the batch's scorecards read ahead (prefetch), by key.
	payloads map[int64][]byte
}

type pending struct {
	kind     Kind
	quiet    bool
	entityID int64
	agentID  string
	data     *Data
	// only: deliver to this target alone (test).
	only *store.NewDelivery
}

func (e *Engine) newPass() *pass {
	return &pass{e: e, now: e.cfg.Now(), hosts: map[string]*store.AlertHost{}, open: map[openKey]*store.OpenAlert{}, closed: map[openKey]bool{}}
}

func (p *pass) host(id string) *store.AlertHost {
	if h, ok := p.hosts[id]; ok {
		return h
	}
	if h, ok := p.e.hosts[id]; ok {
		c := *h
		p.hosts[id] = &c
		return &c
	}
	return nil
}

func (p *pass) isOpen(k openKey) (store.OpenAlert, bool) {
	if p.closed[k] {
		return store.OpenAlert{}, false
	}
	if o, ok := p.open[k]; ok {
		return *o, true
	}
	o, ok := p.e.open[k]
	return o, ok
}

func (p *pass) openAlert(o store.OpenAlert) {
	k := openKey{o.Kind, o.Subject}
	delete(p.closed, k)
	p.open[k] = &o
}

func (p *pass) closeAlert(k openKey) {
	delete(p.open, k)
	if _, ok := p.e.open[k]; ok {
		p.closed[k] = true
	}
}

// add queues an event and returns its index.
func (p *pass) add(ev pending) int {
	p.events = append(p.events, ev)
	return len(p.events) - 1
}

// Detect runs one detection pass: incidents not alerted yet (incident.go),
// new scorecards since the cursor, and every AgentScan enrolments,
// revocations and silences. An incident that cannot be alerted does not
// hold back the rest.
func (e *Engine) Detect(ctx context.Context) error {
	ierr := e.incidentsPass(ctx)
	return errors.Join(ierr, e.detect(ctx))
}

func (e *Engine) detect(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.ready {
		if err := e.load(ctx); err != nil {
			return err
		}
	}
	for {
		p := e.newPass()
		rows, err := e.as.ScorecardsAfter(ctx, e.cursor, 2000)
		if err != nil {
			return err
		}
		scan := e.agents == nil || p.now.Sub(e.lastScan) >= e.cfg.AgentScan
		for _, r := range rows {
			if e.hosts[r.AgentID] == nil {
				scan = true // a scorecard of an agent enrolled since the last scan
			}
		}
		var agents []store.AgentState
		if scan {
			if agents, err = e.as.AgentStates(ctx); err != nil {
				return err
			}
			p.scanAgents(agents)
		}
		p.prefetch(ctx, rows)
		for _, r := range rows {
			if err := p.scorecard(ctx, r); err != nil {
				return err
			}
			p.cursor = r.Key
		}
		if scan && p.now.Sub(e.lastCheck) >= time.Minute {
			p.silences(agents)
		}
		if err := e.commit(ctx, p); err != nil {
			e.ready = false // reload from the database: memory may be ahead of it
			return err
		}
		if scan {
			e.lastScan = p.now
			e.agents = map[string]store.AgentState{}
			for _, a := range agents {
				e.agents[a.ID] = a
			}
			if p.now.Sub(e.lastCheck) >= time.Minute {
				e.lastCheck = p.now
			}
		}
		if len(rows) < 2000 {
			return nil
		}
	}
}

// scanAgents raises agent-enrolled for agents never seen and
// agent-revoked for agents newly revoked.
func (p *pass) scanAgents(agents []store.AgentState) {
	for _, a := range agents {
		h := p.host(a.ID)
		if h == nil {
			h = &store.AlertHost{AgentID: a.ID, EntityID: a.EntityID, Level: -1, Revoked: a.Revoked}
			p.hosts[a.ID] = h
			p.add(pending{kind: AgentEnrolled, entityID: a.EntityID, agentID: a.ID, data: &Data{Host: &HostRef{AgentID: a.ID, Hostname: a.Hostname}}})
			if !a.Revoked {
				continue
			}
		}
		if a.Revoked && !h.Revoked {
			h.Revoked = true
			p.add(pending{kind: AgentRevoked, entityID: a.EntityID, agentID: a.ID, data: &Data{Host: &HostRef{AgentID: a.ID, Hostname: a.Hostname}}})
			// A revoked host's open alerts end without a "fixed": it is gone.
			for k, o := range p.e.open {
				if o.AgentID == a.ID {
					p.closeAlert(k)
				}
			}
		}
	}
}

// silences raises "silent" for entities newly silent and ends it for
// those heard again.
func (p *pass) silences(agents []store.AgentState) {
	silent := p.e.silentEntities(agents, p.now)
	for ent, last := range silent {
		k := openKey{string(Silent), strconv.FormatInt(ent, 10)}
		if _, ok := p.isOpen(k); ok {
			continue
		}
		last := last
		i := p.add(pending{kind: Silent, entityID: ent, data: &Data{SilentDays: p.e.cfg.SilentDays, LastSeen: &last}})
		p.openAlert(store.OpenAlert{Kind: k.kind, Subject: k.subject, EntityID: ent, EventIndex: i, OpenedAt: p.now})
	}
	for k := range p.e.open {
		if k.kind != string(Silent) {
			continue
		}
		ent, _ := strconv.ParseInt(k.subject, 10, 64)
		if _, still := silent[ent]; !still {
			p.closeAlert(k)
		}
	}
}

// commit fans the pass's events out to their recipients and writes
// everything in one transaction, then updates memory.
func (e *Engine) commit(ctx context.Context, p *pass) error {
	if len(p.events) == 0 && len(p.hosts) == 0 && len(p.open) == 0 && len(p.closed) == 0 && p.cursor == 0 {
		return nil
	}
	b := store.AlertBatch{Cursor: p.cursor}
	if len(p.events) > 0 {
		evs, err := e.fanOut(ctx, p)
		if err != nil {
			return err
		}
		b.Events = evs
	}
	for _, h := range p.hosts {
		b.Hosts = append(b.Hosts, *h)
	}
	for _, o := range p.open {
		b.Open = append(b.Open, *o)
	}
	for k := range p.closed {
		b.Closed = append(b.Closed, [2]string{k.kind, k.subject})
	}
	ids, err := e.as.CommitAlerts(ctx, b)
	if err != nil {
		return err
	}
	for id, h := range p.hosts {
		e.hosts[id] = h
	}
	for k := range p.closed {
		e.unindexOpen(k)
		delete(e.open, k)
	}
	for k, o := range p.open {
		if o.EventID == 0 && o.EventIndex >= 0 {
			o.EventID = ids[o.EventIndex]
		}
		e.open[k] = *o
		e.indexOpen(k, *o)
	}
	if p.cursor > 0 {
		e.cursor = p.cursor
	}
	if len(ids) > 0 {
		e.Wake()
	}
	return nil
}
