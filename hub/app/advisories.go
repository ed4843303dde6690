package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/match"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
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
		queue: make(chan string, 4096),
	}, nil
}

// LoadStats says what LoadAdvisories rebuilt and how long it took.
type LoadStats struct {
	Advisories, Unreadable, Hosts, Exposures int
	Duration                                 time.Duration
}

// LoadAdvisories rebuilds the matcher from the store: the advisories
// revised within the window, then every host's latest inventory.
func (m *Advisories) LoadAdvisories(ctx context.Context) (LoadStats, error) {
	start := time.Now()
	st, err := m.loadDocuments(ctx)
	if err != nil {
		return st, err
	}
	rows, err := m.app.cfg.Store.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return st, err
	}
	// Reading and decoding each host's latest scorecard is most of the
	// cost: one worker per core (the region serialises only its own
	// insertions).
	work := make(chan store.HostRow)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range work {
				m.matchHost(ctx, row) // never fails: an unreadable host is logged and left out
			}
		}()
	}
	for _, row := range rows {
		work <- row
		st.Hosts++
	}
	close(work)
	wg.Wait()
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
	for _, r := range recs {
		m.noteImported(r.ImportedAt)
		doc, err := advisory.Parse(r.Reference, r.Raw)
		if err != nil {
			// Stored by an earlier hub whose parser accepted it.
			m.app.log.Warn("advisory: stored document unreadable", "reference", r.Reference, "err", err)
			st.Unreadable++
			continue
		}
		m.putAdvisory(doc)
		st.Advisories++
	}
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
// import » beside a running hub) wrote since the last look, and sends their
// new certain exposures to the hook. Serve calls it every minute.
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

// hostInventory reads what the matcher needs of a host: the facts and
// declared assets of its latest scorecard and its software inventory, with
// a key that changes whenever any of them does.
func (m *Advisories) hostInventory(ctx context.Context, row store.HostRow) (*match.Inventory, string, error) {
	sc, err := m.app.cfg.Store.LatestScorecard(ctx, row.Agent.ID)
	if err != nil {
		return nil, "", err
	}
	card, err := OpenStored(sc.Envelope)
	if err != nil {
		return nil, "", fmt.Errorf("bilan %s de %s illisible : %w", sc.ID, row.Agent.ID, err)
	}
	h := card.Host
	inv := &match.Inventory{Host: row.Agent.ID, Entity: row.Agent.Entity, Facts: match.Facts{
		OS: hostOS(h), PlatformFamily: h.PlatformFamily, OSBuild: h.OSBuild, OSRelease: h.OSRelease,
		OSEdition: h.OSEdition, OSInstallation: h.OSInstallation, Arch: h.Arch, OSCodename: h.OSCodename,
		KernelPackageVersion: h.KernelPackageVersion,
	}}
	for _, as := range card.Assets {
		inv.Assets = append(inv.Assets, match.Asset{Vendor: as.Vendor, Product: as.Product, Version: as.Version, Name: as.Name})
	}
	pkgs, name, err := m.software(ctx, row.Agent.ID, card)
	if err != nil {
		return nil, "", err
	}
	for _, p := range pkgs {
		inv.Software = append(inv.Software, match.Software{Name: p.Name, Version: p.Version, Publisher: p.Publisher,
			Source: p.Source, Arch: p.Arch, SourcePackage: p.SourcePackage, SourceVersion: p.SourceVersion})
	}
	key := fmt.Sprintf("%s|%+v|%+v", name, inv.Facts, inv.Assets)
	return inv, key, nil
}

// software is the host's inventory: the one its latest scorecard carries
// or, when that one names it by hash alone (the agent sends the list only
// when it changed), the list of the most recent earlier scorecard that
// carried the same hash, among the last historyDepth.
func (m *Advisories) software(ctx context.Context, agentID string, card *protocol.Scorecard) ([]protocol.Package, string, error) {
	if len(card.Software) > 0 || card.SoftwareSHA256 == "" {
		return card.Software, card.SoftwareSHA256, nil
	}
	pts, err := m.app.cfg.Store.History(ctx, agentID, historyDepth)
	if err != nil {
		return nil, "", err
	}
	for i := len(pts) - 1; i >= 0; i-- {
		if pts[i].ID == card.ID {
			continue
		}
		sc, err := m.app.cfg.Store.Scorecard(ctx, pts[i].AgentID, pts[i].ID) // a linked history holds the old key's
		if err != nil {
			return nil, "", err
		}
		old, err := OpenStored(sc.Envelope)
		if err != nil || len(old.Software) == 0 {
			continue
		}
		if old.SoftwareSHA256 == card.SoftwareSHA256 || protocol.SoftwareSHA256(old.Software) == card.SoftwareSHA256 {
			return old.Software, card.SoftwareSHA256, nil
		}
	}
	return nil, card.SoftwareSHA256, errNoList
}

