package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vigie-cyber/vigie/hub/advisory/match"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Matching hosts: each host's inventory and facts read from its latest
// scorecards, matched beside ingestion (HostChanged, RunMatcher).

// hostInventory reads what the matcher needs of a host: the facts and
// declared assets of its latest scorecard and its software inventory, with
// a key that changes whenever any of them does; a nil inventory when the
// key is the one last matched.
//
// The software is the inventory the hub stores once under its hash (issue
// 15), the one the agent's scorecards last resolved to: a scorecard naming
// its inventory by hash alone costs no walk through older envelopes, and
// hosts sharing an inventory (a master image) share its decoding through
// invs during a rebuild. A scorecard stored without a resolved inventory
// (before the hub kept them) is read for the list it carries.
func (m *Advisories) hostInventory(ctx context.Context, row store.HostRow, invs *invCache) (*match.Inventory, string, error) {
	sc := row.Latest
	if sc == nil || len(sc.Envelope) == 0 { // Hosts lists them without
		var err error
		if sc, err = m.app.cfg.Store.LatestScorecard(ctx, row.Agent.ID); err != nil {
			return nil, "", err
		}
	}
	card, err := openFacts(sc.Envelope)
	if err != nil {
		return nil, "", fmt.Errorf("bilan %s de %s illisible : %w", sc.ID, row.Agent.ID, err)
	}
	h := card.Host
	release := h.OSRelease
	if release == "" && hostOS(h) != "windows" {
		// Linux: the platform version the agent reads (Debian's
		// debian_version "12.7", Ubuntu's "22.04", os-release's VERSION_ID
		// "3.0" on Azure Linux); release entries are matched on it.
		release = h.PlatformVersion
	}
	inv := &match.Inventory{Host: row.Agent.ID, Entity: row.Agent.Entity, Facts: match.Facts{
		OS: hostOS(h), PlatformFamily: h.PlatformFamily, OSBuild: h.OSBuild, OSRelease: release,
		OSEdition: h.OSEdition, OSInstallation: h.OSInstallation, Arch: h.Arch, OSCodename: h.OSCodename,
		KernelPackageVersion: h.KernelPackageVersion,
	}}
	for _, as := range card.Assets {
		inv.Assets = append(inv.Assets, match.Asset{Vendor: as.Vendor, Product: as.Product, Version: as.Version, Name: as.Name})
	}
	id, err := m.app.cfg.Store.AgentInventory(ctx, row.Agent.ID)
	if err != nil {
		return nil, "", err
	}
	name := ""
	switch {
	case id != 0:
		name = "inv:" + strconv.FormatInt(id, 10)
	case len(card.Software) > 0 && card.Software.Kind() == '[':
		name = "card:" + card.SoftwareSHA256
	case card.SoftwareSHA256 != "":
		return nil, "", errNoList
	}
	key := fmt.Sprintf("%s|%+v|%+v", name, inv.Facts, inv.Assets)
	// Most scorecards repeat the host's inventory and facts: the list is
	// decoded only when something changed.
	m.mu.RLock()
	last := m.hosts[row.Agent.ID]
	same := last != nil && last.key == key
	m.mu.RUnlock()
	if same {
		return nil, key, nil
	}
	if id != 0 {
		if inv.Software, err = invs.get(ctx, m.app.cfg.Store, id); err != nil {
			return nil, "", err
		}
	} else {
		var pkgs []protocol.Package
		if err := jsonv2.Unmarshal(card.Software, &pkgs); err != nil {
			return nil, "", fmt.Errorf("inventaire du bilan %s de %s illisible : %w", sc.ID, row.Agent.ID, err)
		}
		inv.Software = matchSoftware(pkgs)
	}
	return inv, key, nil
}

// scorecardFacts is what the matcher reads of a scorecard: the host's
// facts and declared assets, and the inventory it carries left undecoded
// (read only when the hub did not store it). The matcher reads every
// scorecard stored: decoding its results and a thousand packages each time
// would cost more than the ingestion it runs beside.
type scorecardFacts struct {
	Host           protocol.HostInfo `json:"host"`
	Assets         []protocol.Asset  `json:"assets"`
	Software       jsontext.Value    `json:"software"`
	SoftwareSHA256 string            `json:"software_sha256"`
}

