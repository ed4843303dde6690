package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// CERT-FR advisories on the command line (issue 16). Column and field names
// are a contract: scripts and tests rely on them.

func advisoriesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || !contains([]string{"import", "fetch", "list", "review"}, args[0]) {
		return usageError{msg: "attendu : vigie-hub advisories import | fetch | list | review"}
	}
	switch args[0] {
	case "import":
		return advisoriesImport(ctx, args[1:], stdout, stderr)
	case "fetch":
		return advisoriesFetch(ctx, args[1:], stdout, stderr)
	case "list":
		return advisoriesList(ctx, args[1:], stdout)
	}
	return advisoriesReview(ctx, args[1:], stdout)
}

// table writes rows as a text table (default), JSON (the values as given)
// or CSV (formulas defused).
type table struct {
	header []string
	rows   [][]string
	values any // JSON
}

func (t table) write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(t.values)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(t.header); err != nil {
			return err
		}
		for _, r := range t.rows {
			safe := make([]string, len(r))
			for i, v := range r {
				safe[i] = app.CSVSafe(v)
			}
			if err := cw.Write(safe); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		clean := make([]string, len(r))
		for i, v := range r {
			clean[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(v)
		}
		fmt.Fprintln(tw, strings.Join(clean, "\t"))
	}
	return tw.Flush()
}

func formatFlag(c *command) *string {
	return c.fs.String("format", "text", "`FORMAT` de sortie : text (tableau), json ou csv")
}

func checkFormat(c *command, f string) error {
	if f != "text" && f != "json" && f != "csv" {
		return c.usageErr("--format %q inconnu : text, json ou csv", f)
	}
	return nil
}

// loadMatcher opens the matcher over st and rebuilds it (advisories of the
// last two years, each host's latest inventory).
func loadMatcher(ctx context.Context, st store.Store) (*app.Advisories, error) {
	m, err := app.New(app.Config{Store: st}).NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		return nil, err
	}
	if _, err := m.LoadAdvisories(ctx); err != nil {
		return nil, fmt.Errorf("lecture de la base : %w", err)
	}
	return m, nil
}

func printImport(w io.Writer, res app.ImportResult) {
	fmt.Fprintf(w, "%d ajouté(s), %d remplacé(s) par une révision plus récente, %d déjà à jour, %d illisible(s).\n",
		res.Added, res.Replaced, res.Unchanged, len(res.Errors))
}

func advisoriesImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("advisories import [--db ...] CHEMIN...",
		"Importe des avis et alertes du CERT-FR tels que son API JSON les publie : un fichier, un dossier (récursivement)\n"+
			"ou une archive .tar, .tar.gz ou .tar.zst. Une révision plus récente remplace l'ancienne ; un document illisible\n"+
			"est signalé par son nom et le reste importé (code de sortie 1). Un hub en marche les rapproche des inventaires\n"+
			"dans la minute.")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() == 0 {
		return c.usageErr("aucun chemin à importer")
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := app.New(app.Config{Store: st}).NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		return err
	}
	res, err := m.Import(ctx, "cli", func(err error) { fmt.Fprintf(stderr, "illisible : %v\n", err) }, c.fs.Args()...)
	if err != nil {
		return fmt.Errorf("import : %w", err)
	}
	printImport(stdout, res)
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d document(s) ou chemin(s) illisible(s), le reste est importé", len(res.Errors))
	}
	return nil
}

// httpClient is the hub's client to the outside: through proxy when set
// (else the environment's HTTPS_PROXY), trusting the system's authorities
// plus those of caFile.
func httpClient(proxy, caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if proxy != "" {
		u, err := url.Parse(proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--proxy %q : adresse http(s)://hôte:port attendue", proxy)
		}
		tr.Proxy = http.ProxyURL(u)
	}
	if caFile != "" {
		pem, err := os.ReadFile(filepath.Clean(caFile))
		if err != nil {
			return nil, fmt.Errorf("--ca : %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s : aucun certificat PEM lisible", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}, nil
}

func advisoriesFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("advisories fetch [--since AAAA-MM-JJ] [--base-url URL] [--proxy URL] [--db ...]",
		"Lit les index JSON des avis et des alertes du CERT-FR et télécharge, en HTTPS, les documents nouveaux ou révisés.\n"+
			"Un document illisible est signalé et le reste importé (code de sortie 1).")
	since := c.fs.String("since", "", "ne lire que les documents révisés depuis cette `DATE` (AAAA-MM-JJ)")
	base := c.fs.String("base-url", app.DefaultCERTFR, "`URL` de l'API du CERT-FR (un miroir local pour les essais)")
	proxy := c.fs.String("proxy", "", "mandataire HTTP(S) (`URL`) par lequel sortir (défaut : HTTPS_PROXY)")
	ca := c.fs.String("ca", "", "`FICHIER` PEM d'autorités de certification à accepter en plus de celles du système (miroir local)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	cfg := app.FetchConfig{BaseURL: *base}
	if *since != "" {
		t, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			return c.usageErr("--since %q : date AAAA-MM-JJ attendue", *since)
		}
		cfg.Since = t
	}
	client, err := httpClient(*proxy, *ca)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	cfg.Client = client
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := app.New(app.Config{Store: st}).NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		return err
	}
	res, err := m.Fetch(ctx, cfg, "cli", func(err error) { fmt.Fprintf(stderr, "illisible : %v\n", err) })
	if err != nil {
		return fmt.Errorf("téléchargement : %w", err)
	}
	printImport(stdout, res)
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d document(s) illisible(s), le reste est importé", len(res.Errors))
	}
	return nil
}

