package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
)

// incidentsCmd is « vigie-hub incidents list | export | delete » (issue 23).
func incidentsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || !contains([]string{"list", "export", "delete"}, args[0]) {
		return usageError{msg: "attendu : vigie-hub incidents list | export | delete"}
	}
	switch args[0] {
	case "export":
		return incidentsExport(ctx, args[1:], stdout)
	case "delete":
		return incidentsDelete(ctx, args[1:], stdout)
	}
	return incidentsList(ctx, args[1:], stdout)
}

// openIncidents opens the store and the incidents service over the data
// folder's archives and keys.
func openIncidents(ctx context.Context, c *command, dataDir string) (store.Store, *app.Incidents, error) {
	if dataDir == "" {
		dataDir = defaultDataDir(*c.db)
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return nil, nil, err
	}
	keys, _, err := loadHubKeys(dataDir, false)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	x, err := app.NewIncidents(app.IncidentConfig{Store: st, Dir: filepath.Join(dataDir, app.IncidentDir), Keys: keys})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, x, nil
}

// incidentRow is one line of « incidents list --format json ».
type incidentRow struct {
	ID         int64     `json:"id"`
	Entity     string    `json:"entity"`
	Sector     string    `json:"sector"`
	AgentID    string    `json:"agent_id"`
	Hostname   string    `json:"hostname"`
	Kind       string    `json:"kind"`
	AwareAt    time.Time `json:"aware_at,omitzero"`
	DeclaredAt time.Time `json:"declared_at"`
	Status     string    `json:"status"`
}

func incidentsList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("incidents list [--format text|json] [--open]",
		"Liste les incidents déclarés, du plus récent au plus ancien : numéro, entité, secteur, agent, poste, type,\n"+
			"prise de connaissance, déclaration et statut.")
	format := c.fs.String("format", "text", "`FORMAT` : text ou json")
	open := c.fs.Bool("open", false, "seulement les incidents non clos")
	if err := c.parse(args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("--format : text ou json")
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.ListIncidents(ctx, store.IncidentFilter{OpenOnly: *open})
	if err != nil {
		return fmt.Errorf("lecture de la base : %w", err)
	}
	rows := make([]incidentRow, 0, len(list))
	for _, in := range list {
		rows = append(rows, incidentRow{ID: in.ID, Entity: in.Entity, Sector: in.Sector, AgentID: in.AgentID, Hostname: in.Hostname,
			Kind: in.Kind, AwareAt: in.AwareAt, DeclaredAt: in.DeclaredAt, Status: in.Status})
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "Aucun incident déclaré.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "N°\tENTITÉ\tSECTEUR\tPOSTE\tTYPE\tCONNAISSANCE\tDÉCLARÉ\tSTATUT")
	for _, r := range rows {
		aware := "—"
		if !r.AwareAt.IsZero() {
			aware = r.AwareAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Entity, r.Sector, r.Hostname, r.Kind, aware, r.DeclaredAt.Local().Format("2006-01-02 15:04"), app.StatusName(r.Status))
	}
	return tw.Flush()
}

func incidentID(c *command) (int64, error) {
	if c.fs.NArg() != 1 {
		return 0, c.usageErr("un numéro d'incident attendu (vigie-hub incidents list les donne)")
	}
	id, err := strconv.ParseInt(c.fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, c.usageErr("numéro d'incident %q invalide", c.fs.Arg(0))
	}
	return id, nil
}

func incidentsExport(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("incidents export N --out DOSSIER [--data-dir DOSSIER]",
		"Écrit le lot déchiffré de l'incident N dans DOSSIER : un fichier JSON par collecteur, tel que l'agent l'a\n"+
			"écrit, et le manifeste, chacun lisible par son seul propriétaire (0600), pour les outils du CSIRT. Chaque fichier\n"+
			"est vérifié contre le manifeste signé. L'export est inscrit au journal d'audit ; effacez le dossier après usage.")
	out := c.fs.String("out", "", "`DOSSIER` de sortie (créé en 0700 ; les fichiers ne doivent pas y exister)")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub : archives et clés (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	if *out == "" {
		return c.usageErr("--out est obligatoire")
	}
	st, x, err := openIncidents(ctx, c, *dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	files, err := x.ExportIncident(ctx, id, filepath.Clean(*out), "cli")
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("aucun incident n°%d", id)
	}
	if err != nil {
		return fmt.Errorf("export de l'incident %d : %w", id, err)
	}
	fmt.Fprintf(stdout, "Incident %d : %d fichiers écrits dans %s.\n", id, len(files), *out)
	return nil
}

func incidentsDelete(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("incidents delete N [--data-dir DOSSIER]",
		"Supprime l'incident N : son archive chiffrée, ses notes et sa fiche. La suppression est inscrite au journal d'audit.")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub : archives et clés (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	if err := c.parse(args); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	st, x, err := openIncidents(ctx, c, *dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	err = x.Delete(ctx, id, "cli", "vigie-hub incidents delete")
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("aucun incident n°%d", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Incident %d supprimé (archive, notes et fiche).\n", id)
	return nil
}
