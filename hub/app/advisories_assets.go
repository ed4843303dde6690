package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/hub/advisory/match"
)

// Appliances an adviser declared for an entity (a FortiGate, a NAS, a
// hypervisor no agent runs on: assets.go) are matched like a host's
// software. Each entity's declared assets form one inventory of the region,
// under the ID entityHost gives, without facts; its exposures name the
// entity, no agent, and the host column says « équipements déclarés ».
// Assets an agent declares in its configuration come with its scorecards
// and are matched with that host.

const entityHostPrefix = "entity:"

// entityHost is the region's ID of an entity's declared assets; it cannot
// be an agent's ID (protocol.KeyID is hexadecimal).
func entityHost(entityID int64) string { return entityHostPrefix + strconv.FormatInt(entityID, 10) }

// declaredLabel is the host column of an exposure of declared assets.
const declaredLabel = "équipements déclarés"

// SyncEntityAssets matches the entities' adviser-declared assets that
// changed since the last look (all of them the first time), forgets those
// of entities that have none left, and sends the new certain exposures to
// the hook. LoadAdvisories and Refresh call it: an asset an adviser adds
// shows within a minute, whichever process wrote it.
func (m *Advisories) SyncEntityAssets(ctx context.Context) error {
	fresh, err := m.syncEntityAssets(ctx)
	if err != nil {
		return err
	}
	m.notify(fresh)
	return nil
}

func (m *Advisories) syncEntityAssets(ctx context.Context) ([]match.Exposure, error) {
	rows, err := m.app.cfg.Store.AdviserAssets(ctx)
	if err != nil {
		return nil, fmt.Errorf("équipements déclarés : %w", err)
	}
	invs := map[string]*match.Inventory{}
	metas := map[string]*hostMeta{}
	var order []string
	for _, r := range rows { // by entity
		id := entityHost(r.EntityID)
		inv := invs[id]
		if inv == nil {
			inv = &match.Inventory{Host: id, Entity: r.Entity}
			invs[id] = inv
			metas[id] = &hostMeta{entityID: r.EntityID, entity: r.Entity, sector: r.Sector, hostname: declaredLabel}
			order = append(order, id)
		}
		inv.Assets = append(inv.Assets, match.Asset{Vendor: r.Vendor, Product: r.Product, Version: r.Version, Name: r.Name})
	}
	var fresh []match.Exposure
	for _, id := range order {
		meta := metas[id]
		// The entity's name and sector are in the key: a renamed entity
		// shows under its new name.
		meta.key = fmt.Sprintf("%s|%s|%+v", meta.entity, meta.sector, invs[id].Assets)
		m.mu.RLock()
		h := m.hosts[id]
		same := h != nil && h.key == meta.key
		m.mu.RUnlock()
		if !same {
			fresh = append(fresh, m.putHost(invs[id], meta)...)
		}
	}
	m.mu.RLock()
	var gone []string
	for id := range m.hosts {
		if strings.HasPrefix(id, entityHostPrefix) && invs[id] == nil {
			gone = append(gone, id)
		}
	}
	m.mu.RUnlock()
	for _, id := range gone {
		m.removeHost(id)
	}
	return fresh, nil
}
