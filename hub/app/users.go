package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
)

// ErrWeakPassword is a password shorter than auth.MinPasswordLength.
var ErrWeakPassword = errors.New("mot de passe trop court")

// AddUser creates an account: a valid address, a known role and a password
// strong enough, hashed with params (auth.Default unless a test asks
// otherwise). Errors: ErrBadInput (address or role), ErrWeakPassword,
// store.ErrExists.
func (a *App) AddUser(ctx context.Context, email, role, password string, params auth.Params, by string) (store.User, error) {
	r, err := store.ParseRole(role)
	if err != nil {
		return store.User{}, fmt.Errorf("%w : %v", ErrBadInput, err)
	}
	if err := CheckEmail(email); err != nil {
		return store.User{}, err
	}
	if auth.CheckStrength(password) != nil {
		return store.User{}, fmt.Errorf("%w : %d caractères au moins", ErrWeakPassword, auth.MinPasswordLength)
	}
	h, err := auth.Hash(password, params)
	if err != nil {
		return store.User{}, err
	}
	u, err := a.cfg.Store.CreateUser(ctx, store.User{Email: email, Role: r, PasswordHash: h, CreatedAt: a.cfg.Now()})
	if err != nil {
		return u, err
	}
	a.Record(ctx, by, "user_add", u.Email, string(u.Role))
	return u, nil
}

// SetUserDisabled disables or re-enables an account (its sessions end when
// disabled); nobody disables their own. Errors: ErrBadInput, store.ErrNotFound.
func (a *App) SetUserDisabled(ctx context.Context, id int64, disabled bool, by store.User) error {
	if id == by.ID {
		return fmt.Errorf("%w : impossible de désactiver son propre compte", ErrBadInput)
	}
	if err := a.cfg.Store.SetUserDisabled(ctx, id, disabled); err != nil {
		return err
	}
	action := "user_enable"
	if disabled {
		action = "user_disable"
	}
	a.Record(ctx, by.Email, action, strconv.FormatInt(id, 10), "")
	return nil
}

// RevokeAgent makes the hub refuse the agent's key from now on, its
// scorecards and its enrolments alike (protocol v2: a new token does not
// re-enable it; the agent makes a new key, which LinkAgent can attach to
// this one's history; ReinstateAgent undoes a revocation made by
// mistake). Errors: store.ErrNotFound.
func (a *App) RevokeAgent(ctx context.Context, id, by string) error {
	if err := a.cfg.Store.RevokeAgent(ctx, id, by, a.cfg.Now()); err != nil {
		return err
	}
	a.Record(ctx, by, "agent_revoke", id, "")
	return nil
}

// ReinstateAgent undoes a revocation made by mistake: the key is accepted
// again. Errors: store.ErrNotFound, ErrBadInput (not revoked).
func (a *App) ReinstateAgent(ctx context.Context, id, by string) error {
	ag, err := a.cfg.Store.Agent(ctx, id)
	if err != nil {
		return err
	}
	if !ag.Revoked() {
		return fmt.Errorf("%w : l'agent %s n'est pas révoqué", ErrBadInput, id)
	}
	if err := a.cfg.Store.ReinstateAgent(ctx, id); err != nil {
		return err
	}
	a.Record(ctx, by, "agent_reinstate", id, "revoked "+ag.RevokedAt.UTC().Format(time.RFC3339)+" by "+ag.RevokedBy)
	return nil
}

// LinkAgent makes newID, the key an agent made after oldID was revoked,
// continue oldID's history (its trend, its host page). Both must belong to
// the same entity, oldID must be revoked and newID not, and newID must not
// continue another agent already. Errors: store.ErrNotFound, ErrBadInput.
func (a *App) LinkAgent(ctx context.Context, oldID, newID, by string) error {
	if oldID == newID {
		return fmt.Errorf("%w : un agent ne peut pas se succéder à lui-même", ErrBadInput)
	}
	st := a.cfg.Store
	old, err := st.Agent(ctx, oldID)
	if err != nil {
		return fmt.Errorf("agent %s : %w", oldID, err)
	}
	nw, err := st.Agent(ctx, newID)
	if err != nil {
		return fmt.Errorf("agent %s : %w", newID, err)
	}
	switch {
	case old.EntityID != nw.EntityID:
		return fmt.Errorf("%w : %s (%s) et %s (%s) appartiennent à deux entités", ErrBadInput, oldID, old.Entity, newID, nw.Entity)
	case !old.Revoked():
		return fmt.Errorf("%w : l'ancien agent %s n'est pas révoqué (révoquez-le d'abord)", ErrBadInput, oldID)
	case nw.Revoked():
		return fmt.Errorf("%w : le nouvel agent %s est révoqué", ErrBadInput, newID)
	case nw.PreviousID != "":
		return fmt.Errorf("%w : l'agent %s prend déjà la suite de %s", ErrBadInput, newID, nw.PreviousID)
	}
	for id, n := old.PreviousID, 0; id != "" && n < 16; n++ {
		if id == newID {
			return fmt.Errorf("%w : %s précède déjà %s", ErrBadInput, newID, oldID)
		}
		p, err := st.Agent(ctx, id)
		if err != nil {
			break
		}
		id = p.PreviousID
	}
	if err := st.LinkAgent(ctx, oldID, newID); err != nil {
		return err
	}
	a.Record(ctx, by, "agent_link", newID, "continues "+oldID)
	return nil
}
