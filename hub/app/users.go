package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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

// RevokeAgent makes the hub refuse the agent's scorecards from now on (a
// new token re-enrols it). Errors: store.ErrNotFound.
func (a *App) RevokeAgent(ctx context.Context, id, by string) error {
	if err := a.cfg.Store.RevokeAgent(ctx, id, by, a.cfg.Now()); err != nil {
		return err
	}
	a.Record(ctx, by, "agent_revoke", id, "")
	return nil
}
