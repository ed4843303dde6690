package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// The advisers' alert subscriptions and the administrators' webhooks and
// delivery log (hub/app's rules, hub/alert's engine).

func init() {
	for k, v := range map[string][2]string{
		"alerts":        {"Mes alertes", "My alerts"},
		"alertsadmin":   {"Envois d'alertes", "Alert deliveries"},
		"alertevents":   {"Événements à recevoir", "Events to receive"},
		"alertscope":    {"Entités suivies", "Entities followed"},
		"wholeregion":   {"Toute la région", "The whole region"},
		"sectors":       {"Secteurs", "Sectors"},
		"entities":      {"Entités", "Entities"},
		"alertmode":     {"Envoi", "Sending"},
		"modenow":       {"Immédiat (au plus %d courriels par heure, le reste en récapitulatif)", "Immediate (at most %d e-mails an hour, the rest in a digest)"},
		"modedigest":    {"Récapitulatif quotidien", "Daily digest"},
		"save":          {"Enregistrer", "Save"},
		"saved":         {"Choix enregistrés.", "Choices saved."},
		"testalert":     {"M'envoyer une alerte de test", "Send me a test alert"},
		"testsent":      {"Alerte de test mise en file : voyez sa remise dans le journal des envois.", "Test alert queued: see its delivery in the log."},
		"nosmtp":        {"Aucun serveur de messagerie n'est configuré ([smtp]) : les alertes par courriel ne partent pas.", "No mail server is configured ([smtp]): e-mail alerts are not sent."},
		"webhooks":      {"Webhooks", "Webhooks"},
		"fromfile":      {"fichier de configuration (lecture seule)", "configuration file (read-only)"},
		"addwebhook":    {"Ajouter un webhook", "Add a webhook"},
		"newsecret":     {"Secret du webhook (affiché une seule fois) : %s", "Webhook secret (shown once): %s"},
		"delete":        {"Supprimer", "Delete"},
		"test":          {"Tester", "Test"},
		"deliveries":    {"Derniers envois", "Latest deliveries"},
		"deliverylog":   {"Journal de l'envoi n° %d", "Log of delivery no. %d"},
		"event":         {"Événement", "Event"},
		"recipient":     {"Destinataire", "Recipient"},
		"attempts":      {"Essais", "Attempts"},
		"created":       {"Créé", "Created"},
		"st_pending":    {"en attente", "pending"},
		"st_held":       {"retenu pour récapitulatif", "held for a digest"},
		"st_digested":   {"dans un récapitulatif", "in a digest"},
		"st_sent":       {"remis", "delivered"},
		"st_failed":     {"refusé", "refused"},
		"st_expired":    {"expiré", "expired"},
		"ok":            {"réussi", "succeeded"},
		"failedattempt": {"échoué", "failed"},
		"url":           {"Adresse (https://)", "URL (https://)"},
	} {
		if _, exists := words[k]; !exists {
			words[k] = v
		}
	}
}

type alertsData struct {
	Sub      store.Subscription
	Kinds    []alert.Kind
	Sectors  []protocol.Sector
	Entities []store.Entity
	Cap      int
	Email    bool
	Msg, Err string
}

func (d alertsData) flash() (string, string) { return d.Msg, d.Err }

