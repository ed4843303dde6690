// Command vigie-hub is the regional hub: it enrols agents, receives their
// signed scorecards and serves the advisers' interface.
//
//	vigie-hub serve [--listen :8443] [--db PATH|postgres://...] [--cert F --key F]
//	vigie-hub token create --entity NAME --sector SECTOR [--expires 72h]
//	vigie-hub user add --email ADDR --role adviser|admin   (password on stdin)
//	vigie-hub agent revoke AGENT_ID
//	vigie-hub export [--format csv|json] [--sector S] [--out FILE]
//	vigie-hub backup --out FILE
//
// Exit codes: 0 success; 1 the operation failed (message on stderr);
// 2 wrong usage; 3 the database could not be opened.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
)

// Version is set at build time (-ldflags "-X main.Version=...").
var Version = "dev"

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
	exitDB    = 3
)

const defaultDB = "/var/lib/vigie-hub/hub.db"

const usage = `vigie-hub — hub régional Vigie

Utilisation :
  vigie-hub serve  [--listen :8443] [--db CHEMIN|postgres://...] [--cert FICHIER --key FICHIER] [--data-dir DOSSIER]
  vigie-hub token create --entity "Mairie de X" --sector commune [--expires 72h]
  vigie-hub user add --email conseiller@exemple.fr --role adviser|admin   (mot de passe lu sur l'entrée standard)
  vigie-hub agent revoke ID_AGENT
  vigie-hub export [--format csv|json] [--sector SECTEUR] [--out FICHIER]
  vigie-hub backup --out FICHIER   (copie cohérente de la base SQLite, hub en marche)

Chaque commande accepte --db (défaut ` + defaultDB + `).
Codes de sortie : 0 succès, 1 échec de l'opération, 2 mauvaise utilisation, 3 base de données inaccessible.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a command-line mistake (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// dbError is a database that cannot be opened (exit 3).
type dbError struct{ err error }

func (e dbError) Error() string { return e.err.Error() }
func (e dbError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	if err == nil {
		return exitOK
	}
	var ue usageError
	var de dbError
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "vigie-hub : %s\n\n%s", ue.msg, usage)
		return exitUsage
	case errors.As(err, &de):
		fmt.Fprintf(stderr, "vigie-hub : impossible d'ouvrir la base de données : %v\n", de.err)
		return exitDB
	}
	fmt.Fprintf(stderr, "vigie-hub : %v\n", err)
	return exitFail
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"commande manquante"}
	}
	switch args[0] {
	case "-h", "--help", "help":
		return flag.ErrHelp
	case "version", "--version":
		fmt.Fprintln(stdout, "vigie-hub", Version)
		return nil
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "token":
		if len(args) < 2 || args[1] != "create" {
			return usageError{"attendu : vigie-hub token create --entity ... --sector ..."}
		}
		return tokenCreate(ctx, args[2:], stdout)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return usageError{"attendu : vigie-hub user add --email ... --role adviser|admin"}
		}
		return userAdd(ctx, args[2:], stdin, stdout, stderr)
	case "agent":
		if len(args) < 2 || args[1] != "revoke" {
			return usageError{"attendu : vigie-hub agent revoke ID_AGENT"}
		}
		return agentRevoke(ctx, args[2:], stdout)
	case "export":
		return export(ctx, args[1:], stdout)
	case "backup":
		return backup(ctx, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("commande inconnue %q", args[0])}
}

func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", defaultDB, "base SQLite (chemin) ou PostgreSQL (postgres://...)")
	return fs, db
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func openStore(ctx context.Context, dsn string) (store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, dbError{err}
	}
	return st, nil
}

func tokenCreate(ctx context.Context, args []string, stdout io.Writer) error {
	fs, db := newFlags("token create")
	entity := fs.String("entity", "", "entité (ex. \"Mairie de Plouguerneau\")")
	sector := fs.String("sector", "", "secteur : commune, hospital, port, other")
	expires := fs.Duration("expires", 72*time.Hour, "durée de validité")
	if err := parse(fs, args); err != nil {
		return err
	}
	name := strings.TrimSpace(*entity)
	if name == "" {
		return usageError{"--entity est obligatoire"}
	}
	if err := app.CheckEntity(name, *sector); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : ")}
	}
	if *expires <= 0 || *expires > app.MaxTokenValidity {
		return usageError{"--expires doit être entre 1s et 720h"}
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	tok, err := app.New(app.Config{Store: st}).CreateToken(ctx, name, *sector, *expires, "cli")
	if err != nil {
		return fmt.Errorf("création du jeton : %w", err)
	}
	fmt.Fprintf(stdout, "Jeton d'enrôlement pour %q (valable %s, une seule fois) :\n\n    %s\n\nIl n'est pas conservé par le hub : transmettez-le maintenant à l'entité.\n", name, *expires, tok)
	return nil
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, db := newFlags("user add")
	email := fs.String("email", "", "adresse électronique du compte")
	roleS := fs.String("role", "adviser", "adviser ou admin")
	if err := parse(fs, args); err != nil {
		return err
	}
	// Checked before the password is read (app.AddUser checks again).
	if _, err := store.ParseRole(*roleS); err != nil || app.CheckEmail(*email) != nil {
		return usageError{"--email valide et --role adviser|admin sont obligatoires"}
	}
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return fmt.Errorf("lecture du mot de passe : %w", err)
	}
	if err := auth.CheckStrength(pw); err != nil {
		return fmt.Errorf("mot de passe trop court : %d caractères au moins", auth.MinPasswordLength)
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := app.New(app.Config{Store: st}).AddUser(ctx, *email, *roleS, pw, auth.Default, "cli")
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("le compte %s existe déjà", *email)
	}
	if err != nil {
		return fmt.Errorf("création du compte : %w", err)
	}
	fmt.Fprintf(stdout, "Compte %s créé (rôle %s).\n", u.Email, u.Role)
	return nil
}

// readPassword reads one line; on a terminal the echo is switched off
// (term_*.go). The password never appears in argv (visible to every user
// through ps) nor in the shell history.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(stderr, "Mot de passe (12 caractères au moins) : ")
		restore, err := noEcho(f)
		if err == nil {
			defer func() { restore(); fmt.Fprintln(stderr) }()
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("aucun mot de passe sur l'entrée standard")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func agentRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	fs, db := newFlags("agent revoke")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"attendu : vigie-hub agent revoke ID_AGENT"}
	}
	id := fs.Arg(0)
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.New(app.Config{Store: st}).RevokeAgent(ctx, id, "cli"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("agent %s inconnu de ce hub", id)
		}
		return err
	}
	fmt.Fprintf(stdout, "Agent %s révoqué : ses bilans sont désormais refusés (403). Un nouveau jeton permet de le réenrôler.\n", id)
	return nil
}

func export(ctx context.Context, args []string, stdout io.Writer) error {
	fs, db := newFlags("export")
	format := fs.String("format", "csv", "csv ou json")
	sector := fs.String("sector", "", "ne garder que ce secteur")
	out := fs.String("out", "", "fichier de sortie (défaut : sortie standard)")
	lang := fs.String("lang", "fr", "langue des noms de niveau (fr, en)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usageError{"--format csv ou json"}
	}
	st, err := openStore(ctx, *db)
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

func backup(ctx context.Context, args []string, stdout io.Writer) error {
	fs, db := newFlags("backup")
	out := fs.String("out", "", "fichier de la sauvegarde (ne doit pas exister)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return usageError{"attendu : vigie-hub backup --out FICHIER"}
	}
	if store.IsPostgres(*db) {
		return errors.New("la base est PostgreSQL : sauvegardez-la avec pg_dump (voir le README, « Sauvegarde du hub »)")
	}
	// Opening a store creates a missing database: a backup must not.
	if _, err := os.Stat(*db); errors.Is(err, os.ErrNotExist) {
		return dbError{fmt.Errorf("%s n'existe pas", *db)}
	} else if err != nil {
		return dbError{err}
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
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "backup", Target: *out})
	fmt.Fprintf(stdout, "Sauvegarde écrite et vérifiée : %s (%.1f Mo, %s).\n", *out, float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Pour restaurer : arrêter le hub, supprimer %s-wal et %s-shm s'ils existent, puis copier la sauvegarde à la place de %s.\n", *db, *db, *db)
	return nil
}
