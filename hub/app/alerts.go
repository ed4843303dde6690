package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Alerts: each adviser's subscription, the webhooks, the test alert and
// the delivery log. The engine (hub/alert) detects and delivers; this is
// what the faces may change, with its rules and its audit.

// Alerter is the alert engine as the service uses it (*alert.Engine).
type Alerter interface {
	SendTest(ctx context.Context, u store.User) error
	SendTestWebhook(ctx context.Context, target, by string) error
	FileWebhooks() []alert.WebhookConfig
	EmailEnabled() bool
}

// ErrNoAlerts: the hub runs without the alert engine (its store keeps no
// alerts, or the face was started without it).
var ErrNoAlerts = errors.New("alertes indisponibles sur ce hub")

func (a *App) alerts() (store.AlertStore, error) {
	as := store.Alerts(a.cfg.Store)
	if as == nil {
		return nil, ErrNoAlerts
	}
	return as, nil
}

// EmailEnabled reports whether alerts can be e-mailed ([smtp] configured).
func (a *App) EmailEnabled() bool { return a.cfg.Alerts != nil && a.cfg.Alerts.EmailEnabled() }

// Subscription returns u's subscription (the zero one, with no event,
// when u never chose).
func (a *App) Subscription(ctx context.Context, u store.User) (store.Subscription, error) {
	as, err := a.alerts()
	if err != nil {
		return store.Subscription{}, err
	}
	subs, err := as.Subscriptions(ctx)
	if err != nil {
		return store.Subscription{}, err
	}
	for _, s := range subs {
		if s.UserID == u.ID {
			return s, nil
		}
	}
	return store.Subscription{UserID: u.ID, Mode: alert.ModeNow}, nil
}

// SaveSubscription checks and saves u's choice: known events an adviser
// may choose, a mode, known sectors, existing entities. No event at all
// removes the subscription.
func (a *App) SaveSubscription(ctx context.Context, u store.User, sub store.Subscription) error {
	as, err := a.alerts()
	if err != nil {
		return err
	}
	sub.UserID, sub.UpdatedAt = u.ID, a.cfg.Now()
	if sub.Mode != alert.ModeNow && sub.Mode != alert.ModeDigest {
		return fmt.Errorf("%w : mode %q (now ou digest)", ErrBadInput, sub.Mode)
	}
	for _, e := range sub.Events {
		if !slices.Contains(alert.Subscribable, alert.Kind(e)) {
			return fmt.Errorf("%w : événement %q", ErrBadInput, e)
		}
	}
	for _, s := range sub.Sectors {
		if _, err := protocol.ParseSector(s); err != nil {
			return fmt.Errorf("%w : %v", ErrBadInput, err)
		}
	}
	for _, id := range sub.Entities {
		if _, err := a.cfg.Store.Entity(ctx, id); err != nil {
			return fmt.Errorf("%w : entité %d inconnue", ErrBadInput, id)
		}
	}
	sub.Events = slices.Compact(slices.Sorted(slices.Values(sub.Events))) // a copy: the caller's list stays as it was
	if len(sub.Events) == 0 {
		err = as.DeleteSubscription(ctx, u.ID)
	} else {
		err = as.SetSubscription(ctx, sub)
	}
	if err != nil {
		return err
	}
	scope := "toute la région"
	if !sub.All {
		scope = fmt.Sprintf("secteurs %v, %d entité(s)", sub.Sectors, len(sub.Entities))
	}
	a.Record(ctx, u.Email, "alert_subscription", u.Email, fmt.Sprintf("%s ; %s ; %s", strings.Join(sub.Events, " "), sub.Mode, scope))
	return nil
}

// TestAlert queues a test alert to u.
func (a *App) TestAlert(ctx context.Context, u store.User) error {
	if a.cfg.Alerts == nil {
		return ErrNoAlerts
	}
	if err := a.cfg.Alerts.SendTest(ctx, u); err != nil {
		return err
	}
	a.Record(ctx, u.Email, "alert_test", u.Email, "")
	return nil
}

