// Command advisories measures, on a set of CERT-FR advisories, the share of
// affected-systems entries the matcher understands, per vendor: the grammar
// read the entry (product line, version range or all versions, platform)
// and, for products, the alias table knows the line. Used for the figures
// of docs/advisories.md:
//
//	go run ./bench/advisories PATH/TO/avis-2024-2025.tar.zst   (the CERT-FR data of the project brief, shared/data/certfr)
//
// It reads only the paths it is given (a file, a directory or an archive).
// -v lists the entries not understood of the measured vendors, with the
// reason.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/affected"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/advisory/match"
)

// The vendors town halls, hospitals and ports run (issue 16).
var vendors = []string{"Microsoft", "Mozilla", "Google", "Fortinet", "Veeam", "Adobe", "Debian", "OpenSSL",
	"Synacor", "Nextcloud", "Synology", "Qnap", "Ivanti", "Citrix", "VMware"}

func main() {
	verbose := flag.Bool("v", false, "liste les entrées non comprises")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: advisories [-v] CHEMIN... (fichiers, répertoires ou archives d'avis CERT-FR)")
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	st := advisory.NewMemStore()
	res, err := (&advisory.Importer{Store: st}).Import(context.Background(), flag.Args()...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, e := range res.Errors {
		fmt.Fprintln(os.Stderr, "ignoré:", e)
	}
	tab, err := alias.Default()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	type count struct{ total, grammar, understood, byLineRule, certainForm int }
	counts := map[string]*count{}
	reasons := map[string]int{}
	measured := map[string]bool{}
	for _, v := range vendors {
		measured[v] = true
		counts[v] = &count{}
	}
	var all count
	docs := st.Documents()
	for _, d := range docs {
		for _, as := range d.AffectedSystems {
			v := as.Product.Vendor.Name
			e := affected.Parse(v, as.Product.Name, as.Description)
			ok, why := match.Understood(tab, v, as.Product.Name, as.Description, d.Title)
			all.total++
			if ok {
				all.understood++
			}
			if !measured[v] {
				continue
			}
			c := counts[v]
			c.total++
			if e.Understood() {
				c.grammar++
			}
			if ok {
				c.understood++
				if e.Kind == affected.Product && tab.Line(v, e.Line) == nil {
					c.byLineRule++
				}
				if !e.Unpatched {
					c.certainForm++
				}
			} else {
				reasons[v+": "+why]++
				if *verbose {
					fmt.Printf("%s\t%s\t%s\t%s\n", d.Reference, v, as.Description, why)
				}
			}
		}
	}
	fmt.Printf("%d avis, %d entrées (toutes)\n\n", len(docs), all.total)
	fmt.Println("| Éditeur | Entrées | Grammaire | Comprises | dont par nom déclaré | Comparables |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	var tot count
	for _, v := range vendors {
		c := counts[v]
		tot.total += c.total
		tot.grammar += c.grammar
		tot.understood += c.understood
		tot.byLineRule += c.byLineRule
		tot.certainForm += c.certainForm
		fmt.Printf("| %s | %d | %s | %s | %d | %s |\n", v, c.total, pct(c.grammar, c.total), pct(c.understood, c.total), c.byLineRule, pct(c.certainForm, c.total))
	}
	fmt.Printf("| **Total** | %d | %s | %s | %d | %s |\n\n", tot.total, pct(tot.grammar, tot.total), pct(tot.understood, tot.total), tot.byLineRule, pct(tot.certainForm, tot.total))
	fmt.Printf("Toutes les entrées, tous éditeurs: %s comprises.\n\n", pct(all.understood, all.total))
	type kv struct {
		k string
		n int
	}
	var rs []kv
	for k, n := range reasons {
		rs = append(rs, kv{k, n})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].n > rs[j].n || rs[i].n == rs[j].n && rs[i].k < rs[j].k })
	fmt.Println("Raisons les plus fréquentes (éditeurs mesurés):")
	for i, r := range rs {
		if i == 15 {
			break
		}
		fmt.Printf("- %d × %s\n", r.n, strings.TrimSpace(r.k))
	}
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(d))
}
