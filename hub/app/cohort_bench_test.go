package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// BenchmarkComparison2000: the entity page's comparison in a region of
// 2,000 entities (one host each, signed scorecards in SQLite, bands
// spread over each sector's), once the level cache is warm as it is
// after the first overview: the region's latest rows read, the
// overview's figures and the cohort's statistics computed.
func BenchmarkComparison2000(b *testing.B) {
	ctx := context.Background()
	a, st := region2000(b)
	es, _ := st.Entities(ctx)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c, err := a.Comparison(ctx, es[i%len(es)].ID)
		if err != nil || !c.Enough {
			b.Fatalf("%+v %v", c, err)
		}
		i++
	}
}

// BenchmarkOverview2000 is the overview of the same region, with its
// per-sector distributions: what the comparison is to be weighed against.
func BenchmarkOverview2000(b *testing.B) {
	ctx := context.Background()
	a, _ := region2000(b)
	b.ReportAllocs()
	for b.Loop() {
		if ov, err := a.Overview(ctx, app.Filter{Level: -1}); err != nil || len(ov.Cohorts) == 0 {
			b.Fatal(err)
		}
	}
}

// benchDir holds the shared region; TestMain removes it.
var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var region2000 = func() func(b *testing.B) (*app.App, store.Store) {
	var once sync.Once
	var a *app.App
	var st store.Store
	return func(b *testing.B) (*app.App, store.Store) {
		once.Do(func() { a, st = makeRegion2000(b) })
		if st == nil {
			b.Fatal("region set-up failed")
		}
		return a, st
	}
}()

// makeRegion2000 builds the region in a temporary directory kept for the
// whole run (several benchmarks share it).
func makeRegion2000(b *testing.B) (*app.App, store.Store) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vigie-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDir = dir
	st, err := store.Open(ctx, filepath.Join(dir, "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	a := app.New(app.Config{Store: st, Now: func() time.Time { return t0 }})
	var scs []*store.Scorecard
	for i := range 2000 {
		s := protocol.Sectors[i%len(protocol.Sectors)]
		bands := cohort.BandsFor(s)
		h := hubtest.NewAgent(uint64(10000+i), float64(i%10)/10+0.05)
		e, err := st.EnsureEntity(ctx, fmt.Sprintf("Entité %04d", i), string(s))
		if err != nil {
			b.Fatal(err)
		}
		st.SetEntitySizeBand(ctx, e.ID, string(bands[i%len(bands)]))
		tok := fmt.Sprint("bench-", i)
		st.CreateToken(ctx, store.Token{Hash: storetest.Hash(tok), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if _, err := st.Enroll(ctx, storetest.Hash(tok), store.Agent{ID: h.ID, PublicKey: []byte(h.ID), Hostname: h.Host.Hostname}, t0); err != nil {
			b.Fatal(err)
		}
		sc := h.Next(t0)
		scs = append(scs, &store.Scorecard{AgentID: h.ID, ID: sc.ID, Sequence: sc.Sequence, ReceivedAt: t0, StartedAt: sc.StartedAt, FinishedAt: sc.FinishedAt,
			Score: sc.Score, Level: int(sc.Level), DomainScores: store.ScoresOf(sc.Domains), Hostname: h.Host.Hostname, Envelope: h.Sign(sc)})
	}
	if _, err := st.(store.Importer).Import(ctx, scs); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Overview(ctx, app.Filter{Level: -1}); err != nil { // warms the level cache
		b.Fatal(err)
	}
	return a, st
}
