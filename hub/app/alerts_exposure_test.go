package app_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

// recordingSink keeps what the feed reports.
type recordingSink struct {
	mu    sync.Mutex
	calls []sinkCall
}

type sinkCall struct {
	entities []int64
	found    []alert.Found
}

func (s *recordingSink) Exposures(_ context.Context, entities []int64, found []alert.Found) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := slices.Clone(entities)
	slices.Sort(e)
	s.calls = append(s.calls, sinkCall{e, found})
	return nil
}

// wait returns the n-th report (1-based), waiting for it.
func (s *recordingSink) wait(t *testing.T, n int) sinkCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.calls)
		var c sinkCall
		if got >= n {
			c = s.calls[n-1]
		}
		s.mu.Unlock()
		if got >= n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reports, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

func foundKeys(fs []alert.Found) []string {
	var out []string
	for _, f := range fs {
		var hosts []string
		for _, h := range f.Exposed {
			hosts = append(hosts, h.Hostname+" "+h.Product+" "+h.Version)
		}
		slices.Sort(hosts)
		out = append(out, f.Advisory.ID+": "+strings.Join(hosts, ", "))
	}
	slices.Sort(out)
	return out
}

// TestExposureFeedReportsWholeEntities: the matcher says which exposures
// are new; the feed reports ALL the certain exposures of the entities
// concerned, grouped by advisory with the advisory's dates and link, and
// only those entities; SyncAll reports every entity, an upgraded host's
// exposures absent.
func TestExposureFeedReportsWholeEntities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	var rec recordingSink
	feed := a.NewExposureFeed(&rec)
	if err := feed.SyncAll(ctx); err == nil {
		t.Error("feed reported before the matcher was loaded")
	}
	m, err := a.NewAdvisories(app.AdvisoryConfig{OnExposures: feed.Changed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Import(ctx, "cli", nil, filepath.Join(advisoryData, "docs")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.LoadAdvisories(ctx); err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed.Attach(m) // the syncs below must not race Run's start
	go feed.Run(fctx, m, time.Hour)
	if c := rec.wait(t, 1); len(c.entities) != 0 || len(c.found) != 0 { // at start: every entity (none yet)
		t.Fatalf("first report %+v", c)
	}

	other := workstation(42, "10.0.19045.6575", "146.0")
	port := storetest.Enrolled(t, st, "Port du Légué", other.ID)
	report(t, st, other, t0)
	if err := m.MatchHost(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if c := rec.wait(t, 2); !slices.Equal(c.entities, []int64{port.EntityID}) ||
		!slices.Equal(foundKeys(c.found), []string{"CERTFR-2025-AVI-1092: PC-ACCUEIL Windows 10 Version 22H2 10.0.19045.6575"}) {
		t.Fatalf("report for the port: %v %v", c.entities, foundKeys(c.found))
	}
	pc := workstation(41, "10.0.19045.6575", "140.5.0")
	ent := storetest.Enrolled(t, st, "Mairie de Trébeurden", pc.ID)
	report(t, st, pc, t0)
	if err := m.MatchHost(ctx, pc.ID); err != nil {
		t.Fatal(err)
	}
	c := rec.wait(t, 3)
	if !slices.Equal(c.entities, []int64{ent.EntityID}) {
		t.Fatalf("entities reported %v, want only %d", c.entities, ent.EntityID)
	}
	want := []string{
		"CERTFR-2025-AVI-1092: PC-ACCUEIL Windows 10 Version 22H2 10.0.19045.6575",
		"CERTFR-2025-AVI-1099: PC-ACCUEIL Mozilla Firefox ESR (x64 fr) 140.5.0",
	}
	if got := foundKeys(c.found); !slices.Equal(got, want) {
		t.Fatalf("found:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range c.found {
		if f.EntityID != ent.EntityID || f.Advisory.Title == "" || f.Advisory.Published.IsZero() ||
			f.Advisory.URL != "https://www.cert.ssi.gouv.fr/avis/"+f.Advisory.ID+"/" {
			t.Errorf("found %+v", f)
		}
	}

	// The host upgrades Firefox only: the matcher reports nothing new;
	// SyncAll reports both entities, Windows alone left at each.
	pc.Software[0].Version = "146.0"
	report(t, st, pc, t0.Add(time.Hour))
	if err := m.MatchHost(ctx, pc.ID); err != nil {
		t.Fatal(err)
	}
	n := rec.count()
	if err := feed.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	all := rec.wait(t, n+1)
	if len(all.entities) != 2 {
		t.Errorf("SyncAll reported entities %v, want both", all.entities)
	}
	want = []string{
		"CERTFR-2025-AVI-1092: PC-ACCUEIL Windows 10 Version 22H2 10.0.19045.6575",
		"CERTFR-2025-AVI-1092: PC-ACCUEIL Windows 10 Version 22H2 10.0.19045.6575",
	}
	if got := foundKeys(all.found); !slices.Equal(got, want) {
		t.Errorf("SyncAll found:\n%s", strings.Join(got, "\n"))
	}
}

// TestExposureFeedAlertsOnce: with the real engine, a new certain
// exposure at an entity raises one "exposure" per (advisory, entity),
// however often the host is matched again or the feed reports it; an
// exposure gone says "fixed" once.
func TestExposureFeedAlertsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	// Two days after AVI-1092 and AVI-1099 (10 December 2025): recent.
	now := time.Date(2025, 12, 12, 9, 0, 0, 0, time.UTC)
	eng, err := alert.New(alert.Config{Store: st, PublicURL: "https://hub.example", Now: func() time.Time { return now },
		Webhooks: []alert.WebhookConfig{{URL: "https://tickets.example/hook", Secret: alert.NewSecret(), Events: []string{"exposure", "fixed"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	feed := a.NewExposureFeed(eng)
	m, err := a.NewAdvisories(app.AdvisoryConfig{OnExposures: feed.Changed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Import(ctx, "cli", nil, filepath.Join(advisoryData, "docs")); err != nil {
		t.Fatal(err)
	}
	pc := workstation(41, "10.0.19045.6575", "140.5.0")
	ent := storetest.Enrolled(t, st, "Mairie de Trébeurden", pc.ID)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed.Attach(m) // the syncs below must not race Run's start
	go feed.Run(fctx, m, time.Hour)
	events := func(wantN int) []string {
		t.Helper()
		var out []string
		deadline := time.Now().Add(10 * time.Second)
		for {
			out = outboxEvents(t, st)
			if len(out) >= wantN || time.Now().After(deadline) {
				return out
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for i := range 3 { // reported, matched again twice
		report(t, st, pc, t0.Add(time.Duration(i)*time.Hour))
		if err := m.MatchHost(ctx, pc.ID); err != nil {
			t.Fatal(err)
		}
		feed.Changed([]app.AdvisoryExposure{{Advisory: "CERTFR-2025-AVI-1092", EntityID: ent.EntityID}})
		if err := feed.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := events(2)
	want := []string{"exposure CERTFR-2025-AVI-1092 PC-ACCUEIL", "exposure CERTFR-2025-AVI-1099 PC-ACCUEIL"}
	time.Sleep(200 * time.Millisecond) // nothing more should come
	if got = outboxEvents(t, st); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// Upgraded: AVI-1099 is gone, said once.
	pc.Software[0].Version = "146.0"
	report(t, st, pc, t0.Add(5*time.Hour))
	if err := m.MatchHost(ctx, pc.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := feed.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, "fixed CERTFR-2025-AVI-1099 ")
	if got = outboxEvents(t, st); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// outboxEvents lists the events in the outbox, oldest first: kind,
// advisory and hosts.
func outboxEvents(t *testing.T, st store.Store) []string {
	t.Helper()
	as := store.Alerts(st)
	ds, err := as.Deliveries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ds, func(a, b store.Delivery) int { return int(a.EventID - b.EventID) })
	var out []string
	for _, d := range ds {
		ev, err := as.AlertEvent(context.Background(), d.EventID)
		if err != nil {
			t.Fatal(err)
		}
		var data alert.Data
		json.Unmarshal(ev.Data, &data)
		line := ev.Kind
		if data.Advisory != nil {
			line += " " + data.Advisory.ID + " "
		}
		for _, h := range data.Exposed {
			line += h.Hostname
		}
		out = append(out, line)
	}
	return out
}