func (d alertsData) HasEvent(k alert.Kind) bool { return contains(d.Sub.Events, string(k)) }
func (d alertsData) HasSector(s protocol.Sector) bool {
	return contains(d.Sub.Sectors, string(s))
}
func (d alertsData) HasEntity(id int64) bool {
	for _, x := range d.Sub.Entities {
		if x == id {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) alertsPage(q *req, d alertsData, status int) {
	ctx := q.R.Context()
	if d.Sub.UserID == 0 {
		sub, err := s.app.Subscription(ctx, *q.User)
		if err != nil {
			s.fail(q, err)
			return
		}
		d.Sub = sub
	}
	ents, err := s.cfg.Store.Entities(ctx)
	if err != nil {
		s.fail(q, err)
		return
	}
	d.Kinds, d.Sectors, d.Entities, d.Cap, d.Email = alert.Subscribable, protocol.Sectors, ents, s.cfg.AlertsPerHour, s.app.EmailEnabled()
	if d.Cap <= 0 {
		d.Cap = 20
	}
	s.render(q, status, "alerts", q.L.T("alerts"), d)
}

func (s *Server) alerts(q *req) { s.alertsPage(q, alertsData{}, http.StatusOK) }

func (s *Server) alertsSave(q *req) {
	f := q.R.PostForm
	sub := store.Subscription{Mode: f.Get("mode"), Events: f["event"], All: f.Get("all") == "1", Sectors: f["sector"]}
	for _, v := range f["entity"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.alertsPage(q, alertsData{Err: q.L.F("badinput", q.L.T("entities"))}, http.StatusBadRequest)
			return
		}
		sub.Entities = append(sub.Entities, id)
	}
	if err := s.app.SaveSubscription(q.R.Context(), *q.User, sub); err != nil {
		if errors.Is(err, app.ErrBadInput) {
			s.alertsPage(q, alertsData{Err: err.Error()}, http.StatusBadRequest)
			return
		}
		s.fail(q, err)
		return
	}
	s.alertsPage(q, alertsData{Msg: q.L.T("saved")}, http.StatusOK)
}

func (s *Server) alertsTest(q *req) {
	if err := s.app.TestAlert(q.R.Context(), *q.User); err != nil {
		if errors.Is(err, alert.ErrNoSMTP) || errors.Is(err, app.ErrNoAlerts) {
			s.alertsPage(q, alertsData{Err: q.L.T("nosmtp")}, http.StatusConflict)
			return
		}
		s.fail(q, err)
		return
	}
	s.alertsPage(q, alertsData{Msg: q.L.T("testsent")}, http.StatusOK)
}

type deliveriesData struct {
	Hooks      []app.WebhookView
	Kinds      []alert.Kind
	Deliveries []store.Delivery
	Log        []store.Attempt
	Shown      *store.Delivery
	ShownKind  string
	Secret     string
	Msg, Err   string
}

func (d deliveriesData) flash() (string, string) { return d.Msg, d.Err }

func (s *Server) deliveriesPage(q *req, d deliveriesData, status int) {
	ctx := q.R.Context()
	var err error
	if d.Hooks, err = s.app.Webhooks(ctx); err != nil {
		s.fail(q, err)
		return
	}
	if d.Deliveries, err = s.app.Deliveries(ctx, 200); err != nil {
		s.fail(q, err)
		return
	}
	if v := q.R.URL.Query().Get("id"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		dv, kind, log, err := s.app.DeliveryLog(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			s.message(q, http.StatusNotFound, q.L.T("notfound"))
			return
		}
		if err != nil {
			s.fail(q, err)
			return
		}
		d.Shown, d.ShownKind, d.Log = &dv, kind, log
	}
	d.Kinds = alert.Kinds
	s.render(q, status, "deliveries", q.L.T("alertsadmin"), d)
}

func (s *Server) deliveries(q *req) { s.deliveriesPage(q, deliveriesData{}, http.StatusOK) }

func (s *Server) webhookAdd(q *req) {
	f := q.R.PostForm
	secret, err := s.app.AddWebhook(q.R.Context(), q.User.Email, strings.TrimSpace(f.Get("url")), f["event"])
	if errors.Is(err, app.ErrBadInput) {
		s.deliveriesPage(q, deliveriesData{Err: err.Error()}, http.StatusBadRequest)
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	s.deliveriesPage(q, deliveriesData{Secret: secret}, http.StatusOK)
}

func (s *Server) webhookDelete(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err == nil {
		err = s.app.DeleteWebhook(q.R.Context(), q.User.Email, id)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(q, err)
		return
	}
	http.Redirect(q.W, q.R, "/admin/alerts", http.StatusSeeOther)
}

func (s *Server) webhookTest(q *req) {
	if err := s.app.TestWebhook(q.R.Context(), q.User.Email, q.R.PostForm.Get("target")); err != nil {
		s.deliveriesPage(q, deliveriesData{Err: err.Error()}, http.StatusBadRequest)
		return
	}
	s.deliveriesPage(q, deliveriesData{Msg: q.L.T("testsent")}, http.StatusOK)
}

// Event names an alert event (or a digest) in the page's language: the
// identifier stays beside it, as configuration and webhooks use it.
func (l tr) Event(k any) string { return alert.Kind(fmt.Sprint(k)).Name(l.Lang) }
