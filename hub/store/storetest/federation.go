package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// testFederation: a past day's hosts (HostsAsOf), the pushes a regional
// hub remembers, and the national hub's regions and aggregates.
func testFederation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := Enrolled(t, s, "Mairie de Plouzané", "fa")
	b := Enrolled(t, s, "Mairie de Locmaria", "fb")
	for _, sc := range []*store.Scorecard{Card("fa", 1), Card("fa", 30), Card("fb", 50)} {
		if _, err := s.SaveScorecard(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	// Card n is received at t0 + n hours.
	asOf := func(h int) map[string]*store.Scorecard {
		t.Helper()
		rows, err := s.HostsAsOf(ctx, t0.Add(time.Duration(h)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*store.Scorecard{}
		for _, r := range rows {
			out[r.Agent.ID] = r.Latest
		}
		return out
	}
	if m := asOf(10); len(m) != 2 || m["fa"] == nil || m["fa"].Sequence != 1 || m["fb"] != nil {
		t.Errorf("as of t0+10h: fa's first scorecard, fb none: %+v", m)
	} else if m["fa"].DomainScores.Get("ad") != 55 || len(m["fa"].Failed) != len(Card("fa", 1).Failed) {
		t.Errorf("as of t0+10h: the summary columns read back: %+v", m["fa"])
	}
	if m := asOf(60); m["fa"].Sequence != 30 || m["fb"].Sequence != 50 {
		t.Errorf("as of t0+60h: %+v", m)
	}
	if m := asOf(-1); len(m) != 0 {
		t.Errorf("before enrolment: %+v", m)
	}
	if err := s.RevokeAgent(ctx, b.ID, "test", t0.Add(55*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m := asOf(54); m["fb"] == nil {
		t.Errorf("revoked later: still counted before")
	}
	if m := asOf(56); len(m) != 1 || m[a.ID] == nil {
		t.Errorf("revoked at t0+55h: gone after: %+v", m)
	}

	// Pushes.
	if err := s.RecordPush(ctx, store.Push{Target: "https://n", Day: "2026-11-22", PushedAt: t0, SHA256: "x", Envelope: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPush(ctx, store.Push{Target: "https://n", Day: "2026-11-22", PushedAt: t0.Add(time.Hour), Complete: true, SHA256: "y", Envelope: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPush(ctx, store.Push{Target: "https://other", Day: "2026-11-23", PushedAt: t0, SHA256: "z", Envelope: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Pushes(ctx, "https://n", "2026-11-01")
	if err != nil || len(ps) != 1 || !ps["2026-11-22"].Complete || ps["2026-11-22"].SHA256 != "y" {
		t.Errorf("pushes: %+v %v", ps, err)
	}
	if ps, _ := s.Pushes(ctx, "https://n", "2026-11-23"); len(ps) != 0 {
		t.Errorf("pushes since a later day: %+v", ps)
	}

	// Regions.
	bzh := store.Region{Name: "Bretagne", SigningKey: "k1", KeyID: "id1", AddedAt: t0, AddedBy: "cli"}
	if err := s.AddRegion(ctx, bzh); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRegion(ctx, store.Region{Name: "Bretagne", SigningKey: "k2", KeyID: "id2", AddedAt: t0}); !errors.Is(err, store.ErrExists) {
		t.Errorf("same name again: %v", err)
	}
	if err := s.AddRegion(ctx, store.Region{Name: "Normandie", SigningKey: "k1", KeyID: "id1", AddedAt: t0}); !errors.Is(err, store.ErrExists) {
		t.Errorf("same key again: %v", err)
	}
	if err := s.AddRegion(ctx, store.Region{Name: "Normandie", SigningKey: "k3", KeyID: "id3", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRegion(ctx, "Normandie", "cli", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRegion(ctx, "Normandie", "cli", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked twice: %v", err)
	}
	if err := s.RevokeRegion(ctx, "Corse", "cli", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown region: %v", err)
	}
	rs, err := s.Regions(ctx)
	if err != nil || len(rs) != 2 || rs[0].Name != "Bretagne" || rs[0].Revoked() || !rs[1].Revoked() || rs[1].RevokedBy != "cli" {
		t.Errorf("regions: %+v %v", rs, err)
	}

	// Aggregates.
	put := func(day, sum string, gen time.Time, entities int) store.PutOutcome {
		t.Helper()
		o, err := s.PutAggregate(ctx, store.AggregateRecord{Region: "Bretagne", Day: day, ReceivedAt: gen, GeneratedAt: gen, SHA256: sum,
			Document: []byte(`{"day":"` + day + `"}`), Envelope: []byte("{}"), Entities: entities, LevelN: entities, LevelSum: 2 * entities})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, tc := range []struct {
		day, sum string
		gen      time.Time
		want     store.PutOutcome
	}{
		{"2026-11-21", "a", t0, store.AggregateNew},
		{"2026-11-22", "b", t0, store.AggregateNew},
		{"2026-11-22", "b", t0, store.AggregateDuplicate},
		{"2026-11-22", "c", t0.Add(time.Hour), store.AggregateReplaced},
		{"2026-11-22", "d", t0, store.AggregateStale},
	} {
		if got := put(tc.day, tc.sum, tc.gen, 7); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.day, tc.sum, got, tc.want)
		}
	}
	latest, err := s.LatestAggregates(ctx)
	if err != nil || len(latest) != 1 || latest[0].Day != "2026-11-22" || latest[0].SHA256 != "c" || latest[0].Pushes != 4 ||
		string(latest[0].Document) != `{"day":"2026-11-22"}` {
		t.Errorf("latest: %+v %v", latest, err)
	}
	pts, err := s.AggregatePoints(ctx, "2026-11-01")
	if err != nil || len(pts) != 2 || pts[0].Day != "2026-11-21" || pts[1].LevelSum != 14 {
		t.Errorf("points: %+v %v", pts, err)
	}
	on, err := s.AggregatesOn(ctx, "2026-11-21")
	if err != nil || len(on) != 1 || on[0].SHA256 != "a" {
		t.Errorf("on a day: %+v %v", on, err)
	}
}
