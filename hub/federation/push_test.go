package federation_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/national"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestCatchUp: a regional hub that pushed on day 0 and was then offline
// for a week pushes, at its next run, each missed day complete, computed
// from the history as it stood at the end of that day, then the current
// day; a run again sends only the current day (a duplicate).
func TestCatchUp(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	reg, nat := openStore(t), openStore(t)
	// Six communes enrolled on day -1; each sends a scorecard every day,
	// one level higher from day 3 on.
	for i := range 6 {
		e, err := reg.EnsureEntity(ctx, fmt.Sprint("Mairie ", i), "commune")
		if err != nil {
			t.Fatal(err)
		}
		tok := []byte(fmt.Sprint("tok", i))
		if err := reg.CreateToken(ctx, store.Token{Hash: tok, EntityID: e.ID, CreatedAt: t0.AddDate(0, 0, -2), ExpiresAt: t0.AddDate(1, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint("agent", i)
		if _, err := reg.Enroll(ctx, tok, store.Agent{ID: id, PublicKey: []byte(id), Hostname: "pc" + id}, t0.AddDate(0, 0, -1)); err != nil {
			t.Fatal(err)
		}
		for d := range 9 {
			lv := 1
			if d >= 3 {
				lv = 2
			}
			sc := &store.Scorecard{AgentID: id, ID: fmt.Sprint(id, "-", d), Sequence: uint64(d + 1), ReceivedAt: t0.AddDate(0, 0, d),
				Level: lv, DomainScores: store.DomainScores{protocol.DomainPatch: 50}, Envelope: []byte("{}")}
			if _, err := reg.SaveScorecard(ctx, sc); err != nil {
				t.Fatal(err)
			}
		}
	}
	keys, err := hubkeys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := hubkeys.Fingerprint(keys.Public().SigningKey)
	if err := nat.AddRegion(ctx, store.Region{Name: "Bretagne", SigningKey: keys.Public().SigningKey, KeyID: fp, AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	now := t0
	srv := httptest.NewTLSServer(&national.Receiver{Store: nat, Now: func() time.Time { return now }})
	defer srv.Close()
	p := &federation.Pusher{Store: reg, Keys: keys, Region: "Bretagne", URL: srv.URL, Now: func() time.Time { return now },
		Client: federation.PinnedClient(protocol.SPKISHA256(srv.Certificate())), CatchUp: 3}
	days := func(ps []federation.Pushed) []string {
		var out []string
		for _, x := range ps {
			out = append(out, fmt.Sprintf("%s %v %s", x.Day, x.Complete, x.Reply.Status))
		}
		return out
	}
	sent, err := p.Run(ctx)
	// Day -1 had agents but no scorecard: an aggregate with no cell.
	if err != nil || fmt.Sprint(days(sent)) != "[2026-05-03 true new 2026-05-04 false new]" {
		t.Fatalf("first run: %v %v", days(sent), err)
	}
	now = t0.AddDate(0, 0, 7) // a week offline
	p.CatchUp = 10
	sent, err = p.Run(ctx)
	want := "[2026-05-04 true replaced 2026-05-05 true new 2026-05-06 true new 2026-05-07 true new 2026-05-08 true new 2026-05-09 true new 2026-05-10 true new 2026-05-11 false new]"
	if err != nil || fmt.Sprint(days(sent)) != want {
		t.Fatalf("after a week:\n%v %v\nwant %s", days(sent), err, want)
	}
	sent, err = p.Run(ctx)
	if err != nil || fmt.Sprint(days(sent)) != "[2026-05-11 false duplicate]" {
		t.Fatalf("again: %v %v", days(sent), err)
	}
	pts, err := nat.AggregatePoints(ctx, "2026-05-01")
	if err != nil || len(pts) != 9 {
		t.Fatalf("national days: %+v %v", pts, err)
	}
	for _, pt := range pts {
		// Day 0 to 2 at level 1, from day 3 at level 2: as of each day's end.
		want := 6
		if pt.Day >= "2026-05-07" {
			want = 12
		}
		if pt.Day == "2026-05-03" {
			want = 0
		}
		if pt.LevelSum != want {
			t.Errorf("%s: level sum %d, want %d", pt.Day, pt.LevelSum, want)
		}
	}
	// A wrong pin sends nothing.
	p.Client = federation.PinnedClient(fmt.Sprintf("%064x", 1))
	if _, err := p.Run(ctx); err == nil {
		t.Error("a push to a server with another key went through")
	}
}
