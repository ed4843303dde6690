package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// message is one delivery rendered: a mail (plain French text, short
// lines, readable on a phone) and a webhook body.
type message struct {
	Subject string
	Text    string
	JSON    []byte
	ack     string // what the receiver answered, for the delivery log
}

var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

func (e *Engine) render(ev store.AlertEvent) (*message, error) {
	d, err := decodeData(ev.Data)
	if err != nil {
		return nil, err
	}
	return e.renderData(ev, d)
}

func (e *Engine) renderData(ev store.AlertEvent, d *Data) (*message, error) {
	body, err := json.Marshal(Body{Type: ev.Kind, Timestamp: ev.At.UTC(), EventID: ev.ID, Quiet: ev.Quiet, Data: d})
	if err != nil {
		return nil, err
	}
	subject, lines := describe(Kind(ev.Kind), ev.Quiet, d)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\n")
	}
	if d.URL != "" {
		fmt.Fprintf(&b, "\nVoir : %s\n", d.URL)
	}
	fmt.Fprintf(&b, "\n-- \nVigie, %s.\nRégler vos alertes : %s\n", ev.At.In(paris).Format("02/01/2006 15:04"), e.link("/alerts"))
	return &message{Subject: "[Vigie] " + subject, Text: b.String(), JSON: body}, nil
}

// digestLines bounds the events a digest lists (readable on a phone);
// the rest are counted.
const digestLines = 50

// renderDigest is the daily digest, or the one gathering alerts beyond
// the hourly cap: one line or two per event, re-baselines last.
func (e *Engine) renderDigest(evs []store.AlertEvent, at time.Time) (*message, error) {
	var b strings.Builder
	var quiet []string
	n := 0
	bodies := make([]Body, 0, len(evs))
	for _, ev := range evs {
		d, err := decodeData(ev.Data)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, Body{Type: ev.Kind, Timestamp: ev.At.UTC(), EventID: ev.ID, Quiet: ev.Quiet, Data: d})
		subject, _ := describe(Kind(ev.Kind), ev.Quiet, d)
		line := "- " + ev.At.In(paris).Format("02/01 15:04") + " " + subject
		if d.URL != "" {
			line += "\n  " + d.URL
		}
		if ev.Quiet {
			quiet = append(quiet, line)
			continue
		}
		n++
		if n <= digestLines {
			b.WriteString(line + "\n")
		}
	}
	text := &strings.Builder{}
	fmt.Fprintf(text, "Récapitulatif Vigie : %d alerte(s).\n\n", n)
	text.WriteString(b.String())
	if n > digestLines {
		fmt.Fprintf(text, "… et %d autres : voir %s\n", n-digestLines, e.link("/"))
	}
	if len(quiet) > 0 {
		fmt.Fprintf(text, "\nRéférences recalées sans alerte (nouvelle version de l'agent ou d'une vérification) : %d\n", len(quiet))
		if len(quiet) > digestLines {
			quiet = append(quiet[:digestLines], fmt.Sprintf("… et %d autres", len(quiet)-digestLines))
		}
		text.WriteString(strings.Join(quiet, "\n") + "\n")
	}
	fmt.Fprintf(text, "\n-- \nVigie, %s.\nRégler vos alertes : %s\n", at.In(paris).Format("02/01/2006 15:04"), e.link("/alerts"))
	body, err := json.Marshal(Body{Type: DigestType, Timestamp: at.UTC(), Events: bodies})
	if err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("[Vigie] Récapitulatif : %d alerte(s)", n)
	if n == 0 {
		subject = fmt.Sprintf("[Vigie] Récapitulatif : %d référence(s) recalée(s)", len(quiet))
	}
	return &message{Subject: subject, Text: text.String(), JSON: body}, nil
}