// historyDepth bounds the scorecards read back to find a host's list.
const historyDepth = 60

var errNoList = errors.New("inventory named but not carried")

// hostOS is the OS name match.Facts expects: "windows", or the Linux
// distribution ("debian", "ubuntu", "rocky").
func hostOS(h protocol.HostInfo) string {
	if strings.EqualFold(h.OS, "windows") {
		return "windows"
	}
	if h.Platform != "" {
		return strings.ToLower(h.Platform)
	}
	return strings.ToLower(h.OS)
}

// matchHost matches a host's latest inventory unless it is the one last
// matched; it returns the new certain exposures.
func (m *Advisories) matchHost(ctx context.Context, row store.HostRow) ([]match.Exposure, error) {
	if row.Latest == nil || row.Agent.Revoked() {
		m.removeHost(row.Agent.ID)
		return nil, nil
	}
	inv, key, err := m.hostInventory(ctx, row)
	if errors.Is(err, errNoList) {
		return nil, nil // keeps its last matched inventory
	}
	if err != nil {
		m.app.log.Warn("advisory: host inventory unreadable", "agent", row.Agent.ID, "err", err)
		return nil, nil
	}
	m.mu.RLock()
	h := m.hosts[row.Agent.ID]
	same := h != nil && h.key == key
	m.mu.RUnlock()
	if same {
		return nil, nil
	}
	exps := m.region.Put(inv)
	byAdv := map[string][]match.Exposure{}
	for _, e := range exps {
		byAdv[e.Advisory] = append(byAdv[e.Advisory], e)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts[row.Agent.ID] = &hostMeta{entityID: row.Agent.EntityID, entity: row.Agent.Entity, sector: row.Agent.Sector,
		hostname: hostname(row), key: key}
	var fresh []match.Exposure
	for ref, byHost := range m.exposed {
		if _, ok := byAdv[ref]; !ok {
			delete(byHost, row.Agent.ID) // upgraded: leaves the list
			if len(byHost) == 0 {
				delete(m.exposed, ref)
			}
		}
	}
	for ref, es := range byAdv {
		byHost := m.exposed[ref]
		if byHost == nil {
			byHost = map[string][]match.Exposure{}
			m.exposed[ref] = byHost
		}
		fresh = append(fresh, newCertain(byHost[row.Agent.ID], es)...)
		byHost[row.Agent.ID] = es
	}
	return fresh, nil
}

// hostname is the name the host's latest scorecard gives, else its label.
func hostname(row store.HostRow) string {
	if row.Latest != nil && row.Latest.Hostname != "" {
		return row.Latest.Hostname
	}
	return HostLabel(row.Agent)
}

func (m *Advisories) removeHost(id string) {
	m.region.Remove(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.hosts, id)
	for ref, byHost := range m.exposed {
		delete(byHost, id)
		if len(byHost) == 0 {
			delete(m.exposed, ref)
		}
	}
}

// HostChanged tells the matcher that an agent's latest scorecard changed.
// It only queues the agent (never blocks ingestion: when the queue is full
// the agent is dropped and matched at the next start or scorecard).
func (m *Advisories) HostChanged(agentID string) {
	select {
	case m.queue <- agentID:
	default:
		m.app.log.Warn("advisory: match queue full, host left for later", "agent", agentID)
	}
}

// RunMatcher matches the queued hosts until ctx is done.
func (m *Advisories) RunMatcher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-m.queue:
			if err := m.MatchHost(ctx, id); err != nil && ctx.Err() == nil {
				m.app.log.Warn("advisory: match", "agent", id, "err", err)
			}
		}
	}
}

