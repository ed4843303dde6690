package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
)

// importCmd imports what isolated sites carry on a USB stick: offline
// scorecards, decrypted with the hub's age identity and checked as the
// upload API checks them (hub/api, ImportOffline). One line per file; exit
// 1 when any file was refused, so that a script sees it.
func importCmd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("import [--data-dir DOSSIER] [--format text|json] CHEMIN...",
		"Importe les fichiers apportés d'un site isolé (clé USB) : les bilans hors ligne (.scorecard.age), chiffrés\n"+
			"pour ce hub, sont déchiffrés avec sa clé age puis vérifiés comme à l'envoi en ligne (signature, enrôlement,\n"+
			"révocation, doublons, tailles). CHEMIN : fichiers ou dossiers (parcourus récursivement). Une ligne par fichier :\n"+
			"enregistré, doublon, enregistré dans l'historique (plus ancien que le dernier bilan du poste) ou refusé avec\n"+
			"la raison ; un fichier refusé n'arrête jamais l'import. Relancer l'import sur la même clé ne fait que des doublons.\n"+
			"Un hub en marche voit aussitôt les bilans importés (pages, export) et ses alertes à leur prochain passage ;\n"+
			"il les rapproche des avis CERT-FR à son prochain démarrage.\n"+
			"Code de sortie 1 si au moins un fichier a été refusé.")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub, où est sa clé age (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	format := c.fs.String("format", "text", "`FORMAT` du compte rendu : text (une ligne par fichier) ou json")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() == 0 {
		return c.usageErr("indiquez au moins un fichier ou un dossier à importer")
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("--format : text ou json")
	}
	keys, st, err := openWithKeys(ctx, c, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	var files []api.FileReport
	report := func(r api.FileReport) {
		if *format == "json" {
			files = append(files, r)
			return
		}
		line := r.Path + " : " + r.Message
		if r.AgentID != "" && r.Sequence != 0 {
			line += fmt.Sprintf(" (agent %s, bilan n° %d)", r.AgentID, r.Sequence)
		}
		fmt.Fprintln(stdout, line)
	}
	incidents, err := app.NewIncidents(app.IncidentConfig{Store: st, Dir: filepath.Join(*dataDir, app.IncidentDir), Keys: keys})
	if err != nil {
		return err
	}
	sum, err := api.ImportOffline(ctx, st, api.OfflineConfig{Keys: keys, Report: report, By: "cli", Incidents: incidents}, c.fs.Args()...)
	if *format == "json" {
		if files == nil {
			files = []api.FileReport{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(struct {
			Files   []api.FileReport   `json:"files"`
			Summary api.OfflineSummary `json:"summary"`
		}{files, sum}); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		fmt.Fprintf(stdout, "Bilan : %s\n", summaryLine(sum))
	}
	if err != nil {
		return fmt.Errorf("import interrompu : %w", err)
	}
	if sum.Refused > 0 {
		return fmt.Errorf("%d fichier(s) refusé(s) : voir le compte rendu ci-dessus", sum.Refused)
	}
	return nil
}

func summaryLine(s api.OfflineSummary) string {
	parts := []string{fmt.Sprintf("%d enregistré(s)", s.Stored), fmt.Sprintf("%d doublon(s)", s.Duplicates),
		fmt.Sprintf("%d dans l'historique", s.History), fmt.Sprintf("%d refusé(s)", s.Refused)}
	if s.Ignored > 0 {
		parts = append(parts, fmt.Sprintf("%d ignoré(s)", s.Ignored))
	}
	if s.NotHandled > 0 {
		parts = append(parts, fmt.Sprintf("%d non pris en charge", s.NotHandled))
	}
	return strings.Join(parts, ", ")
}