// describe is an event's subject line and its sentences, in French.
func describe(k Kind, quiet bool, d *Data) (string, []string) {
	host, ent := "", ""
	if d.Host != nil {
		host = d.Host.Hostname
		if host == "" {
			host = d.Host.AgentID[:min(8, len(d.Host.AgentID))]
		}
	}
	if d.Entity != nil {
		ent = d.Entity.Name
	}
	where := host
	switch {
	case host != "" && ent != "":
		where = host + " (" + ent + ")"
	case host == "":
		where = ent
	}
	checks := strings.Join(d.Checks, ", ")
	if d.Level == nil { // stored by another version, or damaged: say so rather than fail
		d.Level = &LevelChange{FromName: "?", ToName: "?"}
	}
	if quiet {
		why := "nouvelle version de l'agent"
		if d.Rebaseline == ReasonCheckVersion {
			why = "nouvelle version d'une vérification"
		}
		if d.AgentVersion != nil {
			why += fmt.Sprintf(" (%s → %s)", d.AgentVersion.From, d.AgentVersion.To)
		}
		switch k {
		case Regression:
			return fmt.Sprintf("%s : niveau %s → %s, dû à une %s", where, d.Level.FromName, d.Level.ToName, why), nil
		default:
			return fmt.Sprintf("%s : %s en échec, dû à une %s", where, checks, why), nil
		}
	}
	switch k {
	case Regression:
		return fmt.Sprintf("Baisse de niveau : %s", where), []string{
			fmt.Sprintf("Le poste %s de %s est passé du niveau %s au niveau %s.", host, ent, d.Level.FromName, d.Level.ToName),
			"Ouvrez sa page pour voir les vérifications en cause.",
		}
	case Critical:
		return fmt.Sprintf("Vérification critique en échec : %s", where), []string{
			fmt.Sprintf("Sur le poste %s de %s, nouvel échec de vérification critique :", host, ent),
			checks,
		}
	case Fixed:
		if d.Fixes == Exposure && d.Advisory != nil {
			return fmt.Sprintf("Corrigé : %s ne concerne plus %s", d.Advisory.ID, ent), []string{
				fmt.Sprintf("Plus aucun poste de %s n'est exposé à l'avis %s.", ent, d.Advisory.ID),
			}
		}
		return fmt.Sprintf("Corrigé : %s", where), []string{
			fmt.Sprintf("Sur le poste %s de %s, ces vérifications critiques réussissent à nouveau :", host, ent),
			checks,
		}
	case Exposure:
		adv := d.Advisory
		if adv == nil {
			adv = &AdvisoryRef{}
		}
		lines := []string{fmt.Sprintf("%s est exposée à l'avis %s :", ent, adv.ID), adv.Title, adv.URL, "", "Postes concernés :"}
		for _, h := range d.Exposed {
			lines = append(lines, fmt.Sprintf("- %s : %s %s", h.Hostname, h.Product, h.Version))
		}
		return fmt.Sprintf("Exposition à l'avis %s : %s", adv.ID, ent), lines
	case Silent:
		last := "jamais"
		if d.LastSeen != nil && !d.LastSeen.IsZero() {
			last = "le " + d.LastSeen.In(paris).Format("02/01/2006")
		}
		return fmt.Sprintf("Entité silencieuse : %s", ent), []string{
			fmt.Sprintf("%s n'a envoyé aucun bilan depuis plus de %d jours (dernier : %s).", ent, d.SilentDays, last),
			"Les agents sont peut-être arrêtés ou ne joignent plus le hub.",
		}
	case AgentEnrolled:
		return fmt.Sprintf("Nouvel agent : %s", where), []string{fmt.Sprintf("Un agent a été enrôlé sur le poste %s pour %s.", host, ent)}
	case AgentRevoked:
		return fmt.Sprintf("Agent révoqué : %s", where), []string{fmt.Sprintf("L'agent du poste %s de %s a été révoqué : ses bilans sont refusés.", host, ent)}
	case Incident:
		return fmt.Sprintf("Incident déclaré : %s", where), []string{d.Message}
	case Test:
		return "Alerte de test", []string{d.Message}
	case HubTrouble:
		return "Problème du hub", []string{d.Message}
	}
	return k.Name("fr"), []string{d.Message}
}
