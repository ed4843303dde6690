package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/national"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// The national hub's commands: regions (the regional hubs whose signed
// aggregates it accepts) and the national report.

func regionCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || !contains([]string{"add", "revoke", "list"}, args[0]) {
		return usageError{msg: "attendu : vigie-hub region add | revoke | list"}
	}
	switch args[0] {
	case "add":
		return regionAdd(ctx, args[1:], stdout)
	case "revoke":
		return regionRevoke(ctx, args[1:], stdout)
	}
	return regionList(ctx, args[1:], stdout)
}

// parseInterspersed parses flags placed before or after the one positional
// argument (region add NAME --key K, or --key K NAME).
func parseInterspersed(c *command, args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.parse(args); err != nil {
			return nil, err
		}
		if c.fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
}

func regionAdd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("region add NOM --key CLÉ [--db ...]",
		"Hub national : enregistre une région et la clé de signature de son hub (hub_signing_key, affichée par\n"+
			"vigie-hub keys sur le hub régional, à vérifier de vive voix par son empreinte). Seuls les agrégats signés\n"+
			"par une clé enregistrée et non révoquée sont acceptés.")
	key := c.fs.String("key", "", "`CLÉ` de signature du hub régional (base64, hub_signing_key de vigie-hub keys)")
	pos, err := parseInterspersed(c, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return c.usageErr("un nom de région attendu")
	}
	name := strings.TrimSpace(pos[0])
	if !federation.ValidRegion(name) {
		return c.usageErr("nom de région %q : lettres, chiffres, espaces et . _ ' - (80 caractères au plus)", protocol.Clip(name, 80))
	}
	fp, err := hubkeys.Fingerprint(*key)
	if err != nil {
		return c.usageErr("--key : clé de signature illisible (attendu : hub_signing_key affichée par vigie-hub keys)")
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.AddRegion(ctx, store.Region{Name: name, SigningKey: strings.TrimSpace(*key), KeyID: fp, AddedAt: time.Now(), AddedBy: "cli"})
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("la région %s ou cette clé est déjà enregistrée (vigie-hub region list)", name)
	}
	if err != nil {
		return err
	}
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "region_add", Target: name, Detail: "clé " + fp})
	fmt.Fprintf(stdout, "Région %s enregistrée, clé d'empreinte %s : comparez-la de vive voix avec celle qu'affiche vigie-hub keys sur son hub.\n", name, fp)
	return nil
}

func regionRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("region revoke NOM [--db ...]",
		"Hub national : révoque une région (clé perdue ou compromise) ; ses envois sont refusés, son historique est gardé.")
	pos, err := parseInterspersed(c, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return c.usageErr("un nom de région attendu")
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeRegion(ctx, pos[0], "cli", time.Now()); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("aucune région %s en activité (vigie-hub region list)", protocol.Clip(pos[0], 80))
	} else if err != nil {
		return err
	}
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "region_revoke", Target: pos[0]})
	fmt.Fprintf(stdout, "Région %s révoquée : ses envois sont désormais refusés.\n", pos[0])
	return nil
}

func regionList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("region list [--db ...] [--format text|json]", "Hub national : liste les régions enregistrées, leur clé et leur dernier envoi.")
	format := c.fs.String("format", "text", "`FORMAT` : text ou json")
	if err := c.parse(args); err != nil {
		return err
	}
	if (*format != "text" && *format != "json") || c.fs.NArg() != 0 {
		return c.usageErr("--format : text ou json, sans argument")
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	ov, err := national.Build(ctx, st, time.Now())
	if err != nil {
		return err
	}
	regions, err := st.Regions(ctx)
	if err != nil {
		return err
	}
	type row struct {
		Name       string `json:"name"`
		KeyID      string `json:"key_fingerprint"`
		Revoked    bool   `json:"revoked"`
		LastDay    string `json:"last_day"`
		SilentDays int    `json:"silent_days"`
	}
	var rows []row
	for i, r := range regions {
		rows = append(rows, row{Name: r.Name, KeyID: r.KeyID, Revoked: r.Revoked(), LastDay: ov.Regions[i].LastDay, SilentDays: ov.Regions[i].SilentDays})
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	for _, r := range rows {
		state := "active"
		if r.Revoked {
			state = "révoquée"
		}
		last := "aucun envoi"
		if r.LastDay != "" {
			last = "dernier jour " + r.LastDay
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", r.Name, r.KeyID, state, last)
	}
	return nil
}

func nationalCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "report" {
		return usageError{msg: "attendu : vigie-hub national report"}
	}
	c := newCommand("national report [--db ...] [--day AAAA-MM-JJ] [--format text|json]",
		"Hub national : par région, secteur et tranche de taille, le nombre d'entités, la répartition des niveaux et les\n"+
			"scores médians par domaine du dernier agrégat reçu (ou du jour --day) ; les effectifs retenus (moins de 5 entités) sont marqués.")
	format := c.fs.String("format", "text", "`FORMAT` : text ou json")
	day := c.fs.String("day", "", "`JOUR` AAAA-MM-JJ (défaut : le dernier reçu de chaque région)")
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if (*format != "text" && *format != "json") || c.fs.NArg() != 0 {
		return c.usageErr("--format : text ou json, sans argument")
	}
	if *day != "" {
		if _, err := federation.ParseDay(*day); err != nil {
			return c.usageErr("--day : %v", err)
		}
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := national.Report(ctx, st, *day)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	count := func(c federation.Count) string {
		if c.Withheld {
			return "retenu"
		}
		return fmt.Sprint(c.N)
	}
	fmt.Fprintln(stdout, "région\tjour\tsecteur\ttranche\tentités\tniveaux 0-4\tmédianes")
	for _, r := range rows {
		band := r.SizeBand
		if band == "" {
			band = "-"
		}
		if r.Withheld {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\tretenu (moins de 5)\t-\t-\n", r.Region, r.Day, r.Sector, band)
			continue
		}
		var lv, med []string
		for _, l := range r.Levels {
			lv = append(lv, count(l))
		}
		for _, d := range protocol.Domains {
			if v, ok := r.Medians[string(d)]; ok {
				med = append(med, fmt.Sprintf("%s %.1f", d, v))
			}
		}
		for _, d := range r.WithheldDomains {
			med = append(med, d+" retenu")
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Region, r.Day, r.Sector, band, count(r.Entities), strings.Join(lv, "/"), strings.Join(med, ", "))
	}
	return nil
}