// WebhookView is a webhook as the admin page lists it.
type WebhookView struct {
	Target   string // "file:N" or "webhook:ID"
	ID       int64  // 0 for a webhook of the configuration file
	URL      string
	Events   []string
	ReadOnly bool // from the configuration file
	By       string
}

// Webhooks lists the configuration file's webhooks (read-only), then
// those managed in the UI. Secrets are never shown again.
func (a *App) Webhooks(ctx context.Context) ([]WebhookView, error) {
	as, err := a.alerts()
	if err != nil {
		return nil, err
	}
	var out []WebhookView
	if a.cfg.Alerts != nil {
		for i, w := range a.cfg.Alerts.FileWebhooks() {
			out = append(out, WebhookView{Target: "file:" + strconv.Itoa(i+1), URL: w.URL, Events: w.Events, ReadOnly: true})
		}
	}
	db, err := as.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range db {
		out = append(out, WebhookView{Target: "webhook:" + strconv.FormatInt(w.ID, 10), ID: w.ID, URL: w.URL, Events: w.Events, By: w.CreatedBy})
	}
	return out, nil
}

// AddWebhook adds a webhook and returns its new secret (shown once).
func (a *App) AddWebhook(ctx context.Context, by, url string, events []string) (string, error) {
	as, err := a.alerts()
	if err != nil {
		return "", err
	}
	if err := alert.CheckWebhookURL(url); err != nil {
		return "", fmt.Errorf("%w : %v", ErrBadInput, err)
	}
	if len(events) == 0 {
		return "", fmt.Errorf("%w : aucun événement choisi", ErrBadInput)
	}
	for _, e := range events {
		if _, err := alert.ParseKind(e); err != nil {
			return "", fmt.Errorf("%w : %v", ErrBadInput, err)
		}
	}
	secret := alert.NewSecret()
	w, err := as.AddWebhook(ctx, store.Webhook{URL: url, Secret: secret, Events: events, CreatedBy: by, CreatedAt: a.cfg.Now()})
	if err != nil {
		return "", err
	}
	a.Record(ctx, by, "webhook_add", url, fmt.Sprintf("n° %d ; %s", w.ID, strings.Join(events, " ")))
	return secret, nil
}

// DeleteWebhook removes a webhook managed in the UI.
func (a *App) DeleteWebhook(ctx context.Context, by string, id int64) error {
	as, err := a.alerts()
	if err != nil {
		return err
	}
	if err := as.DeleteWebhook(ctx, id); err != nil {
		return err
	}
	a.Record(ctx, by, "webhook_delete", strconv.FormatInt(id, 10), "")
	return nil
}

// TestWebhook queues a test event to one webhook.
func (a *App) TestWebhook(ctx context.Context, by, target string) error {
	if a.cfg.Alerts == nil {
		return ErrNoAlerts
	}
	if err := a.cfg.Alerts.SendTestWebhook(ctx, target, by); err != nil {
		return err
	}
	a.Record(ctx, by, "webhook_test", target, "")
	return nil
}

// Deliveries lists the newest deliveries (the admin's delivery log).
func (a *App) Deliveries(ctx context.Context, limit int) ([]store.Delivery, error) {
	as, err := a.alerts()
	if err != nil {
		return nil, err
	}
	return as.Deliveries(ctx, limit)
}

// DeliveryLog is one delivery, its event's type and every attempt.
func (a *App) DeliveryLog(ctx context.Context, id int64) (store.Delivery, string, []store.Attempt, error) {
	as, err := a.alerts()
	if err != nil {
		return store.Delivery{}, "", nil, err
	}
	d, log, err := as.DeliveryLog(ctx, id)
	if err != nil {
		return d, "", nil, err
	}
	kind := alert.DigestType
	if d.EventID != 0 {
		ev, err := as.AlertEvent(ctx, d.EventID)
		if err != nil {
			return d, "", nil, err
		}
		kind = ev.Kind
	}
	return d, kind, log, nil
}
