package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// The regulatory clock of an incident, counted from when the entity
// became aware of it (aware_at; the declaration when it was not given).
//
// NIS2 (directive 2022/2555, art. 23(4)): an early warning to the CSIRT
// within 24 hours, an incident notification within 72 hours, a final
// report within one month of the notification. Which sectors count as
// NIS2 entities (NIS2Sector, docs/incidents.md): hospitals (health, Annex
// I: essential entities) and ports (transport, Annex I: port managing
// bodies, essential), and communes: the French transposition brings local
// authorities in as public-administration entities (communes and their
// groupings above 30,000 inhabitants as important entities); the hub does
// not know populations, and a deadline shown to a small commune costs a
// sentence while a deadline missed by a large one costs a sanction, so
// every commune gets the clock, with the caveat on the page. "other" does
// not.
//
// GDPR (art. 33): a personal-data breach is notified to the CNIL within 72
// hours, whatever the sector; the answer the entity gave or the adviser's
// toggle says whether personal data is concerned.

// Deadline kinds.
const (
	DeadlineEarlyWarning = "nis2-early-warning"
	DeadlineNotification = "nis2-notification"
	DeadlineFinalReport  = "nis2-final-report"
	DeadlineCNIL         = "gdpr-cnil"
)

// Deadline is one regulatory deadline of an incident.
type Deadline struct {
	Kind      string
	Due       time.Time
	Remaining time.Duration // negative once past
	// Basis is the legal reference, Draft the pre-filled text to send
	// (never sent by the hub).
	Basis string
	Draft string
}

// Overdue reports whether the deadline has passed.
func (d Deadline) Overdue() bool { return d.Remaining < 0 }

// Clock is an incident's deadlines.
type Clock struct {
	Start     time.Time // aware_at, or the declaration
	Estimated bool      // aware_at was not given: counted from the declaration
	NIS2      bool
	GDPR      bool
	Deadlines []Deadline
}

// NIS2Sector reports whether entities of a sector are treated as NIS2
// entities (see above).
func NIS2Sector(sector string) bool {
	switch protocol.Sector(sector) {
	case protocol.SectorHospital, protocol.SectorPort, protocol.SectorCommune:
		return true
	}
	return false
}

// IncidentClock computes an incident's deadlines at now. The final report
// is due one month after the notification: after the one recorded
// (NotifiedAt), else after the notification's deadline (the latest it can
// be).
func IncidentClock(in store.Incident, now time.Time) Clock {
	c := Clock{Start: in.AwareAt, NIS2: NIS2Sector(in.Sector), GDPR: in.PersonalData}
	if c.Start.IsZero() {
		c.Start, c.Estimated = in.DeclaredAt, true
	}
	add := func(kind string, due time.Time, basis string) {
		c.Deadlines = append(c.Deadlines, Deadline{Kind: kind, Due: due, Remaining: due.Sub(now), Basis: basis})
	}
	if c.NIS2 {
		add(DeadlineEarlyWarning, c.Start.Add(24*time.Hour), "NIS2, art. 23(4)(a)")
		notif := c.Start.Add(72 * time.Hour)
		add(DeadlineNotification, notif, "NIS2, art. 23(4)(b)")
		if !in.NotifiedAt.IsZero() {
			notif = in.NotifiedAt
		}
		add(DeadlineFinalReport, notif.AddDate(0, 1, 0), "NIS2, art. 23(4)(d)")
	}
	if c.GDPR {
		add(DeadlineCNIL, c.Start.Add(72*time.Hour), "RGPD, art. 33")
	}
	return c
}

var kindFR = map[string]string{
	protocol.IncidentRansomware: "rançongiciel", protocol.IncidentCompromise: "compromission d'un poste ou d'un serveur",
	protocol.IncidentMailbox: "compromission d'une messagerie", protocol.IncidentDefacement: "défiguration d'un site",
	protocol.IncidentFraud: "fraude (faux ordre de virement, usurpation)", protocol.IncidentOther: "autre",
}

// KindName is an incident kind in French.
func KindName(kind string) string {
	if n, ok := kindFR[kind]; ok {
		return n
	}
	return kind
}

// fillDrafts writes each deadline's draft from the incident, the answers
// and the bundle (the facts only: what the entity said and what the
// collection found; the adviser completes and sends it).
func fillDrafts(v *IncidentView) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.UTC
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "non renseigné"
		}
		return t.In(paris).Format("02/01/2006 à 15:04")
	}
	a := v.Manifest.Answers
	or := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "non renseigné"
		}
		return protocol.Printable(s)
	}
	var facts strings.Builder
	fmt.Fprintf(&facts, "Entité : %s (%s)\n", v.Entity, protocol.Sector(v.Sector).Name("fr"))
	fmt.Fprintf(&facts, "Type d'incident : %s\n", KindName(v.Kind))
	fmt.Fprintf(&facts, "Prise de connaissance : %s", when(v.Clock.Start))
	if v.Clock.Estimated {
		facts.WriteString(" (non indiquée : date de la déclaration)")
	}
	fmt.Fprintf(&facts, "\nDéclaré depuis le poste %s le %s\n", v.Hostname, when(v.DeclaredAt))
	fmt.Fprintf(&facts, "Résumé : %s\nCe qui est touché : %s\nCe qui a été constaté : %s\nContact : %s\n", or(a.Summary), or(a.Affected), or(a.Seen), or(a.Contact))
	if c := v.Contents; c != nil {
		np := 0
		for _, p := range c.Persistence {
			np += b2n(p.Recent)
		}
		fmt.Fprintf(&facts, "Constats collectés sur le poste : %d processus, %d connexions réseau, %d mécanismes de démarrage automatique dont %d créés ou modifiés dans les 30 derniers jours, %d événements de journal.\n",
			len(c.Processes), len(c.Connections), len(c.Persistence), np, len(c.Events))
	}
	body := facts.String()
	for i := range v.Clock.Deadlines {
		d := &v.Clock.Deadlines[i]
		var head string
		switch d.Kind {
		case DeadlineEarlyWarning:
			head = "Objet : alerte précoce d'incident important (NIS2, art. 23(4)(a))\n\nL'entité signale un incident important. Soupçon d'acte illicite ou malveillant : à préciser. Effet transfrontière possible : à préciser.\n\n"
		case DeadlineNotification:
			head = "Objet : notification d'incident (NIS2, art. 23(4)(b))\n\nMise à jour de l'alerte précoce : évaluation initiale de l'incident, de sa gravité et de son impact ; indicateurs de compromission disponibles.\n\n"
		case DeadlineFinalReport:
			head = "Objet : rapport final d'incident (NIS2, art. 23(4)(d))\n\nDescription détaillée de l'incident, de sa gravité et de son impact ; type de menace ou cause profonde probable ; mesures d'atténuation appliquées et en cours ; effet transfrontière éventuel.\n\n"
		case DeadlineCNIL:
			head = "Objet : notification de violation de données à caractère personnel (RGPD, art. 33)\n\nNature de la violation, catégories et nombre approximatif de personnes et d'enregistrements concernés : à préciser. Conséquences probables et mesures prises ou envisagées : à préciser. Délégué à la protection des données : à préciser.\n\n"
		}
		d.Draft = head + body
	}
}
