package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// FuzzSaveSubscription: an adviser's subscription as the form posts it.
// Property: a choice accepted is stored as read back (the store keeps
// lists in space-separated columns): a known mode, events an adviser may
// choose (sorted, once each), known sectors, existing entities; a choice
// refused is ErrBadInput and leaves the stored one as it was.
func FuzzSaveSubscription(f *testing.F) {
	f.Add("now", "exposure,critical", "commune", int64(1), false)
	f.Add("digest", "regression,regression,fixed", "", int64(0), true)
	f.Add("now", "test", "commune", int64(1), false)
	f.Add("weekly", "critical", "", int64(0), false)
	f.Add("now", "critical", "commune hospital", int64(0), false)
	f.Add("now", "critical", "", int64(99), false)
	f.Add("now", "", "", int64(0), false)
	f.Add("now", "critical silent", "", int64(0), false)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(f.TempDir(), "hub.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	a := app.New(app.Config{Store: st, Now: func() time.Time { return t0 }})
	ent, err := st.EnsureEntity(ctx, "Mairie de Trébeurden", "commune")
	if err != nil {
		f.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{Email: "conseiller@csirt.example", Role: store.RoleAdviser, PasswordHash: "x", CreatedAt: t0})
	if err != nil {
		f.Fatal(err)
	}
	as := store.Alerts(st)
	f.Fuzz(func(t *testing.T, mode, events, sectors string, entity int64, all bool) {
		before, err := a.Subscription(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		sub := store.Subscription{Mode: mode, All: all}
		if events != "" {
			sub.Events = strings.Split(events, ",")
		}
		if sectors != "" {
			sub.Sectors = strings.Split(sectors, ",")
		}
		if entity != 0 {
			sub.Entities = []int64{entity}
		}
		err = a.SaveSubscription(ctx, u, sub)
		after, rerr := a.Subscription(ctx, u)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if !errors.Is(err, app.ErrBadInput) {
				t.Fatalf("refused without ErrBadInput: %v", err)
			}
			if !sameSub(before, after) {
				t.Fatalf("refused, yet the stored subscription changed: %+v -> %+v", before, after)
			}
			return
		}
		if mode != alert.ModeNow && mode != alert.ModeDigest {
			t.Fatalf("mode %q accepted", mode)
		}
		for _, e := range sub.Events {
			if !slices.Contains(alert.Subscribable, alert.Kind(e)) {
				t.Fatalf("event %q accepted", e)
			}
		}
		for _, s := range sub.Sectors {
			if !protocol.Sector(s).Valid() {
				t.Fatalf("sector %q accepted", s)
			}
		}
		if entity != 0 && entity != ent.ID {
			t.Fatalf("entity %d accepted", entity)
		}
		if len(sub.Events) == 0 {
			subs, _ := as.Subscriptions(ctx)
			if len(subs) != 0 {
				t.Fatalf("no event, yet a subscription is kept: %+v", subs)
			}
			return
		}
		want := slices.Clone(sub.Events)
		slices.Sort(want)
		want = slices.Compact(want)
		if after.Mode != mode || after.All != all || !slices.Equal(after.Events, want) || !slices.Equal(after.Sectors, sub.Sectors) || !slices.Equal(after.Entities, sub.Entities) {
			t.Fatalf("saved %+v, read back %+v", sub, after)
		}
	})
}

func sameSub(a, b store.Subscription) bool {
	return a.Mode == b.Mode && a.All == b.All && slices.Equal(a.Events, b.Events) && slices.Equal(a.Sectors, b.Sectors) && slices.Equal(a.Entities, b.Entities)
}
