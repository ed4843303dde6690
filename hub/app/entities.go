package app

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// EntityConflict is a token asked for an entity that exists under another
// spelling (case, spaces) or in another sector: the hub refuses rather than
// make a second entity or silently move the first to another sector, which
// would change the region's statistics without a trace. Changing a sector
// is SetSector's explicit, audited action.
type EntityConflict struct {
	Existing store.Entity
	Name     string // as asked
	Sector   string // as asked
	SizeBand string // as asked ("" when not)
}

func (e *EntityConflict) Error() string { return e.Message("fr") }

// Message says what conflicts and what to do, in lang.
func (e *EntityConflict) Message(lang string) string {
	old, asked := protocol.Sector(e.Existing.Sector).Name(lang), protocol.Sector(e.Sector).Name(lang)
	if e.Existing.Name != e.Name {
		if lang == "en" {
			return fmt.Sprintf("an entity named %q already exists: use exactly that name for one of its hosts, or a clearly different name for another entity", e.Existing.Name)
		}
		return fmt.Sprintf("une entité nommée « %s » existe déjà : reprenez exactement ce nom pour l'un de ses postes, ou un nom nettement différent pour une autre entité", e.Existing.Name)
	}
	if e.Existing.Sector == e.Sector {
		oldB, askedB := cohort.Band(e.Existing.SizeBand).Name(lang), cohort.Band(e.SizeBand).Name(lang)
		if lang == "en" {
			return fmt.Sprintf("entity %q already exists with size band %q, not %q: a token does not change an entity's size band; change it first on purpose (command vigie-hub entity set-size-band, or the entity's page), or leave the band out", e.Existing.Name, oldB, askedB)
		}
		return fmt.Sprintf("l'entité « %s » existe déjà avec la tranche de taille « %s », et non « %s » : un jeton ne change pas la taille d'une entité ; changez-la d'abord explicitement (commande vigie-hub entity set-size-band, ou page de l'entité), ou ne précisez pas de tranche", e.Existing.Name, oldB, askedB)
	}
	if lang == "en" {
		return fmt.Sprintf("entity %q already exists in sector %q, not %q: a token does not change an entity's sector; change it first on purpose (command vigie-hub entity set-sector, or the entity's page)", e.Existing.Name, old, asked)
	}
	return fmt.Sprintf("l'entité « %s » existe déjà dans le secteur « %s », et non « %s » : un jeton ne change pas le secteur d'une entité ; changez-le d'abord explicitement (commande vigie-hub entity set-sector, ou page de l'entité)", e.Existing.Name, old, asked)
}

// Is makes a conflict an ErrBadInput: the administrator's entry is refused.
func (e *EntityConflict) Is(target error) bool { return target == ErrBadInput }

// entityKey is what two names of the same entity share: case and runs of
// spaces do not make a different entity.
func entityKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// findEntity returns the entity whose name matches name up to case and
// spaces, if any.
func (a *App) findEntity(ctx context.Context, name string) (store.Entity, bool, error) {
	es, err := a.cfg.Store.Entities(ctx)
	if err != nil {
		return store.Entity{}, false, err
	}
	key := entityKey(name)
	for _, e := range es {
		if entityKey(e.Name) == key {
			return e, true, nil
		}
	}
	return store.Entity{}, false, nil
}

// entityFor returns the entity a token for (name, sector, band) is made
// for, created (created true) with that band when no entity has that
// name: ErrBadInput (an *EntityConflict) when one has it under another
// spelling, in another sector, or with another band than a band given.
func (a *App) entityFor(ctx context.Context, name, sector string, band cohort.Band) (e store.Entity, created bool, err error) {
	e, ok, err := a.findEntity(ctx, name)
	if err != nil {
		return e, false, err
	}
	if !ok {
		if e, err = a.cfg.Store.EnsureEntity(ctx, name, sector); err != nil || band == "" {
			return e, err == nil, err
		}
		if err := a.cfg.Store.SetEntitySizeBand(ctx, e.ID, string(band)); err != nil {
			return e, true, err
		}
		e.SizeBand = string(band)
		return e, true, nil
	}
	if e.Name != name || e.Sector != sector || (band != "" && e.SizeBand != string(band)) {
		return e, false, &EntityConflict{Existing: e, Name: name, Sector: sector, SizeBand: string(band)}
	}
	return e, false, nil
}

