package app

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/match"
	"github.com/vigie-cyber/vigie/hub/store"
)

// CERT-FR advisories matched against the region's hosts (issue 16).
//
// The store keeps the advisories as published; everything derived from them
// — the compiled rules, the index of the hosts' latest inventories, the
// exposures and the review list — lives in memory (match.Region) and is
// rebuilt when the hub starts (LoadAdvisories): a region's full index is a
// few hundred megabytes at most and is rebuilt in seconds, while storing
// millions of exposure rows would cost every re-match a large write.
//
// Matching runs beside ingestion, never inside its transaction: the API
// calls HostChanged after a scorecard is committed, which only queues the
// agent; RunMatcher matches the queue. A host whose inventory did not change
// (same inventory name, same facts, same declared assets) is not matched
// again; a host whose new inventory no longer runs an affected version
// leaves the exposures of that advisory.

// AdvisoryExposure is one host exposed to one advisory entry: the rows of
// « vigie-hub exposure » (JSON field names are part of the CLI's contract).
type AdvisoryExposure struct {
	Advisory         string `json:"advisory"`
	Title            string `json:"title"`
	Entity           string `json:"entity"`
	Sector           string `json:"sector"`
	AgentID          string `json:"agent_id"`
	Hostname         string `json:"hostname"`
	Product          string `json:"product"`
	InstalledVersion string `json:"installed_version"`
	FixedVersion     string `json:"fixed_version"`
	Affected         string `json:"affected"`
	Confidence       string `json:"confidence"`
	EntityID         int64  `json:"-"`
	Source           string `json:"-"`
}

// AdvisorySummary is one line of « vigie-hub advisories list ».
type AdvisorySummary struct {
	Reference       string    `json:"reference"`
	Title           string    `json:"title"`
	Kind            string    `json:"kind"`
	Published       time.Time `json:"published"`
	Revised         time.Time `json:"revised"`
	ExposedEntities int       `json:"exposed_entities"`
	ExposedHosts    int       `json:"exposed_hosts"`
	// Certain is the number of hosts with at least one certain exposure.
	Certain int `json:"-"`
}

// ReviewEntry is one advisory entry the matcher could not use
// (« vigie-hub advisories review »).
type ReviewEntry struct {
	Advisory string `json:"advisory"`
	Vendor   string `json:"vendor"`
	Product  string `json:"product"`
	Text     string `json:"text"`
	Reason   string `json:"reason"`
}

// AdvisoryConfig tunes the matcher.
type AdvisoryConfig struct {
	// Window: only advisories revised within it are matched (default 2
	// years); older ones stay stored and listed.
	Window time.Duration
	// OnExposures, when set, receives the certain exposures that were not
	// there before, after each import, fetch or new inventory (never for
	// the start-up rebuild, which finds what was already known). It is
	// called from the matcher's goroutine, outside any lock: it must not
	// block for long (the alerts engine queues them). Probable exposures
	// are not sent: they need an adviser's look, not an alert.
	OnExposures func([]AdvisoryExposure)
}

type hostMeta struct {
	entityID int64
	entity   string
	sector   string
	hostname string
	key      string // what was last matched (inventory name, facts, assets)
}

// Advisories is the matcher of a hub: the compiled advisories, the
// region's index and the current exposures. Safe for concurrent use.
type Advisories struct {
	app    *App
	cfg    AdvisoryConfig
	table  *alias.Table
	region *match.Region

	mu       sync.RWMutex
	docs     map[string]*advisory.Document
	compiled map[string]*match.Advisory
	exposed  map[string]map[string][]match.Exposure // advisory -> host -> exposures
	hosts    map[string]*hostMeta                   // agent ID -> host
	imported time.Time                              // latest ImportedAt read (Refresh)
	seen     time.Time                              // hosts seen after it are queued by Refresh

	queue chan string
}

