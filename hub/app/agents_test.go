package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

// TestLinkAndReinstateRules: only a revoked agent's history passes to a
// live agent of the same entity, once; a reinstatement needs a revocation.
func TestLinkAndReinstateRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	storetest.Enrolled(t, st, "Mairie A", "old")
	storetest.Enrolled(t, st, "Mairie A", "new")
	storetest.Enrolled(t, st, "Mairie A", "other")
	storetest.Enrolled(t, st, "Mairie B", "elsewhere")
	for _, c := range []struct {
		old, new string
		want     error
	}{
		{"old", "new", app.ErrBadInput}, // old not revoked yet
		{"old", "old", app.ErrBadInput},
		{"old", "nobody", store.ErrNotFound},
	} {
		if err := a.LinkAgent(ctx, c.old, c.new, "admin"); !errors.Is(err, c.want) {
			t.Errorf("link %s %s: %v, want %v", c.old, c.new, err, c.want)
		}
	}
	if err := a.ReinstateAgent(ctx, "old", "admin"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("reinstate an agent not revoked: %v", err)
	}
	if err := a.RevokeAgent(ctx, "old", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := a.LinkAgent(ctx, "old", "elsewhere", "admin"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("link across entities: %v", err)
	}
	if err := a.LinkAgent(ctx, "old", "new", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := a.LinkAgent(ctx, "old", "new", "admin"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("second link: %v", err)
	}
	if err := a.RevokeAgent(ctx, "new", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := a.LinkAgent(ctx, "new", "old", "admin"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("link back (a cycle): %v", err)
	}
	if err := a.ReinstateAgent(ctx, "old", "admin"); err != nil {
		t.Fatal(err)
	}
	if ag, _ := st.Agent(ctx, "old"); ag.Revoked() {
		t.Error("still revoked after reinstate")
	}
}
