package alert

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Channels.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Subscription modes.
const (
	ModeNow    = "now"
	ModeDigest = "digest"
)

// UserTarget is the delivery target of an adviser's e-mails.
func UserTarget(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// fanOut turns the pass's events into stored events with their
// deliveries: each subscribed adviser's e-mail (now, held for the daily
// digest, or held for the overflow digest beyond the cap) and each
// webhook that takes the event.
func (e *Engine) fanOut(ctx context.Context, p *pass) ([]store.AlertEvent, error) {
	ents, err := e.st.Entities(ctx)
	if err != nil {
		return nil, err
	}
	entities := make(map[int64]store.Entity, len(ents))
	for _, x := range ents {
		entities[x.ID] = x
	}
	subs, err := e.as.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	users, err := e.st.Users(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]store.User{}
	var admins []string
	for _, u := range users {
		if u.Disabled {
			continue
		}
		byID[u.ID] = u
		if u.Role == store.RoleAdmin {
			admins = append(admins, u.Email)
		}
	}
	e.troubleMu.Lock()
	e.admins = admins
	e.troubleMu.Unlock()
	hooks, err := e.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	recent, err := e.as.RecentDeliveries(ctx, ChannelEmail, p.now.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	recentHooks, err := e.as.RecentDeliveries(ctx, ChannelWebhook, p.now.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	daily := nextDigest(p.now, e.cfg.DigestHour, e.cfg.Location)
	overflow := p.now.Truncate(e.cfg.OverflowWindow).Add(e.cfg.OverflowWindow)
	expires := p.now.Add(e.cfg.Expiry)
	// The cap: when this pass's immediate alerts to an adviser, added to
	// those sent in the last hour, exceed it, all of this pass's go to the
	// overflow digest: a burst (a thousand hosts dropping at once) makes
	// one digest, not twenty mails and a digest. Webhooks the same, with
	// their own cap: one digest delivery carrying the events.
	want, wantHooks := map[string]int{}, map[string]int{}
	for _, ev := range p.events {
		if ev.only != nil || ev.quiet {
			continue
		}
		for _, h := range hooks {
			if slices.Contains(h.Events, string(ev.kind)) {
				wantHooks[h.Target]++
			}
		}
		for _, sub := range subs {
			if ent, ok := entities[ev.entityID]; ok && sub.Mode != ModeDigest && slices.Contains(sub.Events, string(ev.kind)) && covers(sub, ent) {
				want[UserTarget(sub.UserID)]++
			}
		}
	}
	out := make([]store.AlertEvent, 0, len(p.events))
	for _, ev := range p.events {
		d := ev.data
		if d == nil {
			d = &Data{}
		}
		ent, hasEnt := entities[ev.entityID]
		if hasEnt {
			d.Entity = &EntityRef{ID: ent.ID, Name: ent.Name, Sector: ent.Sector}
		}
		switch {
		case d.URL != "":
		case ev.agentID != "" && ev.kind != AgentRevoked:
			d.URL = e.link("/host/" + ev.agentID)
		case hasEnt:
			d.URL = e.link("/entity/" + strconv.FormatInt(ent.ID, 10))
		}
		data, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		se := store.AlertEvent{Kind: string(ev.kind), At: p.now, EntityID: ev.entityID, AgentID: ev.agentID, Quiet: ev.quiet, Data: data}
		if ev.only != nil {
			dv := *ev.only
			dv.MsgID, dv.Expires = newMsgID(), expires
			se.Deliveries = append(se.Deliveries, dv)
			out = append(out, se)
			continue
		}
		if e.cfg.SMTP != nil {
			for _, sub := range subs {
				u, ok := byID[sub.UserID]
				if !ok || !slices.Contains(sub.Events, string(ev.kind)) || !hasEnt || !covers(sub, ent) {
					continue
				}
				dv := store.NewDelivery{MsgID: newMsgID(), Channel: ChannelEmail, Target: UserTarget(u.ID), Address: u.Email, Expires: expires}
				switch {
				case ev.quiet || sub.Mode == ModeDigest:
					dv.HeldUntil = daily
				case recent[dv.Target]+want[dv.Target] > e.cfg.CapPerHour:
					dv.HeldUntil = overflow
				}
				se.Deliveries = append(se.Deliveries, dv)
			}
		}
		if !ev.quiet {
			for _, h := range hooks {
				if slices.Contains(h.Events, string(ev.kind)) {
					dv := store.NewDelivery{MsgID: newMsgID(), Channel: ChannelWebhook, Target: h.Target, Address: h.URL, Expires: expires}
					if recentHooks[h.Target]+wantHooks[h.Target] > e.cfg.WebhookCapPerHour {
						dv.HeldUntil = overflow
					}
					se.Deliveries = append(se.Deliveries, dv)
				}
			}
		}
		out = append(out, se)
	}
	return out, nil
}

// covers reports whether a subscription follows an entity.
func covers(sub store.Subscription, ent store.Entity) bool {
	return sub.All || slices.Contains(sub.Sectors, ent.Sector) || slices.Contains(sub.Entities, ent.ID)
}

// nextDigest is the next daily digest time after now.
func nextDigest(now time.Time, hour int, loc *time.Location) time.Time {
	l := now.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), hour, 0, 0, 0, loc)
	if !t.After(l) {
		t = time.Date(l.Year(), l.Month(), l.Day()+1, hour, 0, 0, 0, loc)
	}
	return t
}

// hook is a webhook from the file or the database.
type hook struct {
	Target string // "file:N" or "webhook:ID"
	URL    string
	Secret string
	Events []string
}

func (e *Engine) webhooks(ctx context.Context) ([]hook, error) {
	var out []hook
	for i, w := range e.cfg.Webhooks {
		out = append(out, hook{Target: "file:" + strconv.Itoa(i+1), URL: w.URL, Secret: w.Secret, Events: w.Events})
	}
	db, err := e.as.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range db {
		out = append(out, hook{Target: "webhook:" + strconv.FormatInt(w.ID, 10), URL: w.URL, Secret: w.Secret, Events: w.Events})
	}
	return out, nil
}

// hookByTarget finds a delivery's webhook (nil: deleted since).
func (e *Engine) hookByTarget(ctx context.Context, target string) (*hook, error) {
	hs, err := e.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if h.Target == target {
			return &h, nil
		}
	}
	return nil, nil
}

