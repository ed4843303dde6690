package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Commands that take data out: exports and the backup of the database.

func export(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("export [--format csv|json] [--sector SECTEUR] [--lang fr|en] [--out FICHIER]",
		"Exporte le dernier bilan de chaque poste (entité, secteur, poste, score, niveau, scores par domaine,\n"+
			"vérifications en échec), pour un tableur ou un autre outil. L'export est inscrit au journal d'audit.")
	format := c.fs.String("format", "csv", "`FORMAT` : csv ou json")
	sector := c.fs.String("sector", "", "ne garder que ce `SECTEUR` : commune, hospital, port ou other (défaut : tous)")
	out := c.fs.String("out", "", "`FICHIER` de sortie (défaut : sortie standard)")
	lang := c.fs.String("lang", "fr", "`LANGUE` des noms de niveau : fr ou en")
	if err := c.parse(args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return c.usageErr("--format %q inconnu : csv ou json", *format)
	}
	if *sector != "" {
		if _, err := protocol.ParseSector(*sector); err != nil {
			return c.usageErr("--sector : %v", err)
		}
	}
	if *lang != "fr" && *lang != "en" {
		return c.usageErr("--lang %q inconnue : fr ou en", *lang)
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := app.New(app.Config{Store: st}).Export(ctx, app.Filter{Sector: *sector, Level: -1}, *lang, *format, "cli")
	if err != nil {
		return fmt.Errorf("lecture de la base : %w", err)
	}
	w := stdout
	if *out != "" {
		// 0600: the export names every host of the region and its
		// weaknesses. A file that exists is narrowed before it is written.
		file, err := os.OpenFile(filepath.Clean(*out), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("création de %s : %w", *out, err)
		}
		defer file.Close()
		if err := file.Chmod(0o600); err != nil {
			return fmt.Errorf("droits de %s : %w", *out, err)
		}
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

func backup(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("backup --out FICHIER [--db CHEMIN] [--data-dir DOSSIER]",
		"Écrit une copie cohérente et vérifiée de la base SQLite, même hub en marche, et copie les clés du hub\n"+
			"dans FICHIER.hub-keys/. Une sauvegarde n'écrase jamais un fichier. Une base PostgreSQL se sauvegarde avec pg_dump.")
	out := c.fs.String("out", "", "`FICHIER` de la sauvegarde, qui ne doit pas exister (obligatoire)")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub, où sont ses clés (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	if err := c.parse(args); err != nil {
		return err
	}
	db := c.db
	if *out == "" || c.fs.NArg() != 0 {
		return c.usageErr("attendu : vigie-hub backup --out FICHIER")
	}
	if *dataDir == "" {
		*dataDir = defaultDataDir(*db)
	}
	if store.IsPostgres(*db) {
		return fmt.Errorf("la base est PostgreSQL : sauvegardez-la avec pg_dump, et copiez les clés du hub (%s, %s dans %s) à part (voir le README, « Sauvegarde du hub »)",
			hubkeys.SigningFile, hubkeys.AgeFile, *dataDir)
	}
	if fi, err := os.Stat(filepath.Dir(filepath.Clean(*out))); err != nil || !fi.IsDir() {
		return fmt.Errorf("le dossier de %s n'existe pas", *out)
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	b, ok := st.(store.Backuper)
	if !ok {
		return errors.New("cette base ne sait pas se sauvegarder elle-même")
	}
	start := time.Now()
	if err := b.Backup(ctx, *out); err != nil {
		if errors.Is(err, store.ErrBackupExists) {
			return fmt.Errorf("%s existe déjà : une sauvegarde n'écrase jamais un fichier, choisissez un autre nom", *out)
		}
		return fmt.Errorf("sauvegarde dans %s impossible, rien n'a été écrit : %w", *out, err)
	}
	size := int64(0)
	if fi, err := os.Stat(*out); err == nil {
		size = fi.Size()
	}
	keysDir := *out + ".hub-keys"
	copied, err := copyHubKeys(*dataDir, keysDir)
	if err != nil {
		return fmt.Errorf("base sauvegardée dans %s, mais copie des clés du hub dans %s impossible : %w", *out, keysDir, err)
	}
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "backup", Target: *out})
	fmt.Fprintf(stdout, "Sauvegarde écrite et vérifiée : %s (%s Mo, %s).\n", *out, decimalFR(float64(size)/1e6), time.Since(start).Round(time.Millisecond))
	if copied {
		fmt.Fprintf(stdout, "Clés du hub copiées dans %s (à restaurer dans %s avec la base).\n", keysDir, *dataDir)
	} else {
		fmt.Fprintf(stdout, "Pas de clés du hub dans %s (serve ou keys les crée) : rien d'autre à copier.\n", *dataDir)
	}
	fmt.Fprintf(stdout, "Pour restaurer : arrêter le hub, supprimer %s-wal et %s-shm s'ils existent, puis copier la sauvegarde à la place de %s.\n", *db, *db, *db)
	return nil
}

// decimalFR writes v with one decimal and a decimal comma, as French does
// (36,9 Mo).
func decimalFR(v float64) string { return strings.Replace(fmt.Sprintf("%.1f", v), ".", ",", 1) }