func advisoriesList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("advisories list [--exposed] [--sector SECTEUR] [--format text|json|csv] [--db ...]",
		"Liste les avis et alertes connus du hub, ceux qui exposent des postes d'abord, avec le nombre d'entités et\n"+
			"de postes exposés.")
	exposed := c.fs.Bool("exposed", false, "seulement les avis qui exposent au moins un poste")
	sector := c.fs.String("sector", "", "ne compter que les entités de ce `SECTEUR`")
	format := formatFlag(c)
	if err := c.parse(args); err != nil {
		return err
	}
	if err := checkFormat(c, *format); err != nil {
		return err
	}
	if *sector != "" {
		if _, err := protocol.ParseSector(*sector); err != nil {
			return c.usageErr("--sector : %v", err)
		}
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := loadMatcher(ctx, st)
	if err != nil {
		return err
	}
	sums, err := m.Summaries(ctx, *exposed, *sector)
	if err != nil {
		return fmt.Errorf("lecture de la base : %w", err)
	}
	t := table{header: []string{"reference", "title", "kind", "published", "revised", "exposed_entities", "exposed_hosts"}, values: nonNil(sums)}
	for _, s := range sums {
		t.rows = append(t.rows, []string{s.Reference, s.Title, s.Kind, s.Published.Format(time.DateOnly), s.Revised.Format(time.DateOnly),
			strconv.Itoa(s.ExposedEntities), strconv.Itoa(s.ExposedHosts)})
	}
	return t.write(stdout, *format)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func advisoriesReview(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("advisories review [--format text|json|csv] [--db ...]",
		"Liste les lignes des avis que le rapprochement n'a pas comprises (produit inconnu de la table d'alias, version\n"+
			"illisible…), avec la raison : à examiner à la main, jamais écartées en silence.")
	format := formatFlag(c)
	if err := c.parse(args); err != nil {
		return err
	}
	if err := checkFormat(c, *format); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := app.New(app.Config{Store: st}).NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		return err
	}
	// The review list needs the advisories only, not the hosts.
	if err := m.LoadDocuments(ctx); err != nil {
		return fmt.Errorf("lecture de la base : %w", err)
	}
	rv := m.Review()
	t := table{header: []string{"advisory", "vendor", "product", "text", "reason"}, values: nonNil(rv)}
	for _, r := range rv {
		t.rows = append(t.rows, []string{r.Advisory, r.Vendor, r.Product, r.Text, r.Reason})
	}
	return t.write(stdout, *format)
}

func exposureCmd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("exposure [--advisory REF] [--entity NOM] [--format text|json|csv] [--db ...]",
		"Liste les postes exposés aux avis du CERT-FR : entité, poste, produit, version installée et corrigée, confiance\n"+
			"(certain : version comparée ; probable : produit reconnu, version non comparable).")
	ref := c.fs.String("advisory", "", "seulement cet avis (`REF`, CERTFR-2025-AVI-0001)")
	entity := c.fs.String("entity", "", "seulement cette entité (`NOM` exact, majuscules indifférentes)")
	format := formatFlag(c)
	if err := c.parse(args); err != nil {
		return err
	}
	if err := checkFormat(c, *format); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := loadMatcher(ctx, st)
	if err != nil {
		return err
	}
	xs := m.Exposures(app.ExposureFilter{Advisory: strings.TrimSpace(*ref), Entity: strings.TrimSpace(*entity)})
	t := table{header: []string{"advisory", "title", "entity", "sector", "agent_id", "hostname", "product", "installed_version",
		"fixed_version", "affected", "confidence"}, values: nonNil(xs)}
	for _, x := range xs {
		t.rows = append(t.rows, []string{x.Advisory, x.Title, x.Entity, x.Sector, x.AgentID, x.Hostname, x.Product,
			x.InstalledVersion, x.FixedVersion, x.Affected, x.Confidence})
	}
	return t.write(stdout, *format)
}
