// Package alias is the curated table that says which installed software a
// CERT-FR product line designates: "FortiClientWindows" is the Windows
// program "FortiClient" published by Fortinet, "Firefox ESR" is "Mozilla
// Firefox ESR" and not "Mozilla Firefox", a declared "FortiGate" runs
// "FortiOS". The table is data (aliases.toml, embedded) so that it can be
// reviewed and extended without reading code; its tests check it against
// real advisory lines and real installed names.
//
// Product lines never bleed into each other: a line is looked up exactly
// (after case and spacing are normalised), never by substring, so
// "FortiClientEMS" does not find "FortiClient".
package alias

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

//go:embed aliases.toml
var embedded []byte

// Sources of installed software, as the agent's inventory names them, and
// of declared assets.
const (
	SourceWindows  = "windows-registry"
	SourceDpkg     = "dpkg"
	SourceRPM      = "rpm"
	SourceDeclared = "declared"
)

// Table is the loaded alias table.
type Table struct {
	Vendors  []Vendor   `toml:"vendor"`
	Products []*Product `toml:"product"`
	Debian   []DebTitle `toml:"debian_title"`

	lines    map[string]int        // vendor + "\x00" + normalised line -> product index
	prefixes map[string][]prefix   // vendor -> line prefixes
	vendors  map[string]*Vendor    // normalised CERT-FR vendor name
	declVend map[string]string     // normalised declared vendor name -> CERT-FR vendor (normalised)
	byWord   map[string][]matchRef // windows-registry: first word of a name prefix
	byPkg    map[string][]matchRef // source + "\x00" + package name
	byDecl   map[string][]int      // normalised vendor + "\x00" + normalised declared product

	cache sync.Map // resolution cache: source\x00name\x00publisher -> []int
}

// Vendor holds rules for one CERT-FR vendor.
type Vendor struct {
	Name string `toml:"name"` // as in advisories: "Fortinet", "Synacor"
	// Declared lists the vendor names accepted on declared assets
	// ("Fortinet", "Zimbra").
	Declared []string `toml:"declared"`
	// DeclaredLines: a declared asset of this vendor whose product is
	// exactly (normalised) an advisory line of the vendor is that line. For
	// appliance vendors whose CERT-FR product names are the names their
	// owners use (FortiWeb, QuTS hero, NetScaler ADC).
	DeclaredLines bool `toml:"declared_lines"`
}

// Product is one product line.
type Product struct {
	ID     string `toml:"id"`
	Vendor string `toml:"vendor"`
	// Lines are the advisory lines that designate this product, without the
	// vendor's name ("Chrome" also matches "Google Chrome").
	Lines []string `toml:"lines"`
	// LinePrefixes designate the product by the start of the line
	// ("Exchange Server 2019" for "Exchange Server 2019 Cumulative Update 14").
	LinePrefixes []string `toml:"line_prefixes"`
	// Inventoried is false for products no inventory can contain (mobile
	// apps, phone firmware): known, understood, never matched.
	Inventoried *bool `toml:"inventoried"`
	// Confidence caps the confidence of this product's exposures:
	// "probable" when the installed version cannot tell the advisory's
	// tracks apart (SQL Server GDR and CU builds, Chrome Extended Stable).
	Confidence string `toml:"confidence"`
	// ExactRelease: the installed version is the product's release
	// (".NET Framework 4.8.1": updates change no version an inventory
	// reads), an entry applies when one of its branches is that release
	// exactly (4.8 is not 4.8.1), and its fixed build, of another
	// numbering, is not compared (the exposure is probable).
	ExactRelease bool    `toml:"exact_release"`
	Note         string  `toml:"note"`
	Match        []Match `toml:"match"`
}

// IsInventoried reports whether installed software or declared assets can
// be this product.
func (p *Product) IsInventoried() bool { return p.Inventoried == nil || *p.Inventoried }

