package match

import (
	"runtime"
	"sync"

	"github.com/vigie-cyber/vigie/hub/advisory/affected"
)

// Matching an advisory against a region evaluates each rule once per
// distinct variant of what the rule reads, not once per host: a region's
// hosts run a few versions of each product and a few Windows builds (a
// fleet is updated by the same channels), so 20,000 hosts behind a key are
// a few dozen variants. A product rule reads only the item (name, version,
// source, architecture, declared or installed), a Windows line only the OS
// facts (build, installation type, edition, architecture): both are
// interned when a host is indexed. Debian rules read the host's codename
// and running kernel beside the package and are evaluated per posting
// (their keys carry few hosts).

// itemVariant is what eval reads of an item for a product rule.
type itemVariant struct {
	name, version, source, arch string
	asset                       bool
}

// osVariant is what evalWindows reads of a host.
type osVariant struct {
	build, installation, edition, arch string
}

// variantsLocked interns the variants of a host being indexed (r.mu held).
// Variants are never forgotten: their number is that of the distinct
// (product, version) pairs and builds a region has seen, small beside the
// postings.
func (r *Region) variantsLocked(h *host) {
	if r.itemVars == nil {
		r.itemVars, r.osVars = map[itemVariant]int32{}, map[osVariant]int32{}
	}
	f := &h.facts
	ok := osVariant{f.OSBuild, f.OSInstallation, f.OSEdition, f.Arch}
	id, found := r.osVars[ok]
	if !found {
		id = int32(len(r.osVars))
		r.osVars[ok] = id
	}
	h.osvid = id
	for i := range h.items {
		it := &h.items[i]
		k := itemVariant{it.sw.Name, it.sw.Version, it.sw.Source, it.sw.Arch, it.asset}
		id, found := r.itemVars[k]
		if !found {
			id = int32(len(r.itemVars))
			r.itemVars[k] = id
		}
		it.vid = id
	}
}

// memoResult is a rule's outcome for one variant: the exposure without its
// host.
type memoResult struct {
	e  Exposure
	ok bool
}

// EachExposure calls fn with each exposure of an advisory across the region,
// without collecting them: a full re-match of a large region yields
// millions.
func (r *Region) EachExposure(a *Advisory, fn func(Exposure)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	// One memo per rule, its storage reused from rule to rule: the
	// exposures are large values, the map only indexes them.
	memo := map[int32]int32{}
	var results []memoResult
	for _, rule := range a.Rules {
		var seen map[posting]bool
		if len(rule.Keys) > 1 {
			// An item can be reached by several keys of one rule (a
			// declared asset by its product and by its line).
			seen = map[posting]bool{}
		}
		kind := rule.Parsed.Kind
		memoized := kind != affected.Distro
		clear(memo)
		results = results[:0]
		for _, k := range rule.Keys {
			for _, p := range r.post[k] {
				if !r.current(p.host, p.gen) {
					continue
				}
				if seen != nil {
					if seen[p] {
						continue
					}
					seen[p] = true
				}
				if !memoized {
					if e, ok := r.eval(rule, p.host, p.item); ok {
						fn(e)
					}
					continue
				}
				h := r.hosts[p.host]
				var vid int32
				switch {
				case kind == affected.Windows && p.item == -1:
					vid = h.osvid
				case kind != affected.Windows && p.item >= 0:
					vid = h.items[p.item].vid
				default:
					continue // eval refuses these pairs
				}
				ri, done := memo[vid]
				if !done {
					var m memoResult
					m.e, m.ok = r.eval(rule, p.host, p.item)
					ri = int32(len(results))
					results = append(results, m)
					memo[vid] = ri
				}
				if m := &results[ri]; m.ok {
					e := m.e
					e.Host, e.Entity = h.id, h.entity
					fn(e)
				}
			}
		}
	}
}

const matchAllBatch = 4096

// MatchAll re-matches every stored advisory against every host, calling fn
// with each exposure. Advisories are evaluated on every core; fn is called
// from one goroutine at a time.
func (r *Region) MatchAll(fn func(Exposure)) {
	r.mu.RLock()
	advs := make([]*Advisory, 0, len(r.advisories))
	for _, a := range r.advisories {
		advs = append(advs, a)
	}
	r.mu.RUnlock()
	work := make(chan *Advisory)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Exposures are handed over in batches of a bounded size,
			// reused: a full re-match yields millions, which must not
			// be held (nor scanned by the collector) at once.
			batch := make([]Exposure, 0, matchAllBatch)
			flush := func() {
				mu.Lock()
				for _, e := range batch {
					fn(e)
				}
				mu.Unlock()
				clear(batch)
				batch = batch[:0]
			}
			for a := range work {
				r.EachExposure(a, func(e Exposure) {
					if batch = append(batch, e); len(batch) == matchAllBatch {
						flush()
					}
				})
			}
			flush()
		}()
	}
	for _, a := range advs {
		work <- a
	}
	close(work)
	wg.Wait()
}
