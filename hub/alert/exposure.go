package alert

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Recent is how recently an advisory must have been published or revised
// for a new exposure to it to alert: the first import of two years of
// advisories alerts nothing (the pages show it all).
const Recent = 7 * 24 * time.Hour

// Found is one certain exposure of an entity to an advisory, as the
// advisory matching (hub/advisory) finds it: one per (advisory, entity),
// listing the hosts and versions concerned. Probable exposures are not
// reported here: they do not alert.
type Found struct {
	Advisory AdvisoryRef // with its publication and last revision (zero: never revised)
	EntityID int64
	Exposed  []ExposedHost
}

// ExposureSink is what the advisory matching calls after each run.
type ExposureSink interface {
	// Exposures reports ALL the certain exposures of the listed entities
	// as of this run. A new (advisory, entity) alerts once ("exposure")
	// when the advisory was published or revised within Recent, and is
	// recorded silently otherwise; an (advisory, entity) reported before
	// and absent now is gone: "fixed" when it had alerted. Entities not
	// listed are left as they are. Idempotent: the same report twice
	// changes nothing.
	Exposures(ctx context.Context, entities []int64, found []Found) error
}

var _ ExposureSink = (*Engine)(nil)

func exposureSubject(advisory string, entity int64) string {
	return advisory + "|" + strconv.FormatInt(entity, 10)
}

// Exposures implements ExposureSink, in one transaction: events, their
// deliveries and the open exposures.
func (e *Engine) Exposures(ctx context.Context, entities []int64, found []Found) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.ready {
		if err := e.load(ctx); err != nil {
			return err
		}
	}
	p := e.newPass()
	scope := map[int64]bool{}
	for _, id := range entities {
		scope[id] = true
	}
	current := map[openKey]bool{}
	for _, f := range found {
		if !scope[f.EntityID] {
			return fmt.Errorf("exposition à %s de l'entité %d, absente des entités du rapport", f.Advisory.ID, f.EntityID)
		}
		if f.Advisory.ID == "" || strings.Contains(f.Advisory.ID, "|") {
			return fmt.Errorf("identifiant d'avis invalide %q", f.Advisory.ID)
		}
		k := openKey{string(Exposure), exposureSubject(f.Advisory.ID, f.EntityID)}
		if current[k] {
			continue
		}
		current[k] = true
		if _, ok := p.isOpen(k); ok {
			continue
		}
		latest := f.Advisory.Published
		if f.Advisory.Revised.After(latest) {
			latest = f.Advisory.Revised
		}
		o := store.OpenAlert{Kind: k.kind, Subject: k.subject, EntityID: f.EntityID, EventIndex: -1, OpenedAt: p.now}
		if p.now.Sub(latest) <= Recent {
			adv := f.Advisory
			hosts := slices.Clone(f.Exposed)
			slices.SortFunc(hosts, func(a, b ExposedHost) int { return strings.Compare(a.Hostname+a.AgentID, b.Hostname+b.AgentID) })
			o.EventIndex = p.add(pending{kind: Exposure, entityID: f.EntityID, data: &Data{Advisory: &adv, Exposed: hosts}})
		}
		p.openAlert(o)
	}
	for k, o := range e.open {
		if k.kind != string(Exposure) || !scope[o.EntityID] || current[k] {
			continue
		}
		p.closeAlert(k)
		if o.EventID != 0 {
			adv, _, _ := strings.Cut(k.subject, "|")
			p.add(pending{kind: Fixed, entityID: o.EntityID, data: &Data{Advisory: &AdvisoryRef{ID: adv}, Fixes: Exposure}})
		}
	}
	return e.commit(ctx, p)
}