// Match says how installed software or a declared asset is recognised.
type Match struct {
	Source string `toml:"source"`
	// Names are case-insensitive prefixes of the installed name (Windows),
	// followed by the end of the name or a non-letter ("Mozilla Firefox"
	// matches "Mozilla Firefox (x64 fr)" and not "Mozilla Firefox ESR");
	// for dpkg and rpm exact package names; for declared assets exact
	// product names (normalised).
	Names []string `toml:"names"`
	// SourcePackages: dpkg source / rpm SRPM names (exact).
	SourcePackages []string `toml:"source_packages"`
	// Pattern, Exclude and Publisher are case-insensitive regular
	// expressions on the name and publisher.
	Pattern   string `toml:"pattern"`
	Exclude   string `toml:"exclude"`
	Publisher string `toml:"publisher"`
	// Arch restricts to an architecture of the installed program ("x64",
	// "x86"); empty for any.
	Arch string `toml:"arch"`
	// NameContainsLine: the installed name must contain the advisory line
	// (Exchange Server 2019 Cumulative Update 14 is its own branch).
	NameContainsLine bool `toml:"name_contains_line"`

	pattern, exclude, publisher *regexp.Regexp
}

// DebTitle maps a Debian advisory title to the source packages it is about.
type DebTitle struct {
	Contains       string   `toml:"contains"`
	SourcePackages []string `toml:"source_packages"`
	// Kernel: compare the running kernel's package version when the host
	// reports it (an installed but not booted fix does not protect).
	Kernel bool `toml:"kernel"`
}

type prefix struct {
	prefix  string
	product int
}

type matchRef struct {
	product int
	match   *Match
	prefix  string // lower-case name prefix (windows-registry)
}

var (
	defaultOnce  sync.Once
	defaultTable *Table
	defaultErr   error
)

// Default returns the embedded table.
func Default() (*Table, error) {
	defaultOnce.Do(func() { defaultTable, defaultErr = Load(embedded) })
	return defaultTable, defaultErr
}

