package api

import (
	"context"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// upload is what the hub reads of a scorecard: its summary, whether it
// carries its software inventory, and the assets it declares. The
// inventory is only noted as present (and checked as JSON, as the whole
// payload is): it is decoded, from the payload again, only when the hub
// does not hold it already, which is rare (agents send it when it changed
// or weekly, and most weekly copies are known), so the common upload costs
// no more than the summary did: no copy of a list of tens of kilobytes.
type upload struct {
	protocol.Summary `json:",inline"`
	Software         present          `json:"software"`
	Assets           []protocol.Asset `json:"assets,omitempty"`
}

// present records that a member was there (and not null), skipping its
// value.
type present bool

func (p *present) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*p = dec.PeekKind() != 'n'
	return dec.SkipValue()
}

// software is the inventory as decoded when the hub needs it.
type software struct {
	Software []protocol.Package `json:"software"`
}

// decodeUpload is protocol.DecodeSummary with the inventory and the assets:
// the same bounds and checks, in one pass over the payload.
func decodeUpload(payload []byte) (*upload, error) {
	if len(payload) > protocol.MaxScorecardSize {
		return nil, fmt.Errorf("scorecard too large: %d bytes", len(payload))
	}
	u := &upload{}
	if err := jsonv2.Unmarshal(payload, u); err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	if err := u.Summary.Validate(); err != nil {
		return nil, err
	}
	return u, nil
}

// assetsOf keeps the declared assets safe to store and show (labels clipped
// as the host's are), at most protocol.MaxAssets, leaving out those without
// a vendor or a product: a faulty entry loses itself, not the scorecard.
func assetsOf(in []protocol.Asset) []protocol.Asset {
	var out []protocol.Asset
	for _, a := range in {
		a = protocol.Asset{Vendor: protocol.Clip(a.Vendor, protocol.MaxLabel), Product: protocol.Clip(a.Product, protocol.MaxLabel),
			Version: protocol.Clip(a.Version, protocol.MaxLabel), Name: protocol.Clip(a.Name, protocol.MaxLabel)}
		if a.Vendor == "" || a.Product == "" {
			continue
		}
		if out = append(out, a); len(out) == protocol.MaxAssets {
			break
		}
	}
	return out
}

// attachInventory gives rec the inventory its scorecard names and, when it
// carries one the hub does not hold, the inventory itself, canonical and
// named by the hub's own hash (store/inventory.go says why). An inventory
// that does not decode is left out, logged, and asked for again: the
// scorecard itself is kept.
func (s *Core) attachInventory(ctx context.Context, rec *store.Scorecard, u *upload, payload []byte) error {
	rec.Inventory = u.SoftwareSHA256
	rec.Assets = assetsOf(u.Assets)
	if !u.Software {
		return nil
	}
	if rec.Inventory != "" {
		known, err := s.store.HasInventory(ctx, rec.Inventory)
		if err != nil || known {
			return err
		}
	}
	var sw software
	if err := jsonv2.Unmarshal(payload, &sw); err != nil {
		s.log.Warn("ingest: software inventory unreadable, asked again", "agent", rec.AgentID, "err", err)
		return nil
	}
	pkgs := protocol.SortPackages(sw.Software)
	canonical := protocol.CanonicalSoftware(pkgs)
	name := protocol.HashCanonical(canonical)
	if rec.Inventory == "" {
		rec.Inventory = name
	} else if name != rec.Inventory {
		// A newer agent's fields, which this hub does not know, change
		// the canonical form: kept under the hub's name (store).
		s.log.Debug("ingest: inventory name differs from the hub's", "agent", rec.AgentID, "agent_sha256", rec.Inventory, "hub_sha256", name)
	}
	rec.NewInventory = &store.NewInventory{SHA256: name, Canonical: canonical, Packages: len(pkgs)}
	return nil
}