// openFacts decodes the facts of a stored envelope without checking its
// signature: the hub verified these very bytes on receipt (OpenStored).
func openFacts(envelope []byte) (*scorecardFacts, error) {
	env, err := protocol.ParseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	payload, err := protocol.OpenUnverified(env, protocol.PayloadType)
	if err != nil {
		return nil, err
	}
	// json/v2 (as ingestion decodes): it skips the results and the
	// list without building them, several times faster than
	// encoding/json on a thousand packages.
	var f scorecardFacts
	if err := jsonv2.Unmarshal(payload, &f, jsonv2.RejectUnknownMembers(false)); err != nil {
		return nil, err
	}
	return &f, nil
}

// errNoList: the scorecard names an inventory the hub does not hold (it
// asked the agent for it): the host keeps its last matched inventory.
var errNoList = errors.New("inventory named but not held")

func matchSoftware(pkgs []protocol.Package) []match.Software {
	out := make([]match.Software, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, match.Software{Name: p.Name, Version: p.Version, Publisher: p.Publisher,
			Source: p.Source, Arch: p.Arch, SourcePackage: p.SourcePackage, SourceVersion: p.SourceVersion})
	}
	return out
}

// invCache shares the decoded stored inventories between the hosts of one
// rebuild (nil: no sharing). The region only reads an inventory's list. It
// keeps at most invCacheSize lists (a thousand packages are a few hundred
// kilobytes decoded): a region whose hosts all differ must not hold every
// list at once.
type invCache struct {
	mu sync.Mutex
	m  map[int64]*invEntry
}

type invEntry struct {
	once sync.Once
	sw   []match.Software
	err  error
}

const invCacheSize = 256

func newInvCache() *invCache { return &invCache{m: map[int64]*invEntry{}} }

func (c *invCache) get(ctx context.Context, st store.Store, id int64) ([]match.Software, error) {
	load := func() ([]match.Software, error) {
		inv, err := st.InventoryByID(ctx, id)
		if err != nil {
			return nil, err
		}
		return matchSoftware(inv.Packages), nil
	}
	if c == nil {
		return load()
	}
	c.mu.Lock()
	e := c.m[id]
	if e == nil {
		if len(c.m) >= invCacheSize {
			for k := range c.m { // any one: the hosts come in no useful order
				delete(c.m, k)
				break
			}
		}
		e = &invEntry{}
		c.m[id] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.sw, e.err = load() })
	return e.sw, e.err
}

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
func (m *Advisories) matchHost(ctx context.Context, row store.HostRow, invs *invCache) ([]match.Exposure, error) {
	if row.Latest == nil || row.Agent.Revoked() {
		m.removeHost(row.Agent.ID)
		return nil, nil
	}
	inv, key, err := m.hostInventory(ctx, row, invs)
	if errors.Is(err, errNoList) {
		return nil, nil // keeps its last matched inventory
	}
	if err != nil {
		m.app.log.Warn("advisory: host inventory unreadable", "agent", row.Agent.ID, "err", err)
		return nil, nil
	}
	if inv == nil {
		return nil, nil // unchanged: not matched again
	}
	return m.putHost(inv, &hostMeta{entityID: row.Agent.EntityID, entity: row.Agent.Entity, sector: row.Agent.Sector,
		hostname: hostname(row), key: key}), nil
}

// putHost indexes a host's (or an entity's declared assets') inventory,
// replacing the exposures it had; it returns the new certain ones.
func (m *Advisories) putHost(inv *match.Inventory, meta *hostMeta) []match.Exposure {
	exps := m.region.Put(inv)
	byAdv := map[string][]match.Exposure{}
	for _, e := range exps {
		byAdv[e.Advisory] = append(byAdv[e.Advisory], e)
	}
	id := inv.Host
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts[id] = meta
	var fresh []match.Exposure
	for ref, byHost := range m.exposed {
		if _, ok := byAdv[ref]; !ok {
			delete(byHost, id) // upgraded: leaves the list
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
		fresh = append(fresh, newCertain(byHost[id], es)...)
		byHost[id] = es
	}
	return fresh
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

// Pending is the number of hosts queued and not yet matched.
func (m *Advisories) Pending() int { return len(m.queue) }

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
	fresh, err := m.matchHost(ctx, row, nil)
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