// Load reads a table and checks it: unknown keys, duplicate ids and lines,
// bad regular expressions and unknown sources are errors.
func Load(data []byte) (*Table, error) {
	var t Table
	md, err := toml.Decode(string(data), &t)
	if err != nil {
		return nil, fmt.Errorf("table d'alias: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("table d'alias: clé inconnue %s", und[0])
	}
	t.lines = map[string]int{}
	t.prefixes = map[string][]prefix{}
	t.vendors = map[string]*Vendor{}
	t.declVend = map[string]string{}
	t.byWord = map[string][]matchRef{}
	t.byPkg = map[string][]matchRef{}
	t.byDecl = map[string][]int{}
	for i := range t.Vendors {
		v := &t.Vendors[i]
		key := Norm(v.Name)
		if _, dup := t.vendors[key]; dup {
			return nil, fmt.Errorf("table d'alias: éditeur %q en double", v.Name)
		}
		t.vendors[key] = v
		t.declVend[key] = key
		for _, d := range v.Declared {
			t.declVend[Norm(d)] = key
		}
	}
	ids := map[string]bool{}
	for pi, p := range t.Products {
		if p.ID == "" || p.Vendor == "" {
			return nil, fmt.Errorf("table d'alias: produit %d sans id ou sans éditeur", pi+1)
		}
		if ids[p.ID] {
			return nil, fmt.Errorf("table d'alias: id %q en double", p.ID)
		}
		ids[p.ID] = true
		if len(p.Lines)+len(p.LinePrefixes) == 0 {
			return nil, fmt.Errorf("table d'alias: %s ne désigne aucune ligne", p.ID)
		}
		if p.ExactRelease && p.Confidence != "probable" {
			return nil, fmt.Errorf("table d'alias: %s: exact_release sans confidence = \"probable\"", p.ID)
		}
		switch p.Confidence {
		case "", "probable":
		default:
			return nil, fmt.Errorf("table d'alias: %s: confidence %q (seul « probable » est possible)", p.ID, p.Confidence)
		}
		vkey := Norm(p.Vendor)
		if _, ok := t.declVend[vkey]; !ok {
			t.declVend[vkey] = vkey
		}
		for _, l := range p.Lines {
			k := vkey + "\x00" + normLine(p.Vendor, l)
			if other, dup := t.lines[k]; dup {
				return nil, fmt.Errorf("table d'alias: la ligne %q est à la fois %s et %s", l, t.Products[other].ID, p.ID)
			}
			t.lines[k] = pi
		}
		for _, l := range p.LinePrefixes {
			t.prefixes[vkey] = append(t.prefixes[vkey], prefix{normLine(p.Vendor, l), pi})
		}
		if !p.IsInventoried() && len(p.Match) > 0 {
			return nil, fmt.Errorf("table d'alias: %s: inventoried = false et des correspondances", p.ID)
		}
		for mi := range p.Match {
			m := &p.Match[mi]
			if err := m.compile(); err != nil {
				return nil, fmt.Errorf("table d'alias: %s: %w", p.ID, err)
			}
			switch m.Source {
			case SourceWindows:
				if len(m.Names) == 0 {
					return nil, fmt.Errorf("table d'alias: %s: %s sans names", p.ID, m.Source)
				}
				for _, n := range m.Names {
					ln := strings.ToLower(strings.TrimSpace(n))
					w := firstWord(ln)
					t.byWord[w] = append(t.byWord[w], matchRef{pi, m, ln})
				}
			case SourceDpkg, SourceRPM:
				if len(m.Names)+len(m.SourcePackages) == 0 {
					return nil, fmt.Errorf("table d'alias: %s: %s sans names ni source_packages", p.ID, m.Source)
				}
				for _, n := range m.Names {
					t.byPkg[m.Source+"\x00"+n] = append(t.byPkg[m.Source+"\x00"+n], matchRef{product: pi, match: m})
				}
				for _, n := range m.SourcePackages {
					k := m.Source + "\x00src:" + n
					t.byPkg[k] = append(t.byPkg[k], matchRef{product: pi, match: m})
				}
			case SourceDeclared:
				if len(m.Names) == 0 {
					return nil, fmt.Errorf("table d'alias: %s: declared sans names", p.ID)
				}
				for _, n := range m.Names {
					k := vkey + "\x00" + Norm(n)
					t.byDecl[k] = append(t.byDecl[k], pi)
				}
			default:
				return nil, fmt.Errorf("table d'alias: %s: source inconnue %q", p.ID, m.Source)
			}
		}
	}
	for _, d := range t.Debian {
		if d.Contains == "" || len(d.SourcePackages) == 0 {
			return nil, fmt.Errorf("table d'alias: debian_title incomplet %+v", d)
		}
	}
	return &t, nil
}

func (m *Match) compile() error {
	var err error
	re := func(s string) *regexp.Regexp {
		if s == "" || err != nil {
			return nil
		}
		var r *regexp.Regexp
		r, err = regexp.Compile("(?i)" + s)
		return r
	}
	m.pattern, m.exclude, m.publisher = re(m.Pattern), re(m.Exclude), re(m.Publisher)
	return err
}

// Norm normalises a name for exact comparison: lower case, letters and
// digits only ("FortiClient EMS" = "forticlientems" = "FortiClient-EMS").
func Norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normLine normalises an advisory line and drops the vendor's name in front
// ("Google Chrome" -> "chrome").
func normLine(vendor, line string) string {
	l := strings.Join(strings.Fields(strings.ToLower(line)), " ")
	v := strings.ToLower(vendor) + " "
	for strings.HasPrefix(l, v) {
		l = strings.TrimPrefix(l, v)
	}
	return l
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " -_("); i > 0 {
		return s[:i]
	}
	return s
}

// Line returns the product an advisory line designates for the vendor, or
// nil when the table does not know it.
func (t *Table) Line(vendor, line string) *Product {
	vkey := Norm(vendor)
	l := normLine(vendor, line)
	if pi, ok := t.lines[vkey+"\x00"+l]; ok {
		return t.Products[pi]
	}
	best, bestLen := -1, 0
	for _, p := range t.prefixes[vkey] {
		if (l == p.prefix || strings.HasPrefix(l, p.prefix+" ")) && len(p.prefix) > bestLen {
			best, bestLen = p.product, len(p.prefix)
		}
	}
	if best >= 0 {
		return t.Products[best]
	}
	return nil
}

// DeclaredLines reports whether declared assets of the vendor match
// advisory lines by name (see Vendor.DeclaredLines).
func (t *Table) DeclaredLines(vendor string) bool {
	v, ok := t.vendors[Norm(vendor)]
	return ok && v.DeclaredLines
}