// MatchHost matches one agent's latest inventory now.
func (m *Advisories) MatchHost(ctx context.Context, agentID string) error {
	ag, err := m.app.cfg.Store.Agent(ctx, agentID)
	if err != nil {
		return err
	}
	row := store.HostRow{Agent: ag}
	if sc, err := m.app.cfg.Store.LatestScorecard(ctx, agentID); err == nil {
		row.Latest = sc
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	fresh, err := m.matchHost(ctx, row)
	if err != nil {
		return err
	}
	m.notify(fresh)
	return nil
}

func (m *Advisories) notify(fresh []match.Exposure) {
	if len(fresh) == 0 || m.cfg.OnExposures == nil {
		return
	}
	m.mu.RLock()
	out := make([]AdvisoryExposure, 0, len(fresh))
	for _, e := range fresh {
		out = append(out, m.exposureLocked(e))
	}
	m.mu.RUnlock()
	m.cfg.OnExposures(out)
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
	return x
}

// ImportResult says what an import or a fetch did.
type ImportResult struct {
	Added, Replaced, Unchanged int
	Errors                     []error
	NewExposures               int // certain exposures that were not there before
}

// storeAdapter is the hub's store as the importer's advisory.Store.
type storeAdapter struct {
	ctx context.Context
	st  store.Store
	now time.Time
}

func (s storeAdapter) Stamp(ref string) (advisory.Stamp, bool, error) {
	rev, n, ok, err := s.st.AdvisoryStamp(s.ctx, ref)
	return advisory.Stamp{Revised: rev, Revisions: n}, ok, err
}

func (s storeAdapter) Put(doc *advisory.Document, raw []byte) error {
	_, err := s.st.PutAdvisory(s.ctx, store.AdvisoryRecord{Reference: doc.Reference, Kind: string(doc.Kind()), Title: doc.Title,
		Published: doc.Published(), Revised: doc.Revised(), Revisions: len(doc.Revisions), Raw: raw, ImportedAt: s.now})
	return err
}

// Import reads CERT-FR documents from paths (files, directories, .tar,
// .tar.gz, .tar.zst) into the store and matches the new and revised ones
// against the region. onError sees each malformed document as it is met.
func (m *Advisories) Import(ctx context.Context, by string, onError func(error), paths ...string) (ImportResult, error) {
	im := &advisory.Importer{Store: storeAdapter{ctx, m.app.cfg.Store, m.app.Now()}, OnError: onError}
	res, err := im.Import(ctx, paths...)
	if err != nil {
		return ImportResult{}, err
	}
	m.noteImported(m.app.Now())
	out := m.apply(res)
	m.app.Record(ctx, by, "advisories_import", strings.Join(paths, " "),
		fmt.Sprintf("ajoutés %d, remplacés %d, inchangés %d, erreurs %d", out.Added, out.Replaced, out.Unchanged, len(out.Errors)))
	return out, nil
}

// apply matches an import's new and revised documents.
func (m *Advisories) apply(res *advisory.Result) ImportResult {
	out := ImportResult{Added: len(res.Added), Replaced: len(res.Replaced), Unchanged: res.Unchanged, Errors: res.Errors}
	cutoff := m.app.Now().Add(-m.cfg.Window)
	var fresh []match.Exposure
	for _, doc := range res.Changed() {
		if doc.Revised().Before(cutoff) {
			continue // stored, listed, not matched (outside the window)
		}
		fresh = append(fresh, m.putAdvisory(doc)...)
	}
	out.NewExposures = len(fresh)
	m.notify(fresh)
	return out
}

// Summaries lists the stored advisories (all of them, matched or not),
// exposed ones first then by revision date; exposedOnly keeps those with at
// least one exposed host; sector, when set, counts only its entities.
func (m *Advisories) Summaries(ctx context.Context, exposedOnly bool, sector string) ([]AdvisorySummary, error) {
	recs, err := m.app.cfg.Store.AdvisoriesSince(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []AdvisorySummary
	for _, r := range recs {
		s := AdvisorySummary{Reference: r.Reference, Title: r.Title, Kind: r.Kind, Published: r.Published, Revised: r.Revised}
		ents := map[string]bool{}
		for host, es := range m.exposed[r.Reference] {
			h := m.hosts[host]
			if h == nil || (sector != "" && h.sector != sector) {
				continue
			}
			s.ExposedHosts++
			ents[h.entity] = true
			for _, e := range es {
				if e.Confidence == match.Certain {
					s.Certain++
					break
				}
			}
		}
		s.ExposedEntities = len(ents)
		if exposedOnly && s.ExposedHosts == 0 {
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].ExposedHosts > 0) != (out[j].ExposedHosts > 0) {
			return out[i].ExposedHosts > 0
		}
		return false // already by revision date, latest first
	})
	return out, nil
}

// Review lists the entries of the matched advisories that were not
// understood, by advisory (latest reference first) then entry.
func (m *Advisories) Review() []ReviewEntry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	refs := make([]string, 0, len(m.compiled))
	for ref := range m.compiled {
		refs = append(refs, ref)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(refs)))
	var out []ReviewEntry
	for _, ref := range refs {
		for _, r := range m.compiled[ref].Review {
			out = append(out, ReviewEntry{Advisory: r.Advisory, Vendor: r.Vendor, Product: r.Product, Text: r.Text, Reason: r.Reason})
		}
	}
	return out
}

