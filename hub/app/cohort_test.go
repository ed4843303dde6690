package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestSizeBand: a token sets a new entity's band and audits it; a band of
// the other scale, or another band for an existing entity, is refused
// and writes nothing; an admin changes it (audited, old and new), not to
// the same band; moving the entity to a sector of another scale clears it
// and says so in the audit.
func TestSizeBand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	req := app.TokenRequest{Entity: "Mairie de Landivisiau", Sector: "commune", SizeBand: "pop-3500-9999", Validity: time.Hour, Uses: 1}
	if _, err := a.CreateEntityToken(ctx, req, "admin@x"); err != nil {
		t.Fatal(err)
	}
	es, _ := st.Entities(ctx)
	if len(es) != 1 || es[0].SizeBand != "pop-3500-9999" {
		t.Fatalf("entities %+v", es)
	}
	id := es[0].ID
	if log, _ := st.AuditLog(ctx, 1); !strings.Contains(log[0].Detail, "size band pop-3500-9999") {
		t.Errorf("token audit %+v", log[0])
	}
	// The same band or none: another token for the entity.
	for _, b := range []string{"pop-3500-9999", ""} {
		req.SizeBand = b
		if _, err := a.CreateEntityToken(ctx, req, "admin@x"); err != nil {
			t.Errorf("token with band %q: %v", b, err)
		}
	}
	req.SizeBand = "pop-lt-1000"
	var conflict *app.EntityConflict
	if _, err := a.CreateEntityToken(ctx, req, "admin@x"); !errors.As(err, &conflict) || !errors.Is(err, app.ErrBadInput) ||
		!strings.Contains(conflict.Message("fr"), "set-size-band") || !strings.Contains(conflict.Message("en"), "3,500 to 9,999") {
		t.Errorf("another band for an existing entity: %v", err)
	}
	for _, bad := range []app.TokenRequest{
		{Entity: "Port de Roscoff", Sector: "port", SizeBand: "pop-lt-1000", Validity: time.Hour, Uses: 1},
		{Entity: "Port de Roscoff", Sector: "port", SizeBand: "moyen", Validity: time.Hour, Uses: 1},
	} {
		if _, err := a.CreateEntityToken(ctx, bad, "admin@x"); !errors.Is(err, app.ErrBadInput) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if es, _ := st.Entities(ctx); len(es) != 1 || es[0].SizeBand != "pop-3500-9999" {
		t.Fatalf("refused tokens wrote: %+v", es)
	}
	// The admin's change.
	if _, err := a.SetSizeBand(ctx, id, "hosts-lt-20", "admin@x"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("hosts band for a commune: %v", err)
	}
	if _, err := a.SetSizeBand(ctx, id, "pop-3500-9999", "admin@x"); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("same band: %v", err)
	}
	if _, err := a.SetSizeBand(ctx, 9999, "pop-lt-1000", "admin@x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
	e, err := a.SetSizeBand(ctx, id, "pop-10000-49999", "admin@y")
	if err != nil || e.SizeBand != "pop-10000-49999" {
		t.Fatalf("SetSizeBand = %+v, %v", e, err)
	}
	log, _ := st.AuditLog(ctx, 1)
	if l := log[0]; l.Action != "entity_size_band" || l.Actor != "admin@y" || l.Target != "Mairie de Landivisiau" || l.Detail != "pop-3500-9999 -> pop-10000-49999" {
		t.Errorf("audit %+v", l)
	}
	// Another sector of the same scale keeps the band; of another scale clears it.
	if _, err := a.SetSector(ctx, id, "port", "admin@x"); err != nil {
		t.Fatal(err)
	}
	if e, _ := st.Entity(ctx, id); e.SizeBand != "" {
		t.Errorf("population band kept for a port: %q", e.SizeBand)
	}
	if log, _ := st.AuditLog(ctx, 1); log[0].Detail != "commune -> port; size band pop-10000-49999 cleared" {
		t.Errorf("sector audit %+v", log[0])
	}
	a.SetSizeBand(ctx, id, "hosts-20-99", "admin@x")
	if _, err := a.SetSector(ctx, id, "hospital", "admin@x"); err != nil {
		t.Fatal(err)
	}
	if e, _ := st.Entity(ctx, id); e.SizeBand != "hosts-20-99" {
		t.Errorf("hosts band lost moving port to hospital: %q", e.SizeBand)
	}
}

// cohortRegion enrols n communes, each with one host passing every check
// (hubtest quality 1) but the first, "Mairie 0", which fails the firewall
// check and warns on DMARC; band gives each its size band.
func cohortRegion(t *testing.T, a *app.App, st store.Store, n int, band func(i int) string) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for i := range n {
		h := hubtest.NewAgent(uint64(500+i), 1)
		if i == 0 {
			h.Override = map[string]protocol.Status{"hygiene.firewall": protocol.Fail, "dns.dmarc": protocol.Warn}
		}
		ag := storetest.Enrolled(t, st, fmt.Sprintf("Mairie %d", i), h.ID)
		report(t, st, h, t0)
		if b := band(i); b != "" {
			if _, err := a.SetSizeBand(ctx, ag.EntityID, b, "admin@x"); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, ag.EntityID)
	}
	return ids
}