// SendTest queues a test alert to one adviser (the "test alert" button):
// it goes through the outbox like any alert, so the delivery log shows
// whether the mail server took it.
func (e *Engine) SendTest(ctx context.Context, u store.User) error {
	if e.cfg.SMTP == nil {
		return ErrNoSMTP
	}
	return e.queueOne(ctx, pending{kind: Test, data: &Data{Message: "Ceci est une alerte de test demandée par " + u.Email + " : si vous la lisez, vos alertes vous parviennent.", URL: e.link("/alerts")},
		only: &store.NewDelivery{Channel: ChannelEmail, Target: UserTarget(u.ID), Address: u.Email}})
}

// SendTestWebhook queues a test event to one webhook (target "file:N" or
// "webhook:ID").
func (e *Engine) SendTestWebhook(ctx context.Context, target, by string) error {
	h, err := e.hookByTarget(ctx, target)
	if err != nil {
		return err
	}
	if h == nil {
		return store.ErrNotFound
	}
	return e.queueOne(ctx, pending{kind: Test, data: &Data{Message: "Événement de test demandé par " + by + ".", URL: e.link("/admin/alerts")},
		only: &store.NewDelivery{Channel: ChannelWebhook, Target: h.Target, Address: h.URL}})
}

func (e *Engine) queueOne(ctx context.Context, ev pending) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.newPass()
	p.add(ev)
	evs, err := e.fanOut(ctx, p)
	if err != nil {
		return err
	}
	if _, err := e.as.CommitAlerts(ctx, store.AlertBatch{Events: evs}); err != nil {
		return err
	}
	e.Wake()
	return nil
}

// FileWebhooks are the configuration file's webhooks (read-only in the UI).
func (e *Engine) FileWebhooks() []WebhookConfig { return e.cfg.Webhooks }

// EmailEnabled reports whether a mail server is configured.
func (e *Engine) EmailEnabled() bool { return e.cfg.SMTP != nil }
