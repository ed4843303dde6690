package match

import (
	"strings"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/affected"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/version"
)

// Advisory is a document compiled into rules.
type Advisory struct {
	Reference string
	Title     string
	Rules     []*Rule
	Review    []Review
	Releases  []ReleaseRule
}

// Rule is one understood entry, with the index keys it is looked up by.
type Rule struct {
	Advisory string
	Entry    int
	Vendor   string
	Parsed   affected.Entry
	Product  *alias.Product // nil for Windows and Debian rules and declared lines
	Keys     []string
	Sources  []string // Debian source packages
	Kernel   bool
	ranges   []cRange // Parsed.Ranges, read once
}

// cRange is an affected.Range with its versions parsed.
type cRange struct {
	r                  *affected.Range
	branches           []version.Branch
	intro, fixed, last version.Parsed
	alts               []version.Parsed
}

func compileRanges(e *affected.Entry) []cRange {
	out := make([]cRange, len(e.Ranges))
	for i := range e.Ranges {
		rg := &e.Ranges[i]
		c := cRange{r: rg, intro: version.ParseDotted(rg.Introduced), fixed: version.ParseDotted(rg.Fixed), last: version.ParseDotted(rg.LastAffected)}
		for _, b := range rg.Branches {
			c.branches = append(c.branches, version.ParseBranch(b))
		}
		for _, a := range rg.AltFixed {
			c.alts = append(c.alts, version.ParseDotted(a))
		}
		out[i] = c
	}
	return out
}

// ReleaseRule is a release-only entry (Ubuntu, Red Hat, SUSE).
type ReleaseRule struct {
	Entry        int
	Text         string
	Distribution string
	Release      string
}

// Stats counts the entries of an advisory by outcome.
type Stats struct {
	Entries, Understood, Releases int
}

// Keys of the index.
func productKey(id string) string { return "p:" + id }
func declLineKey(vendor, line string) string {
	return "dl:" + alias.VendorKey(vendor) + ":" + alias.NormLine(vendor, line)
}
func windowsKey(base string) string         { return "w:" + base }
func debianKey(codename, src string) string { return "d:" + codename + ":" + src }
func kernelKey(codename string) string      { return "k:" + codename }
func azureKey(release, src string) string   { return "a:" + release + ":" + src }

// Compile reads every affected-systems entry of doc. An entry becomes a
// rule when the grammar understood it and, for products, the alias table
// knows the line (or the vendor's declared assets are matched by line);
// otherwise it goes to the review list with the reason. Entries of products
// that no inventory holds (phones) are understood and give no rule.
func Compile(doc *advisory.Document, t *alias.Table) *Advisory {
	a := &Advisory{Reference: doc.Reference, Title: doc.Title}
	for i, as := range doc.AffectedSystems {
		vendor := as.Product.Vendor.Name
		e := affected.Parse(vendor, as.Product.Name, as.Description)
		review := func(reason string) {
			a.Review = append(a.Review, Review{Advisory: doc.Reference, Entry: i, Vendor: vendor,
				Product: as.Product.Name, Text: as.Description, Reason: reason})
		}
		if !e.Understood() {
			review(e.Reason)
			continue
		}
		r := &Rule{Advisory: doc.Reference, Entry: i, Vendor: vendor, Parsed: e}
		switch e.Kind {
		case affected.Release:
			a.Releases = append(a.Releases, ReleaseRule{Entry: i, Text: as.Description, Distribution: e.Distribution, Release: e.Release})
			continue
		case affected.Windows:
			r.Keys = []string{windowsKey(e.Win.BaseBuild)}
		case affected.Distro:
			if e.Distribution == affected.AzureLinux {
				// The entry names the source RPM itself.
				r.Sources = []string{e.Line}
				r.Kernel = e.Line == "kernel"
				r.Keys = []string{azureKey(e.Release, e.Line)}
				break
			}
			srcs, kernel := t.DebianSources(doc.Title)
			if len(srcs) == 0 {
				review("paquet source Debian inconnu: le titre « " + doc.Title + " » n'est pas dans la table")
				continue
			}
			r.Sources, r.Kernel = srcs, kernel
			for _, s := range srcs {
				r.Keys = append(r.Keys, debianKey(e.Release, s))
			}
			if kernel {
				r.Keys = append(r.Keys, kernelKey(e.Release))
			}
		default:
			p := t.Line(vendor, e.Line)
			if p != nil {
				if !p.IsInventoried() {
					continue // understood; nothing an inventory can hold
				}
				r.Product = p
				r.Keys = append(r.Keys, productKey(p.ID))
			}
			if t.DeclaredLines(vendor) {
				r.Keys = append(r.Keys, declLineKey(vendor, e.Line))
			}
			if len(r.Keys) == 0 {
				review("produit absent de la table d'alias: " + vendor + " « " + e.Line + " »")
				continue
			}
		}
		r.ranges = compileRanges(&r.Parsed)
		a.Rules = append(a.Rules, r)
	}
	return a
}

// Understood reports whether an entry counts as understood: the grammar
// read it and, for product lines, the alias table knows the product (or
// matches the vendor's declared assets by line). It is the measure of
// docs/advisories.md.
func Understood(t *alias.Table, vendor, product, description, title string) (bool, string) {
	e := affected.Parse(vendor, product, description)
	if !e.Understood() {
		return false, e.Reason
	}
	switch e.Kind {
	case affected.Release, affected.Windows:
		return true, ""
	case affected.Distro:
		if e.Distribution == affected.AzureLinux {
			return true, "" // the entry names the source RPM
		}
		if srcs, _ := t.DebianSources(title); len(srcs) == 0 {
			return false, "paquet source Debian inconnu"
		}
		return true, ""
	}
	if t.Line(vendor, e.Line) != nil || t.DeclaredLines(vendor) {
		return true, ""
	}
	return false, "produit absent de la table d'alias"
}

// debianOS reports whether facts describe Debian (not a derivative with
// its own advisories such as Ubuntu).
func debianOS(f *Facts) bool { return strings.EqualFold(f.OS, "debian") }

// azureRelease returns the Azure Linux or CBL-Mariner release a host runs
// ("3.0", "2.0"), or "": os-release's ID is "azurelinux" (3.0) or
// "mariner" (1.0, 2.0), VERSION_ID the release.
func azureRelease(f *Facts) string {
	switch strings.ToLower(f.OS) {
	case "azurelinux", "mariner":
		if p := strings.SplitN(f.OSRelease, ".", 3); len(p) >= 2 {
			return p[0] + "." + p[1]
		}
	}
	return ""
}