// NewAdvisories returns an empty matcher; LoadAdvisories fills it.
func (a *App) NewAdvisories(cfg AdvisoryConfig) (*Advisories, error) {
	t, err := alias.Default()
	if err != nil {
		return nil, fmt.Errorf("table d'alias : %w", err)
	}
	if cfg.Window <= 0 {
		cfg.Window = 2 * 365 * 24 * time.Hour
	}
	return &Advisories{
		app: a, cfg: cfg, table: t, region: match.NewRegion(t),
		docs: map[string]*advisory.Document{}, compiled: map[string]*match.Advisory{},
		exposed: map[string]map[string][]match.Exposure{}, hosts: map[string]*hostMeta{},
		queue: make(chan string, 4096), seen: a.Now(),
	}, nil
}

// LoadStats says what LoadAdvisories rebuilt and how long it took.
type LoadStats struct {
	Advisories, Unreadable, Hosts, Exposures int
	Duration                                 time.Duration
}

// LoadAdvisories rebuilds the matcher from the store: every host's latest
// inventory and the entities' declared assets are indexed first (no rule
// to evaluate yet), then the advisories revised within the window are
// compiled and matched against the whole region, each rule evaluated once
// per distinct version or build (match.Region.EachExposure).
func (m *Advisories) LoadAdvisories(ctx context.Context) (LoadStats, error) {
	start := time.Now()
	var st LoadStats
	rows, err := m.app.cfg.Store.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return st, err
	}
	// Reading and decoding each host's latest scorecard is most of the
	// cost: one worker per core (the region serialises only its own
	// insertions).
	work := make(chan store.HostRow)
	invs := newInvCache()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range work {
				m.matchHost(ctx, row, invs) // never fails: an unreadable host is logged and left out
			}
		}()
	}
	for _, row := range rows {
		work <- row
		st.Hosts++
	}
	close(work)
	wg.Wait()
	if _, err := m.syncEntityAssets(ctx); err != nil {
		return st, err
	}
	docs, err := m.loadDocuments(ctx)
	if err != nil {
		return st, err
	}
	st.Advisories, st.Unreadable = docs.Advisories, docs.Unreadable
	m.mu.RLock()
	for _, byHost := range m.exposed {
		for _, es := range byHost {
			st.Exposures += len(es)
		}
	}
	m.mu.RUnlock()
	st.Duration = time.Since(start)
	return st, nil
}

// LoadDocuments reads and compiles the advisories revised within the
// window without the hosts: enough for the review list.
func (m *Advisories) LoadDocuments(ctx context.Context) error {
	_, err := m.loadDocuments(ctx)
	return err
}

func (m *Advisories) loadDocuments(ctx context.Context) (LoadStats, error) {
	var st LoadStats
	recs, err := m.app.cfg.Store.AdvisoriesSince(ctx, m.app.Now().Add(-m.cfg.Window))
	if err != nil {
		return st, err
	}
	// Parsed, compiled and matched on every core.
	work := make(chan store.AdvisoryRecord)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				doc, err := advisory.Parse(r.Reference, r.Raw)
				mu.Lock()
				if err != nil {
					st.Unreadable++
				} else {
					st.Advisories++
				}
				mu.Unlock()
				if err != nil {
					// Stored by an earlier hub whose parser accepted it.
					m.app.log.Warn("advisory: stored document unreadable", "reference", r.Reference, "err", err)
					continue
				}
				m.putAdvisory(doc)
			}
		}()
	}
	for _, r := range recs {
		m.noteImported(r.ImportedAt)
		work <- r
	}
	close(work)
	wg.Wait()
	return st, nil
}

func (m *Advisories) noteImported(t time.Time) {
	m.mu.Lock()
	if t.After(m.imported) {
		m.imported = t
	}
	m.mu.Unlock()
}

