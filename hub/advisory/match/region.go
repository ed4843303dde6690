package match

import (
	"sort"
	"strings"
	"sync"

	"github.com/vigie-cyber/vigie/hub/advisory/affected"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/version"
)

// Region indexes the latest inventory of every host of a region and the
// compiled advisories, both ways: by key, the postings (host, item) of the
// inventories and the rules of the advisories. It keeps of each inventory
// only the items some key designates (a few dozen per host) and, for "who
// uses", every program's name and version as small integers.
// Safe for concurrent use.
type Region struct {
	mu    sync.RWMutex
	table *alias.Table

	hosts  []*host
	gens   []uint32 // current generation of each host slot
	byHost map[string]int32
	free   []int32
	stale  int // stale postings and uses, for compaction
	live   int
	// compactMin: compaction waits for this many stale entries (and a
	// quarter of the index).
	compactMin int

	post map[string][]posting // key -> items

	// "who uses": distinct names and versions, and who has them.
	nameID  map[string]uint32
	names   []string // id -> name as installed
	lnames  []string // id -> lower-case name
	users   [][]use  // name id -> uses
	verID   map[string]uint32
	vers    []string
	watched map[string]bool // Debian source packages the table's titles name

	advisories map[string]*Advisory
	rules      map[string][]*Rule // key -> rules

	// Variants of what rules read, interned (memo.go).
	itemVars map[itemVariant]int32
	osVars   map[osVariant]int32
}

type host struct {
	id, entity string
	osvid      int32 // variant of the OS facts a Windows line reads (memo.go)
	facts      Facts
	build      version.Parsed // facts.OSBuild
	items      []item
	uses       []uint32 // name ids, to remove the host from users
	alive      bool
}

// item is a kept inventory entry: a program, a declared asset or the OS.
type item struct {
	sw    Software
	vid   int32 // variant of what a product rule reads of the item (memo.go)
	asset bool
	pv    version.Parsed // the version compared with ranges (upstream part for packages)
}

// Postings carry the generation of the host slot they were made for: a
// replaced or removed inventory leaves stale postings behind, skipped when
// read and dropped by compaction, so that replacing one host does not scan
// the postings of the whole region.
type posting struct {
	host int32
	item int32 // index in host.items; -1 for the host's OS facts
	gen  uint32
}

type use struct {
	host int32
	ver  uint32
	gen  uint32
}

// NewRegion returns an empty region matched with table.
func NewRegion(table *alias.Table) *Region {
	r := &Region{
		table:      table,
		byHost:     map[string]int32{},
		post:       map[string][]posting{},
		nameID:     map[string]uint32{},
		verID:      map[string]uint32{},
		advisories: map[string]*Advisory{},
		rules:      map[string][]*Rule{},
		watched:    map[string]bool{},
		compactMin: 100_000,
	}
	for _, d := range table.Debian {
		for _, s := range d.SourcePackages {
			r.watched[s] = true
		}
	}
	return r
}

// hostKeys lists the keys of an inventory and the items they designate.
func (r *Region) hostKeys(inv *Inventory) ([]item, map[string][]int32) {
	keys := map[string][]int32{}
	var items []item
	addItem := func(it item, ks []string) {
		idx := int32(len(items))
		items = append(items, it)
		for _, k := range ks {
			keys[k] = append(keys[k], idx)
		}
	}
	f := &inv.Facts
	if strings.EqualFold(f.OS, "windows") && f.OSBuild != "" {
		if p := strings.Split(f.OSBuild, "."); len(p) >= 3 {
			k := windowsKey(strings.Join(p[:3], "."))
			keys[k] = append(keys[k], -1)
		}
	}
	if debianOS(f) && f.OSCodename != "" && f.KernelPackageVersion != "" {
		k := kernelKey(f.OSCodename)
		keys[k] = append(keys[k], -1)
	}
	azure := azureRelease(f)
	var azureSeen map[string]bool
	if azure != "" {
		azureSeen = map[string]bool{}
	}
	for _, sw := range inv.Software {
		var ks []string
		for _, pi := range r.table.Installed(sw.Source, sw.Name, sw.Publisher, sw.Arch, sw.SourcePackage) {
			ks = append(ks, productKey(r.table.Products[pi].ID))
		}
		if sw.Source == alias.SourceDpkg && sw.SourcePackage != "" {
			// What Debian's advisories name (a signed kernel image: linux).
			sw.SourcePackage, sw.SourceVersion = alias.DebianSource(sw.SourcePackage, sw.SourceVersion, sw.Version)
		}
		if sw.Source == alias.SourceDpkg && debianOS(f) && f.OSCodename != "" && r.watched[sw.SourcePackage] {
			ks = append(ks, debianKey(f.OSCodename, sw.SourcePackage))
		}
		if sw.Source == alias.SourceRPM && azure != "" {
			// Azure Linux advisories may name any of its packages: every
			// source RPM of these (rare) hosts is kept, once (kernel and
			// kernel-tools are one source, one exposure).
			src, sv := sw.SourcePackage, sw.SourceVersion
			if src == "" {
				src, sv = sw.Name, sw.Version
			}
			if k := src + "\x00" + sv; !azureSeen[k] {
				azureSeen[k] = true
				ks = append(ks, azureKey(azure, src))
			}
		}
		if len(ks) > 0 {
			v := sw.Version
			if sw.Source == alias.SourceDpkg || sw.Source == alias.SourceRPM {
				v = upstream(v)
			}
			addItem(item{sw: sw, pv: version.ParseDotted(v)}, ks)
		}
	}
	for _, a := range inv.Assets {
		var ks []string
		for _, pi := range r.table.Declared(a.Vendor, a.Product) {
			ks = append(ks, productKey(r.table.Products[pi].ID))
		}
		if v := r.table.DeclaredVendor(a.Vendor); v != "" {
			ks = append(ks, "dl:"+v+":"+alias.Norm(a.Product))
		}
		addItem(item{asset: true, sw: Software{Name: a.Product, Version: a.Version, Publisher: a.Vendor, Source: alias.SourceDeclared},
			pv: version.ParseDotted(a.Version)}, ks)
	}
	return items, keys
}