// TestComparison: an entity against its cohort through the real store:
// four of the band are not enough (the entity counted), a fifth is; the
// entity's figures are the overview's; the checks it is behind on are
// those most peers pass, with their share.
func TestComparison(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	ids := cohortRegion(t, a, st, 6, func(i int) string {
		if i == 5 {
			return "pop-lt-1000" // another band: never counted
		}
		return "pop-1000-3499"
	})
	// A fifth member without a band yet.
	h := hubtest.NewAgent(600, 1)
	ag := storetest.Enrolled(t, st, "Mairie 6", h.ID)
	report(t, st, h, t0)

	c, err := a.Comparison(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 5 || !c.Enough {
		// ids 0-4 are 5 of the band.
		t.Fatalf("cohort of 5: %+v", c)
	}
	a.SetSizeBand(ctx, ids[4], "pop-lt-1000", "admin@x")
	if c, _ = a.Comparison(ctx, ids[0]); c.Size != 4 || c.Enough || c.Level.Median != 0 || c.Behind != nil {
		t.Fatalf("cohort of 4: %+v", c)
	}
	a.SetSizeBand(ctx, ag.EntityID, "pop-1000-3499", "admin@x")
	c, err = a.Comparison(ctx, ids[0])
	if err != nil || c.Size != 5 || !c.Enough {
		t.Fatalf("cohort of 5 again: %+v, %v", c, err)
	}
	ov, err := a.Overview(ctx, app.Filter{Level: -1})
	if err != nil {
		t.Fatal(err)
	}
	var self app.EntityRow
	for _, r := range ov.Entities {
		if r.ID == ids[0] {
			self = r
		}
	}
	if c.Level.Value != self.Level {
		t.Errorf("own level %d, overview's %d", c.Level.Value, self.Level)
	}
	for _, d := range c.Domains {
		if d.Value != self.Domains.Get(d.Domain) {
			t.Errorf("%s: own %d, overview's %d", d.Domain, d.Value, self.Domains.Get(d.Domain))
		}
	}
	hyg := c.Domains[indexOf(c.Domains, protocol.DomainHygiene)]
	if !hyg.Enough || hyg.Median != 100 || hyg.Value >= 100 || hyg.Min != float64(hyg.Value) {
		t.Errorf("hygiene: %+v (the entity failing the firewall is the cohort's lowest, the others at 100)", hyg)
	}
	want := []cohort.Behind{{ID: "hygiene.firewall", Status: protocol.Fail, Passing: 4, Peers: 4}, {ID: "dns.dmarc", Status: protocol.Warn, Passing: 4, Peers: 4}}
	if len(c.Behind) != 2 || c.Behind[0] != want[0] || c.Behind[1] != want[1] {
		t.Errorf("behind = %+v, want %+v", c.Behind, want)
	}
	// A peer is behind on nothing.
	if c, _ := a.Comparison(ctx, ids[1]); len(c.Behind) != 0 || c.Size != 5 {
		t.Errorf("peer: %+v", c)
	}
	// Without a band: no cohort.
	a.SetSizeBand(ctx, ids[2], "", "admin@x")
	if c, _ := a.Comparison(ctx, ids[2]); c.Band != "" || c.Enough || c.Size != 0 {
		t.Errorf("no band: %+v", c)
	}
	if _, err := a.Comparison(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
	// The overview: communes all together (7 with a level), bands apart.
	ov, _ = a.Overview(ctx, app.Filter{Level: -1})
	got := map[cohort.Band]cohort.Group{}
	for _, g := range ov.Cohorts {
		got[g.Band] = g
	}
	if g := got[""]; g.Size != 7 || !g.Enough || g.Sector != protocol.SectorCommune {
		t.Errorf("all communes: %+v", g)
	}
	if g := got["pop-1000-3499"]; g.Size != 4 || g.Enough {
		t.Errorf("band 1000-3499 (one moved out, one cleared): %+v", g)
	}
	if g := got["pop-lt-1000"]; g.Size != 2 || g.Enough {
		t.Errorf("band lt-1000: %+v", g)
	}
	if ov, _ := a.Overview(ctx, app.Filter{Sector: "port", Level: -1}); len(ov.Cohorts) != 0 {
		t.Errorf("port filter shows %+v", ov.Cohorts)
	}
}

func indexOf(ds []cohort.Stat, d protocol.Domain) int {
	for i, s := range ds {
		if s.Domain == d {
			return i
		}
	}
	return -1
}
