package app

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/match"
)

// What the pages and the command line read: summaries, the review list,
// exposures, an advisory's detail, who uses a product.

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