// Put replaces the host's inventory and returns the exposures of the new
// inventory against the stored advisories.
func (r *Region) Put(inv *Inventory) []Exposure {
	items, keys := r.hostKeys(inv)
	r.mu.Lock()
	defer r.mu.Unlock()
	var hi int32
	if old, ok := r.byHost[inv.Host]; ok {
		hi = old
		r.retireLocked(hi)
	} else if n := len(r.free); n > 0 {
		hi, r.free = r.free[n-1], r.free[:n-1]
	} else {
		hi = int32(len(r.hosts))
		r.hosts = append(r.hosts, nil)
		r.gens = append(r.gens, 0)
	}
	gen := r.gens[hi]
	h := &host{id: inv.Host, entity: inv.Entity, facts: inv.Facts, items: items, alive: true, build: version.ParseDotted(inv.Facts.OSBuild)}
	r.variantsLocked(h)
	r.hosts[hi] = h
	r.byHost[inv.Host] = hi
	for k, idx := range keys {
		for _, i := range idx {
			r.post[k] = append(r.post[k], posting{hi, i, gen})
			r.live++
		}
	}
	// Who uses: one use per distinct name.
	seen := map[uint32]bool{}
	for _, sw := range inv.Software {
		id := r.intern(sw.Name)
		if seen[id] {
			continue
		}
		seen[id] = true
		h.uses = append(h.uses, id)
		r.users[id] = append(r.users[id], use{hi, r.internVer(sw.Version), gen})
		r.live++
	}
	for _, a := range inv.Assets {
		id := r.intern(a.Product)
		if !seen[id] {
			seen[id] = true
			h.uses = append(h.uses, id)
			r.users[id] = append(r.users[id], use{hi, r.internVer(a.Version), gen})
			r.live++
		}
	}
	var out []Exposure
	for k, idx := range keys {
		for _, rule := range r.rules[k] {
			for _, i := range idx {
				if e, ok := r.eval(rule, hi, i); ok {
					out = append(out, e)
				}
			}
		}
	}
	return dedupe(out)
}

func (r *Region) intern(name string) uint32 {
	if id, ok := r.nameID[name]; ok {
		return id
	}
	id := uint32(len(r.names))
	r.nameID[name] = id
	r.names = append(r.names, name)
	r.lnames = append(r.lnames, strings.ToLower(name))
	r.users = append(r.users, nil)
	return id
}

func (r *Region) internVer(v string) uint32 {
	if id, ok := r.verID[v]; ok {
		return id
	}
	id := uint32(len(r.vers))
	r.verID[v] = id
	r.vers = append(r.vers, v)
	return id
}

// Remove forgets a host.
func (r *Region) Remove(hostID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if hi, ok := r.byHost[hostID]; ok {
		r.retireLocked(hi)
		delete(r.byHost, hostID)
		r.hosts[hi] = nil
		r.free = append(r.free, hi)
	}
}

// retireLocked makes the postings of a host slot stale, and compacts when a
// quarter of the index is stale.
func (r *Region) retireLocked(hi int32) {
	h := r.hosts[hi]
	// Roughly the host's postings: compaction needs an estimate only.
	n := len(h.uses) + len(h.items)
	r.gens[hi]++
	r.stale += n
	r.live -= n
	if r.stale > r.compactMin && r.stale > r.live/4 {
		r.compactLocked()
	}
}

func (r *Region) current(hi int32, gen uint32) bool {
	return r.hosts[hi] != nil && r.gens[hi] == gen
}

