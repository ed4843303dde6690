package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// The follow-up of an incident (status, adviser in charge, notes,
// personal-data breach, notification sent) and its lifecycle (deletion,
// retention). Every change is a note on the incident and a line of the
// audit log.

// maxNote bounds an adviser's note.
const maxNote = 4000

// List lists the incidents (newest first), open ones only when openOnly.
func (x *Incidents) List(ctx context.Context, openOnly bool) ([]store.Incident, error) {
	return x.cfg.Store.ListIncidents(ctx, store.IncidentFilter{OpenOnly: openOnly})
}

// IncidentChange is one change of an incident's follow-up made by an adviser;
// nil fields are left as they are.
type IncidentChange struct {
	Status       *string
	Adviser      *string // "" to release
	PersonalData *bool
	Notified     *bool // true: the notification was sent now; false: not sent
	Note         string
}

// Update applies an adviser's change, records it as a note and in the
// audit log. ErrBadInput for an unknown status, adviser or a note too long.
func (x *Incidents) Update(ctx context.Context, id int64, actor string, c IncidentChange) error {
	in, err := x.cfg.Store.Incident(ctx, id)
	if err != nil {
		return err
	}
	var u store.IncidentUpdate
	var said []string
	if c.Status != nil && *c.Status != in.Status {
		if !slices.Contains(store.IncidentStatuses, *c.Status) {
			return fmt.Errorf("%w : statut inconnu %q", ErrBadInput, *c.Status)
		}
		u.Status = c.Status
		said = append(said, "statut : "+StatusName(*c.Status))
	}
	if c.Adviser != nil && *c.Adviser != in.Adviser {
		if *c.Adviser != "" {
			usr, err := x.cfg.Store.UserByEmail(ctx, *c.Adviser)
			if err != nil || usr.Disabled {
				return fmt.Errorf("%w : aucun compte actif %q", ErrBadInput, *c.Adviser)
			}
		}
		u.Adviser = c.Adviser
		if *c.Adviser == "" {
			said = append(said, "plus de conseiller en charge")
		} else {
			said = append(said, "en charge : "+*c.Adviser)
		}
		if in.Status == store.IncidentOpen && *c.Adviser != "" && u.Status == nil {
			st := store.IncidentInProgress
			u.Status = &st
			said = append(said, "statut : "+StatusName(st))
		}
	}
	if c.PersonalData != nil && *c.PersonalData != in.PersonalData {
		u.PersonalData = c.PersonalData
		if *c.PersonalData {
			said = append(said, "violation de données personnelles : oui (CNIL sous 72 h)")
		} else {
			said = append(said, "violation de données personnelles : non")
		}
	}
	if c.Notified != nil && *c.Notified != !in.NotifiedAt.IsZero() {
		t := time.Time{}
		if *c.Notified {
			t = x.cfg.Now()
			said = append(said, "notification NIS2 envoyée")
		} else {
			said = append(said, "notification NIS2 : date effacée")
		}
		u.NotifiedAt = &t
	}
	note := strings.TrimSpace(c.Note)
	if len(note) > maxNote || (note != "" && !printableText(note)) {
		return fmt.Errorf("%w : note trop longue (%d caractères au plus) ou avec des caractères de contrôle", ErrBadInput, maxNote)
	}
	if len(said) == 0 && note == "" {
		return nil
	}
	if err := x.cfg.Store.UpdateIncident(ctx, id, u); err != nil {
		return err
	}
	text := strings.Join(said, " ; ")
	if note != "" {
		if text != "" {
			text += "\n"
		}
		text += note
	}
	if err := x.cfg.Store.AddIncidentNote(ctx, id, store.IncidentNote{At: x.cfg.Now(), Author: actor, Text: text}); err != nil {
		return err
	}
	detail := strings.Join(said, " ; ")
	if note != "" {
		detail = strings.TrimPrefix(detail+" ; note", " ; ")
	}
	x.app.Record(ctx, actor, "incident_update", fmt.Sprintf("incident %d", id), detail)
	return nil
}

// printableText is printable with line breaks allowed.
func printableText(s string) bool {
	return printable(strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(s))
}

// StatusName is a status in French.
func StatusName(s string) string {
	switch s {
	case store.IncidentOpen:
		return "ouvert"
	case store.IncidentInProgress:
		return "en cours"
	case store.IncidentClosed:
		return "clos"
	}
	return s
}

// Delete deletes an incident: its archive file, then its rows; audited
// with why (by an adviser, the command line, or retention).
func (x *Incidents) Delete(ctx context.Context, id int64, actor, why string) error {
	in, err := x.cfg.Store.Incident(ctx, id)
	if err != nil {
		return err
	}
	p := filepath.Join(x.cfg.Dir, filepath.Base(in.ArchiveFile))
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("suppression de l'archive %s : %w", p, err)
	}
	if err := x.cfg.Store.DeleteIncident(ctx, id); err != nil {
		return err
	}
	x.app.Record(ctx, actor, "incident_delete", fmt.Sprintf("incident %d", id),
		fmt.Sprintf("%s, %s, %s, reçu le %s : %s", in.Entity, in.Hostname, in.Kind, in.ReceivedAt.Format(time.DateOnly), why))
	return nil
}

// Purge deletes the incidents received more than days days ago, archives
// and rows, each audited; it returns how many.
func (x *Incidents) Purge(ctx context.Context, days int) (int, error) {
	if days <= 0 {
		return 0, fmt.Errorf("%w : durée de conservation de %d jours", ErrBadInput, days)
	}
	old, err := x.cfg.Store.ListIncidents(ctx, store.IncidentFilter{ReceivedBefore: x.cfg.Now().AddDate(0, 0, -days)})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range old {
		if err := x.Delete(ctx, in.ID, "hub", fmt.Sprintf("conservation de %d jours écoulée", days)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// RunRetention purges now, then every interval until ctx ends.
func (x *Incidents) RunRetention(ctx context.Context, days int, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := x.Purge(ctx, days)
		switch {
		case err != nil && ctx.Err() == nil:
			x.cfg.Logger.Error("incidents: retention", "err", err)
		case n > 0:
			x.cfg.Logger.Info("incidents: retention", "days", days, "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// IncidentSummary is one incident of the list page: with its first
// answers and its next deadline.
type IncidentSummary struct {
	store.Incident
	Answers protocol.IncidentAnswers
	Next    *Deadline // the nearest deadline not yet past, nil when none
	Overdue int       // deadlines already past
}

// Summaries lists the incidents (open ones only when openOnly) with their
// answers and clock, newest first.
func (x *Incidents) Summaries(ctx context.Context, openOnly bool) ([]IncidentSummary, error) {
	list, err := x.cfg.Store.ListIncidents(ctx, store.IncidentFilter{OpenOnly: openOnly})
	if err != nil {
		return nil, err
	}
	now := x.cfg.Now()
	out := make([]IncidentSummary, 0, len(list))
	for _, in := range list {
		s := IncidentSummary{Incident: in}
		if full, err := x.cfg.Store.Incident(ctx, in.ID); err == nil {
			if m, err := openStoredManifest(full.Manifest); err == nil {
				s.Answers = m.Answers
			}
		}
		for _, d := range IncidentClock(in, now).Deadlines {
			switch {
			case d.Overdue():
				s.Overdue++
			case s.Next == nil || d.Due.Before(s.Next.Due):
				d := d
				s.Next = &d
			}
		}
		out = append(out, s)
	}
	return out, nil
}