// Refresh matches the advisories another process (« vigie-hub advisories
// import » beside a running hub) wrote since the last look and the
// entities' declared assets that changed (SyncEntityAssets), and sends
// their new certain exposures to the hook; it also queues the hosts whose
// scorecards arrived since (another process's « vigie-hub import »). Serve
// calls it every minute.
func (m *Advisories) Refresh(ctx context.Context) (int, error) {
	m.mu.RLock()
	after := m.imported
	m.mu.RUnlock()
	recs, err := m.app.cfg.Store.AdvisoriesImported(ctx, after)
	if err != nil {
		return 0, err
	}
	res := &advisory.Result{}
	for _, r := range recs {
		m.noteImported(r.ImportedAt)
		m.mu.RLock()
		have := m.docs[r.Reference]
		m.mu.RUnlock()
		if have != nil && !(advisory.Stamp{Revised: r.Revised, Revisions: r.Revisions}).Newer(have.Stamp()) {
			continue // this process wrote it, and matched it then
		}
		doc, err := advisory.Parse(r.Reference, r.Raw)
		if err != nil {
			m.app.log.Warn("advisory: stored document unreadable", "reference", r.Reference, "err", err)
			continue
		}
		res.Added = append(res.Added, doc)
	}
	m.apply(res)
	if err := m.SyncEntityAssets(ctx); err != nil {
		return len(res.Added), err
	}
	// Hosts whose scorecards another process stored (vigie-hub import of
	// a stick) are matched too; those this process stored were queued by
	// HostChanged already, and matching one again is cheap (its inventory
	// is decoded only when it changed).
	m.mu.RLock()
	seenAfter := m.seen
	m.mu.RUnlock()
	now := m.app.Now()
	// A minute of overlap: a scorecard's last_seen is its time of receipt,
	// and its commit may come a little later than a look in between.
	ids, err := m.app.cfg.Store.AgentsSeenSince(ctx, seenAfter.Add(-time.Minute))
	if err != nil {
		return len(res.Added), err
	}
	for _, id := range ids {
		m.HostChanged(id)
	}
	m.mu.Lock()
	m.seen = now
	m.mu.Unlock()
	return len(res.Added), nil
}

// putAdvisory compiles doc and matches it against the region; it returns
// the new certain exposures.
func (m *Advisories) putAdvisory(doc *advisory.Document) []match.Exposure {
	c := match.Compile(doc, m.table)
	exps := m.region.PutAdvisory(c)
	byHost := map[string][]match.Exposure{}
	for _, e := range exps {
		byHost[e.Host] = append(byHost[e.Host], e)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.exposed[doc.Reference]
	m.docs[doc.Reference], m.compiled[doc.Reference] = doc, c
	if len(byHost) == 0 {
		delete(m.exposed, doc.Reference)
	} else {
		m.exposed[doc.Reference] = byHost
	}
	var fresh []match.Exposure
	for host, es := range byHost {
		fresh = append(fresh, newCertain(old[host], es)...)
	}
	return fresh
}

// newCertain lists the certain exposures of now that were not in before.
func newCertain(before, now []match.Exposure) []match.Exposure {
	var out []match.Exposure
	for _, e := range now {
		if e.Confidence != match.Certain {
			continue
		}
		known := false
		for _, b := range before {
			if b.Entry == e.Entry && b.Product == e.Product && b.InstalledVersion == e.InstalledVersion && b.Confidence == e.Confidence {
				known = true
				break
			}
		}
		if !known {
			out = append(out, e)
		}
	}
	return out
}

func (m *Advisories) exposureLocked(e match.Exposure) AdvisoryExposure {
	x := AdvisoryExposure{Advisory: e.Advisory, AgentID: e.Host, Entity: e.Entity, Product: e.Product,
		InstalledVersion: e.InstalledVersion, FixedVersion: e.FixedVersion, Affected: e.Affected,
		Confidence: string(e.Confidence), Source: e.Source}
	if d := m.docs[e.Advisory]; d != nil {
		x.Title = d.Title
	}
	if h := m.hosts[e.Host]; h != nil {
		x.Entity, x.Sector, x.Hostname, x.EntityID = h.entity, h.sector, h.hostname, h.entityID
	}
	if strings.HasPrefix(e.Host, entityHostPrefix) {
		x.AgentID = "" // an entity's declared assets: no agent
	}
	return x
}
