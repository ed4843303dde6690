package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// ErrNoSMTP: the hub has no mail server configured.
var ErrNoSMTP = errors.New("aucun serveur de messagerie configuré ([smtp] dans le fichier de configuration)")

// errPermanent marks a refusal that retrying cannot change (an address
// the mail server refuses for good, a webhook answering 410 Gone).
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// backoff is the wait after the n-th failed attempt: 30 s doubling, at
// most an hour; the delivery expires after Config.Expiry (3 days).
func backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// batchSize bounds the deliveries read at once.
const batchSize = 256

func (e *Engine) deliverLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastExpire time.Time
	for {
		now := e.cfg.Now()
		if now.Sub(lastExpire) >= time.Minute {
			if n, err := e.as.ExpireDeliveries(ctx, now); err != nil {
				e.log.Error("alertes : expiration", "err", err)
			} else if n > 0 {
				e.log.Warn("alertes expirées sans accusé de réception", "nombre", n)
			}
			lastExpire = now
		}
		busy, err := e.DeliverOnce(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.Error("alertes : envoi", "err", err)
		}
		if busy {
			if ctx.Err() != nil {
				return
			}
			continue // more are due: no pause
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.wake:
		}
	}
}

// DeliverOnce composes the digests due, sends up to batchSize due
// deliveries (Workers at once) and records the outcomes in one
// transaction. busy reports that a full batch was due (more may be).
func (e *Engine) DeliverOnce(ctx context.Context) (busy bool, err error) {
	now := e.cfg.Now()
	if _, err := e.as.ComposeDigests(ctx, now, e.cfg.Expiry, newMsgID); err != nil {
		return false, fmt.Errorf("récapitulatifs : %w", err)
	}
	due, err := e.as.DueDeliveries(ctx, now, batchSize)
	if err != nil {
		return false, err
	}
	if len(due) == 0 {
		return false, nil
	}
	results := make([]store.DeliveryResult, len(due))
	hooks, err := e.webhooks(ctx) // once per batch, not per delivery
	if err != nil {
		return false, err
	}
	events := &eventCache{e: e, m: map[int64]store.AlertEvent{}, hooks: hooks}
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range min(e.cfg.Workers, len(due)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = e.deliver(ctx, due[i], events)
			}
		}()
	}
	for i := range due {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	// Recorded even if ctx ended: what was sent must not be sent again
	// needlessly (a hub killed here sends it again: at least once).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := e.as.RecordDeliveries(rctx, results); err != nil {
		return false, err
	}
	return len(due) == batchSize, nil
}

// deliver makes one attempt.
func (e *Engine) deliver(ctx context.Context, d store.Delivery, events *eventCache) store.DeliveryResult {
	res := store.DeliveryResult{ID: d.ID, Attempt: d.Attempts + 1}
	m, err := e.message(ctx, d, events)
	if err == nil {
		switch d.Channel {
		case ChannelEmail:
			if e.cfg.SMTP == nil {
				err = errPermanent{ErrNoSMTP}
			} else {
				err = e.cfg.SMTP.send(ctx, d, m, e.cfg.Now())
			}
		case ChannelWebhook:
			if h := events.hook(d.Target); h == nil {
				err = errPermanent{errors.New("webhook supprimé")}
			} else {
				err = e.postWebhook(ctx, h, d, m)
			}
		default:
			err = errPermanent{fmt.Errorf("canal inconnu %q", d.Channel)}
		}
	}
	res.At = e.cfg.Now()
	var perm errPermanent
	switch {
	case err == nil:
		res.OK, res.Final, res.Detail = true, store.DeliverySent, "acquitté"
		if m.ack != "" {
			res.Detail = "acquitté : " + m.ack
		}
	case errors.As(err, &perm):
		res.Final, res.Detail = store.DeliveryFailed, "refusé définitivement : "+err.Error()
	default:
		res.NextAt = res.At.Add(backoff(res.Attempt))
		res.Detail = "échec, nouvel essai vers " + res.NextAt.In(e.cfg.Location).Format("15:04:05") + " : " + err.Error()
		if !res.NextAt.Before(d.ExpiresAt) {
			res.Final, res.Detail = store.DeliveryExpired, "expiré après "+fmt.Sprint(res.Attempt)+" essais : "+err.Error()
		}
	}
	return res
}

// eventCache reads each event once per batch (a burst sends the same
// event to many).
type eventCache struct {
	e     *Engine
	mu    sync.Mutex
	m     map[int64]store.AlertEvent
	hooks []hook
}

func (c *eventCache) hook(target string) *hook {
	for i := range c.hooks {
		if c.hooks[i].Target == target {
			return &c.hooks[i]
		}
	}
	return nil
}

func (c *eventCache) get(ctx context.Context, id int64) (store.AlertEvent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev, ok := c.m[id]; ok {
		return ev, nil
	}
	ev, err := c.e.as.AlertEvent(ctx, id)
	if err == nil {
		c.m[id] = ev
	}
	return ev, err
}

// message renders a delivery: its event, or the events of its digest.
func (e *Engine) message(ctx context.Context, d store.Delivery, events *eventCache) (*message, error) {
	if d.EventID != 0 {
		ev, err := events.get(ctx, d.EventID)
		if err != nil {
			return nil, err
		}
		return e.render(ev)
	}
	evs, err := e.as.DigestEvents(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return e.renderDigest(evs, d.CreatedAt)
}

// Trouble sends a hub-trouble alert directly, outside the outbox (the
// database may be what fails): to the administrators known at the last
// detection and to the webhooks taking hub-trouble, at most once a day
// per key ("storage", "certificate").
func (e *Engine) Trouble(ctx context.Context, key, text string) {
	e.troubleMu.Lock()
	if t, ok := e.troubleSent[key]; ok && e.cfg.Now().Sub(t) < 24*time.Hour {
		e.troubleMu.Unlock()
		return
	}
	e.troubleSent[key] = e.cfg.Now()
	admins := append([]string(nil), e.admins...)
	e.troubleMu.Unlock()
	now := e.cfg.Now()
	ev := store.AlertEvent{Kind: string(HubTrouble), At: now}
	d := &Data{Message: text, URL: e.link("/")}
	m, err := e.renderData(ev, d)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if e.cfg.SMTP != nil {
		for _, a := range admins {
			dv := store.Delivery{MsgID: newMsgID(), Channel: ChannelEmail, Address: a}
			if err := e.cfg.SMTP.send(ctx, dv, m, now); err != nil {
				e.log.Error("alertes : problème du hub non envoyé", "à", a, "err", err)
			}
		}
	}
	// Webhooks from the file only: those in the database may be out of reach.
	for i, w := range e.cfg.Webhooks {
		if !containsString(w.Events, string(HubTrouble)) {
			continue
		}
		h := &hook{Target: fmt.Sprint("file:", i+1), URL: w.URL, Secret: w.Secret, Events: w.Events}
		if err := e.postWebhook(ctx, h, store.Delivery{MsgID: newMsgID(), Address: w.URL}, m); err != nil {
			e.log.Error("alertes : problème du hub non envoyé", "webhook", w.URL, "err", err)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