// ExposureFilter narrows Exposures.
type ExposureFilter struct {
	Advisory string // reference, exact
	Entity   string // entity name, exact ignoring case
	EntityID int64
	AgentID  string
}

// Exposures lists the current exposures, by advisory (latest first),
// entity, host and product.
func (m *Advisories) Exposures(f ExposureFilter) []AdvisoryExposure {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []AdvisoryExposure
	for ref, byHost := range m.exposed {
		if f.Advisory != "" && ref != f.Advisory {
			continue
		}
		for host, es := range byHost {
			if f.AgentID != "" && host != f.AgentID {
				continue
			}
			for _, e := range es {
				x := m.exposureLocked(e)
				if (f.Entity != "" && !strings.EqualFold(x.Entity, f.Entity)) || (f.EntityID != 0 && x.EntityID != f.EntityID) {
					continue
				}
				out = append(out, x)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Advisory != b.Advisory {
			return a.Advisory > b.Advisory
		}
		if a.Entity != b.Entity {
			return a.Entity < b.Entity
		}
		if a.Hostname != b.Hostname {
			return a.Hostname < b.Hostname
		}
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		return a.Affected < b.Affected
	})
	return out
}

// AdvisoryDetail is what the advisory page shows.
type AdvisoryDetail struct {
	Summary   AdvisorySummary
	URL       string
	Solution  string
	CVEs      []string
	Exposures []AdvisoryExposure
	Review    []ReviewEntry
	Releases  []match.ReleaseCount
	Matched   bool // within the window (compiled); false: stored only
}

// Detail returns an advisory with its exposures. ErrNotFound when the hub
// does not hold it.
func (m *Advisories) Detail(ctx context.Context, ref string) (AdvisoryDetail, error) {
	r, err := m.app.cfg.Store.Advisory(ctx, ref)
	if err != nil {
		return AdvisoryDetail{}, err
	}
	doc, err := advisory.Parse(ref, r.Raw)
	if err != nil {
		return AdvisoryDetail{}, err
	}
	d := AdvisoryDetail{Summary: AdvisorySummary{Reference: r.Reference, Title: r.Title, Kind: r.Kind, Published: r.Published, Revised: r.Revised},
		URL: doc.URL(), Solution: Solution(doc.Content)}
	for _, c := range doc.CVEs {
		d.CVEs = append(d.CVEs, c.Name)
	}
	d.Exposures = m.Exposures(ExposureFilter{Advisory: ref})
	hosts, ents := map[string]bool{}, map[string]bool{}
	for _, e := range d.Exposures {
		hosts[e.AgentID], ents[e.Entity] = true, true
	}
	d.Summary.ExposedHosts, d.Summary.ExposedEntities = len(hosts), len(ents)
	m.mu.RLock()
	c := m.compiled[ref]
	m.mu.RUnlock()
	if c != nil {
		d.Matched = true
		for _, rv := range c.Review {
			d.Review = append(d.Review, ReviewEntry{Advisory: rv.Advisory, Vendor: rv.Vendor, Product: rv.Product, Text: rv.Text, Reason: rv.Reason})
		}
		d.Releases = m.region.ReleaseCounts(c)
	}
	return d, nil
}

// Solution is the "## Solution(s)" section of an advisory's Markdown
// content, without its heading; empty when there is none.
func Solution(content string) string {
	lines := strings.Split(content, "\n")
	var out []string
	in := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") {
			h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(t, "#")))
			if in {
				break
			}
			in = strings.HasPrefix(h, "solution")
			continue
		}
		if in {
			out = append(out, l)
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// WhoUses lists the region's hosts running a program whose name contains
// product (any case), in the optional version range [from, to].
func (m *Advisories) WhoUses(product, from, to string) []AdvisoryExposure {
	if strings.TrimSpace(product) == "" {
		return nil
	}
	uses := m.region.WhoUses(product, from, to)
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]AdvisoryExposure, 0, len(uses))
	for _, u := range uses {
		x := AdvisoryExposure{AgentID: u.Host, Entity: u.Entity, Product: u.Name, InstalledVersion: u.Version}
		if h := m.hosts[u.Host]; h != nil {
			x.Sector, x.Hostname, x.EntityID = h.sector, h.hostname, h.entityID
		}
		out = append(out, x)
	}
	return out
}
