package app

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/match"
	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/store"
)

// ExposureFeed connects the advisory matcher to the alert engine.
//
// The two speak differently on purpose: the matcher reports the certain
// exposures that are new (AdvisoryConfig.OnExposures), the engine wants
// the whole truth for each entity it is told about (alert.ExposureSink:
// what is not reported is gone, and says "fixed"). Passing the new ones
// alone would close every other exposure of the entity and raise it again
// at the next match. So the feed only notes which entities changed, then
// reads all their current certain exposures from the matcher and reports
// those; and, since the matcher says nothing when an exposure disappears
// (a host upgraded, an advisory revised), it reports every entity once at
// start and then every interval. The engine is idempotent: an exposure
// already open raises nothing, however often it is reported.
type ExposureFeed struct {
	a    *App
	m    *Advisories // set by Run, once loaded
	sink alert.ExposureSink

	mu    sync.Mutex
	dirty map[int64]bool
	wake  chan struct{}
	refs  map[string]alert.AdvisoryRef // cache, dropped when an advisory's exposures are new
}

// NewExposureFeed returns a feed to sink; give its Changed to the matcher
// (AdvisoryConfig.OnExposures) and run Run once the matcher is loaded.
func (a *App) NewExposureFeed(sink alert.ExposureSink) *ExposureFeed {
	return &ExposureFeed{a: a, sink: sink, dirty: map[int64]bool{}, wake: make(chan struct{}, 1), refs: map[string]alert.AdvisoryRef{}}
}

// Changed is the matcher's OnExposures hook: it notes the entities and
// returns at once (it runs on the matcher's goroutine).
func (f *ExposureFeed) Changed(fresh []AdvisoryExposure) {
	f.mu.Lock()
	for _, x := range fresh {
		if x.EntityID != 0 {
			f.dirty[x.EntityID] = true
		}
		delete(f.refs, x.Advisory) // imported or revised: read its dates again
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Run reports every entity's exposures now (what changed while the hub
// was stopped), then the entities Changed notes as they come, and every
// entity again each interval (the exposures that went away). m must be
// loaded (LoadAdvisories): an empty matcher would say every exposure is
// gone.
func (f *ExposureFeed) Run(ctx context.Context, m *Advisories, interval time.Duration) {
	f.Attach(m)
	if err := f.SyncAll(ctx); err != nil && ctx.Err() == nil {
		f.a.log.Error("alertes : expositions", "err", err)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
			err = f.SyncChanged(ctx)
		case <-t.C:
			err = f.SyncAll(ctx)
		}
		if err != nil && ctx.Err() == nil {
			f.a.log.Error("alertes : expositions", "err", err)
		}
	}
}

// Attach gives the feed the matcher it reads, once that matcher is loaded
// (Run does it first; a caller that syncs by itself attaches before).
func (f *ExposureFeed) Attach(m *Advisories) {
	f.mu.Lock()
	f.m = m
	f.mu.Unlock()
}

// SyncChanged reports the entities noted by Changed since the last time.
// On failure they stay noted for the next attempt.
func (f *ExposureFeed) SyncChanged(ctx context.Context) error {
	f.mu.Lock()
	ids := make([]int64, 0, len(f.dirty))
	for id := range f.dirty {
		ids = append(ids, id)
	}
	clear(f.dirty)
	f.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	if err := f.sync(ctx, ids); err != nil {
		f.mu.Lock()
		for _, id := range ids {
			f.dirty[id] = true
		}
		f.mu.Unlock()
		return err
	}
	return nil
}

// SyncAll reports every entity of the hub.
func (f *ExposureFeed) SyncAll(ctx context.Context) error {
	ents, err := f.a.cfg.Store.Entities(ctx)
	if err != nil {
		return err
	}
	ids := make([]int64, len(ents))
	for i, e := range ents {
		ids[i] = e.ID
	}
	return f.sync(ctx, ids)
}

// sync reports the certain exposures of the entities ids: one Found per
// (advisory, entity) with its hosts and versions.
func (f *ExposureFeed) sync(ctx context.Context, ids []int64) error {
	f.mu.Lock()
	m := f.m
	f.mu.Unlock()
	if m == nil {
		return errors.New("alertes : expositions lues avant le chargement des avis")
	}
	scope := make(map[int64]bool, len(ids))
	for _, id := range ids {
		scope[id] = true
	}
	type key struct {
		adv string
		ent int64
	}
	byKey := map[key]*alert.Found{}
	var order []key
	for _, x := range m.Exposures(ExposureFilter{}) {
		if x.Confidence != string(match.Certain) || !scope[x.EntityID] {
			continue
		}
		k := key{x.Advisory, x.EntityID}
		fd := byKey[k]
		if fd == nil {
			ref, err := f.ref(ctx, x.Advisory, x.Title)
			if err != nil {
				return err
			}
			fd = &alert.Found{Advisory: ref, EntityID: x.EntityID}
			byKey[k] = fd
			order = append(order, k)
		}
		h := alert.ExposedHost{AgentID: x.AgentID, Hostname: x.Hostname, Product: x.Product, Version: x.InstalledVersion}
		if !slices.Contains(fd.Exposed, h) { // one line per product and version, whatever the entries
			fd.Exposed = append(fd.Exposed, h)
		}
	}
	slices.SortFunc(order, func(a, b key) int { // stable reports, stable event order
		if c := strings.Compare(a.adv, b.adv); c != 0 {
			return c
		}
		return cmp.Compare(a.ent, b.ent)
	})
	found := make([]alert.Found, len(order))
	for i, k := range order {
		found[i] = *byKey[k]
	}
	return f.sink.Exposures(ctx, ids, found)
}

// ref is an advisory as the alert names it: its dates decide whether a
// new exposure alerts (published or revised within alert.Recent).
func (f *ExposureFeed) ref(ctx context.Context, ref, title string) (alert.AdvisoryRef, error) {
	f.mu.Lock()
	r, ok := f.refs[ref]
	f.mu.Unlock()
	if ok {
		return r, nil
	}
	rec, err := f.a.cfg.Store.Advisory(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		// Matched but no longer stored: named, undated (an exposure new
		// to it is recorded without alerting, as an old advisory's).
		return alert.AdvisoryRef{ID: ref, Title: title}, nil
	}
	if err != nil {
		return r, err
	}
	r = alert.AdvisoryRef{ID: ref, Title: rec.Title, Published: rec.Published, Revised: rec.Revised}
	if r.Title == "" {
		r.Title = title
	}
	if doc, err := advisory.Parse(ref, rec.Raw); err == nil {
		r.URL = doc.URL()
	} else {
		kind := "avis"
		if strings.EqualFold(rec.Kind, "alerte") {
			kind = "alerte"
		}
		r.URL = "https://www.cert.ssi.gouv.fr/" + kind + "/" + ref + "/"
	}
	if r.Revised.Equal(r.Published) {
		r.Revised = time.Time{} // never revised
	}
	f.mu.Lock()
	f.refs[ref] = r
	f.mu.Unlock()
	return r, nil
}
