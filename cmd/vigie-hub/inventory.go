package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vigie-cyber/vigie/hub/app"
)

// inventory exports an entity's software inventories and declared
// appliances (issue 15).
func inventory(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand(`inventory --entity "Mairie de X" [--format json|csv] [--out FICHIER]`,
		"Exporte les logiciels installés sur chaque poste de l'entité (dernier inventaire reçu) et les équipements\n"+
			"déclarés (pare-feu, NAS... : par la configuration des agents ou sur la page de l'entité). L'export est inscrit\n"+
			"au journal d'audit.")
	entity := c.fs.String("entity", "", "`NOM` de l'entité, exact aux majuscules près")
	format := c.fs.String("format", "json", "`FORMAT` : json ou csv")
	out := c.fs.String("out", "", "`FICHIER` de sortie (défaut : sortie standard)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *entity == "" {
		return c.usageErr("--entity est obligatoire")
	}
	if *format != "csv" && *format != "json" {
		return c.usageErr("--format %q inconnu : json ou csv", *format)
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := app.New(app.Config{Store: st}).EntityInventory(ctx, *entity, *format, "cli")
	if errors.Is(err, app.ErrUnknownEntity) {
		return err
	}
	if err != nil {
		return fmt.Errorf("lecture de la base : %w", err)
	}
	w := stdout
	if *out != "" {
		file, err := os.Create(filepath.Clean(*out))
		if err != nil {
			return fmt.Errorf("création de %s : %w", *out, err)
		}
		defer file.Close()
		w = file
	}
	if *format == "json" {
		err = x.WriteJSON(w)
	} else {
		err = x.WriteCSV(w)
	}
	if err != nil {
		return fmt.Errorf("écriture de l'export : %w", err)
	}
	return nil
}
