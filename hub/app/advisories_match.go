package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/hub/advisory/match"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Matching hosts: each host's inventory and facts read from its latest
// scorecards, matched beside ingestion (HostChanged, RunMatcher).

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