// EntityByName returns the entity named exactly name. Errors: ErrBadInput
// (with the existing spelling when only case or spaces differ),
// store.ErrNotFound.
func (a *App) EntityByName(ctx context.Context, name string) (store.Entity, error) {
	e, ok, err := a.findEntity(ctx, name)
	switch {
	case err != nil:
		return e, err
	case !ok:
		return e, fmt.Errorf("entité « %s » : %w", name, store.ErrNotFound)
	case e.Name != name:
		return e, fmt.Errorf("%w : l'entité s'écrit « %s »", ErrBadInput, e.Name)
	}
	return e, nil
}

// SetSector moves entity id to sector, recording the change (old and new
// sector) in the audit log as made by by; the region's statistics follow.
// A size band of the old sector's scale that the new sector does not use
// (a commune's population, for a port) is cleared, and the audit says so.
// Errors: ErrBadInput (unknown sector, or already in it), store.ErrNotFound.
func (a *App) SetSector(ctx context.Context, id int64, sector, by string) (store.Entity, error) {
	if _, err := protocol.ParseSector(sector); err != nil {
		return store.Entity{}, fmt.Errorf("%w : %v", ErrBadInput, err)
	}
	e, err := a.cfg.Store.Entity(ctx, id)
	if err != nil {
		return e, err
	}
	if e.Sector == sector {
		return e, fmt.Errorf("%w : l'entité « %s » est déjà dans le secteur « %s »", ErrBadInput, e.Name, protocol.Sector(sector).Name("fr"))
	}
	if err := a.cfg.Store.SetEntitySector(ctx, id, sector); err != nil {
		return e, err
	}
	detail := e.Sector + " -> " + sector
	e.Sector = sector
	if e.SizeBand != "" && !cohort.Band(e.SizeBand).Fits(protocol.Sector(sector)) {
		if err := a.cfg.Store.SetEntitySizeBand(ctx, id, ""); err != nil {
			a.Record(ctx, by, "entity_sector", e.Name, detail)
			return e, err
		}
		detail += "; size band " + e.SizeBand + " cleared"
		e.SizeBand = ""
	}
	a.Record(ctx, by, "entity_sector", e.Name, detail)
	return e, nil
}

// SetSizeBand gives entity id the size band band (a hub/cohort.Band of its
// sector's scale; "" clears it), recording the change (old and new band)
// in the audit log as made by by; its comparison with its peers follows.
// Errors: ErrBadInput (a band of another scale, unknown, or already the
// entity's), store.ErrNotFound.
func (a *App) SetSizeBand(ctx context.Context, id int64, band, by string) (store.Entity, error) {
	e, err := a.cfg.Store.Entity(ctx, id)
	if err != nil {
		return e, err
	}
	b, err := cohort.ParseBand(protocol.Sector(e.Sector), band)
	if err != nil {
		return e, fmt.Errorf("%w : %v", ErrBadInput, err)
	}
	if string(b) == e.SizeBand {
		return e, fmt.Errorf("%w : l'entité « %s » a déjà la tranche de taille « %s »", ErrBadInput, e.Name, b.Name("fr"))
	}
	if err := a.cfg.Store.SetEntitySizeBand(ctx, id, string(b)); err != nil {
		return e, err
	}
	old := e.SizeBand
	e.SizeBand = string(b)
	a.Record(ctx, by, "entity_size_band", e.Name, cmp.Or(old, "none")+" -> "+cmp.Or(string(b), "none"))
	return e, nil
}