// DeclaredVendor maps the vendor written on a declared asset to the CERT-FR
// vendor it is (normalised), or "" when the table does not know it.
func (t *Table) DeclaredVendor(vendor string) string { return t.declVend[Norm(vendor)] }

// VendorKey normalises a CERT-FR vendor name the way DeclaredVendor's result is.
func VendorKey(vendor string) string { return Norm(vendor) }

// Installed returns the indexes (in Products) of the products an installed
// program is. source is the inventory source; for dpkg and rpm, name is the
// binary package and srcPkg its source package.
func (t *Table) Installed(source, name, publisher, arch, srcPkg string) []int {
	key := source + "\x00" + name + "\x00" + publisher + "\x00" + arch + "\x00" + srcPkg
	if v, ok := t.cache.Load(key); ok {
		return v.([]int)
	}
	var out []int
	add := func(pi int) {
		for _, x := range out {
			if x == pi {
				return
			}
		}
		out = append(out, pi)
	}
	switch source {
	case SourceWindows:
		ln := strings.ToLower(strings.TrimSpace(name))
		for _, r := range t.byWord[firstWord(ln)] {
			if !strings.HasPrefix(ln, r.prefix) {
				continue
			}
			if rest := ln[len(r.prefix):]; rest != "" && isLetter(rest[0]) {
				continue // "Mozilla Firefox" is not "Mozilla FirefoxPortable"
			}
			if r.match.accepts(name, publisher, arch) {
				add(r.product)
			}
		}
	case SourceDpkg, SourceRPM:
		for _, r := range t.byPkg[source+"\x00"+name] {
			if r.match.accepts(name, publisher, arch) {
				add(r.product)
			}
		}
		if srcPkg != "" {
			for _, r := range t.byPkg[source+"\x00src:"+srcPkg] {
				if r.match.accepts(name, publisher, arch) {
					add(r.product)
				}
			}
		}
	}
	t.cache.Store(key, out)
	return out
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (m *Match) accepts(name, publisher, arch string) bool {
	if m.pattern != nil && !m.pattern.MatchString(name) {
		return false
	}
	if m.exclude != nil && m.exclude.MatchString(name) {
		return false
	}
	if m.publisher != nil && !m.publisher.MatchString(publisher) {
		return false
	}
	if m.Arch != "" && NormArch(arch) != m.Arch {
		return false
	}
	return true
}

// NormArch maps the architectures agents and advisories write to x64, x86,
// arm64 (others are returned lower-cased).
func NormArch(a string) string {
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "x64", "amd64", "x86_64", "x86-64", "64-bit", "64 bits":
		return "x64"
	case "x86", "386", "i386", "i686", "32-bit", "32 bits":
		return "x86"
	case "arm64", "aarch64":
		return "arm64"
	}
	return strings.ToLower(a)
}

// Declared returns the products a declared asset is: by the explicit names
// of the table, then, for vendors with DeclaredLines, by the line itself
// (returned as line, normalised, with a nil product list).
func (t *Table) Declared(vendor, product string) []int {
	v := t.DeclaredVendor(vendor)
	if v == "" {
		return nil
	}
	return t.byDecl[v+"\x00"+Norm(product)]
}

// NormLine exposes the line normalisation used for DeclaredLines matching.
func NormLine(vendor, line string) string { return Norm(normLine(vendor, line)) }

// NameContainsLine reports whether an installed name contains the line, for
// matches that require it.
func NameContainsLine(name, vendor, line string) bool {
	return strings.Contains(Norm(name), Norm(normLine(vendor, line)))
}

// DebianSources returns the source packages a Debian advisory's title is
// about, and whether they are the kernel.
func (t *Table) DebianSources(title string) ([]string, bool) {
	lt := strings.ToLower(title)
	for _, d := range t.Debian {
		if strings.Contains(lt, strings.ToLower(d.Contains)) {
			return d.SourcePackages, d.Kernel
		}
	}
	return nil, false
}

// Embedded returns the embedded table's source, as shipped (vigie-hub
// bundle export carries it so that an isolated hub can compare its own).
func Embedded() []byte { return append([]byte(nil), embedded...) }