func (r *Region) compactLocked() {
	live := 0
	for k, p := range r.post {
		out := p[:0]
		for _, x := range p {
			if r.current(x.host, x.gen) {
				out = append(out, x)
			}
		}
		live += len(out)
		if len(out) == 0 {
			delete(r.post, k)
		} else {
			r.post[k] = out
		}
	}
	for id, u := range r.users {
		out := u[:0]
		for _, x := range u {
			if r.current(x.host, x.gen) {
				out = append(out, x)
			}
		}
		live += len(out)
		r.users[id] = out
	}
	r.stale, r.live = 0, live
}

// PutAdvisory stores a compiled advisory (replacing an older revision) and
// returns its exposures across the region.
func (r *Region) PutAdvisory(a *Advisory) []Exposure {
	r.mu.Lock()
	if old, ok := r.advisories[a.Reference]; ok {
		r.removeAdvisoryLocked(old)
	}
	r.advisories[a.Reference] = a
	for _, rule := range a.Rules {
		for _, k := range rule.Keys {
			r.rules[k] = append(r.rules[k], rule)
		}
	}
	r.mu.Unlock()
	return r.MatchAdvisory(a)
}

func (r *Region) removeAdvisoryLocked(a *Advisory) {
	for _, rule := range a.Rules {
		for _, k := range rule.Keys {
			rs := r.rules[k]
			out := rs[:0]
			for _, x := range rs {
				if x != rule {
					out = append(out, x)
				}
			}
			r.rules[k] = out
		}
	}
	delete(r.advisories, a.Reference)
}

// MatchAdvisory evaluates an advisory against the region's hosts (it need
// not be stored).
func (r *Region) MatchAdvisory(a *Advisory) []Exposure {
	var out []Exposure
	r.EachExposure(a, func(e Exposure) { out = append(out, e) })
	return out
}

// ReleaseCounts counts the hosts running the releases an advisory's
// Ubuntu, Red Hat and SUSE entries name.
func (r *Region) ReleaseCounts(a *Advisory) []ReleaseCount {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []ReleaseCount
	for _, rel := range a.Releases {
		n := 0
		for _, h := range r.hosts {
			if h != nil && runsRelease(&h.facts, rel.Distribution, rel.Release) {
				n++
			}
		}
		out = append(out, ReleaseCount{Advisory: a.Reference, Text: rel.Text, Distribution: rel.Distribution, Release: rel.Release, Hosts: n})
	}
	return out
}

func runsRelease(f *Facts, dist, release string) bool {
	os := strings.ToLower(f.OS)
	switch dist {
	case "ubuntu":
		return os == "ubuntu" && (f.OSRelease == release || strings.HasPrefix(f.OSRelease, release+"."))
	case "rhel":
		return (os == "rhel" || os == "redhat") && (f.OSRelease == release || strings.HasPrefix(f.OSRelease, release+"."))
	case "suse":
		return (strings.Contains(os, "sles") || strings.Contains(os, "suse")) &&
			strings.HasPrefix(strings.ReplaceAll(f.OSRelease, ".", " SP"), strings.ReplaceAll(release, ".", " SP"))
	case affected.AzureLinux:
		return azureRelease(f) == release
	}
	return false
}

// Use is one host running a program, for "who uses".
type Use struct {
	Host, Entity, Name, Version string
}

// WhoUses lists the hosts that run a program whose name contains query
// (case-insensitive), with a version in [from, to] (dotted ordering; empty
// bounds are open).
func (r *Region) WhoUses(query, from, to string) []Use {
	q := strings.ToLower(strings.TrimSpace(query))
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Use
	verOK := map[uint32]bool{}
	for id, ln := range r.lnames {
		if !strings.Contains(ln, q) {
			continue
		}
		for _, u := range r.users[id] {
			if !r.current(u.host, u.gen) {
				continue
			}
			ok, seen := verOK[u.ver]
			if !seen {
				ok = inBounds(r.vers[u.ver], from, to)
				verOK[u.ver] = ok
			}
			if !ok {
				continue
			}
			h := r.hosts[u.host]
			out = append(out, Use{Host: h.id, Entity: h.entity, Name: r.names[id], Version: r.vers[u.ver]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Entity != out[j].Entity {
			return out[i].Entity < out[j].Entity
		}
		return out[i].Host < out[j].Host
	})
	return out
}

func inBounds(v, from, to string) bool {
	if from != "" {
		if c, err := version.CompareDotted(v, from); err != nil || c < 0 {
			return false
		}
	}
	if to != "" {
		if c, err := version.CompareDotted(v, to); err != nil || c > 0 {
			return false
		}
	}
	return true
}

// Hosts returns the number of hosts indexed.
func (r *Region) Hosts() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byHost)
}

func dedupe(in []Exposure) []Exposure {
	if len(in) < 2 {
		return in
	}
	type k struct {
		adv, host, product, ver string
		entry                   int
	}
	seen := make(map[k]bool, len(in))
	out := in[:0]
	for _, e := range in {
		key := k{e.Advisory, e.Host, e.Product, e.InstalledVersion, e.Entry}
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}
