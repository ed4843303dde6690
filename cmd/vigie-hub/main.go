// Command vigie-hub is the regional hub: it enrols agents, receives their
// signed scorecards and serves the advisers' interface.
//
//	vigie-hub init [--db PATH|postgres://...]
//	vigie-hub serve [--listen :8443] [--db ...] [--cert F --key F] [--public-url URL]
//	vigie-hub token create --entity NAME --sector SECTOR [--expires 72h] [--uses N]
//	vigie-hub entity list | entity set-sector --entity NAME --sector SECTOR
//	vigie-hub user add --email ADDR --role adviser|admin   (password on stdin)
//	vigie-hub agent revoke AGENT_ID
//	vigie-hub agent reinstate AGENT_ID
//	vigie-hub agent link OLD_ID NEW_ID
//	vigie-hub export [--format csv|json] [--sector S] [--out FILE]
//	vigie-hub backup --out FILE
//
// init and serve create (SQLite) or migrate the database; every other
// command needs an existing, migrated one, so that a mistyped --db never
// starts an empty hub. Each command prints its own help with -h.
//
// Exit codes: 0 success; 1 the operation failed (message on stderr);
// 2 wrong usage; 3 the database could not be opened, does not exist or is
// not initialised.
package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
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
  vigie-hub init   [--db CHEMIN|postgres://...]   (crée la base SQLite ou met à jour la base PostgreSQL)
  vigie-hub serve  [--listen :8443] [--db ...] [--public-url URL] [--cert FICHIER --key FICHIER] [--data-dir DOSSIER] ...
  vigie-hub token create --entity "Mairie de X" --sector commune [--expires 72h] [--uses N]   (N postes par jeton, défaut 1)
  vigie-hub entity list
  vigie-hub entity set-sector --entity "Mairie de X" --sector port
  vigie-hub user add --email conseiller@exemple.fr --role adviser|admin   (mot de passe lu sur l'entrée standard)
  vigie-hub agent revoke ID_AGENT
  vigie-hub agent reinstate ID_AGENT   (annule une révocation faite par erreur)
  vigie-hub agent link ANCIEN_ID NOUVEL_ID   (la nouvelle clé d'un agent révoqué reprend son historique)
  vigie-hub export [--format csv|json] [--sector SECTEUR] [--lang fr|en] [--out FICHIER]
  vigie-hub backup --out FICHIER   (copie cohérente de la base SQLite, hub en marche)
  vigie-hub version

Aide d'une commande, avec toutes ses options : vigie-hub COMMANDE -h (par exemple vigie-hub serve -h).
Chaque commande accepte --db (défaut ` + defaultDB + `). Seuls init et serve créent ou mettent à jour
la base ; les autres commandes exigent une base existante et initialisée.
Codes de sortie : 0 succès, 1 échec de l'opération, 2 mauvaise utilisation, 3 base de données absente, non initialisée ou inaccessible.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a command-line mistake (exit 2); help is the command's
// own usage, printed after the message (the global usage when empty).
type usageError struct{ msg, help string }

func (e usageError) Error() string { return e.msg }

// helpRequest is -h: the command's usage on stdout, exit 0.
type helpRequest struct{ help string }

func (helpRequest) Error() string { return "aide" }

// dbError is a database that cannot be opened, is missing or is not
// initialised (exit 3).
type dbError struct {
	dsn string
	err error
}

func (e dbError) Error() string { return e.err.Error() }
func (e dbError) Unwrap() error { return e.err }

// message says in French what is wrong with the database and what to do.
func (e dbError) message() string {
	name := redact(e.dsn)
	var se *store.SchemaError
	switch {
	case errors.Is(e.err, store.ErrNoDatabase):
		return fmt.Sprintf("la base de données %s n'existe pas. Vérifiez --db (faute de frappe ?) ou, pour un nouveau hub, créez-la avec : vigie-hub init --db %s", name, name)
	case errors.As(e.err, &se) && se.Have > se.Want:
		return fmt.Sprintf("la base de données %s a été mise à jour par une version plus récente du hub (schéma %d, cette version connaît le %d) : utilisez cette version plus récente", name, se.Have, se.Want)
	case errors.Is(e.err, store.ErrNotMigrated):
		return fmt.Sprintf("la base de données %s n'est pas une base du hub initialisée et à jour. Vérifiez --db ou, pour l'initialiser ou la mettre à jour : vigie-hub init --db %s", name, name)
	}
	return fmt.Sprintf("impossible d'ouvrir la base de données %s : %v", name, e.err)
}

// redact hides a PostgreSQL URL's password in messages.
func redact(dsn string) string {
	if store.IsPostgres(dsn) {
		if u, err := url.Parse(dsn); err == nil {
			return u.Redacted()
		}
		return "postgres://…"
	}
	return dsn
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	if err == nil {
		return exitOK
	}
	var ue usageError
	var de dbError
	var hr helpRequest
	var ce configError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "vigie-hub : fichier de configuration %v\n", ce)
		return exitUsage
	case errors.As(err, &hr):
		fmt.Fprint(stdout, hr.help)
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		help := ue.help
		if help == "" {
			help = usage
		}
		fmt.Fprintf(stderr, "vigie-hub : %s\n\n%s", ue.msg, help)
		return exitUsage
	case errors.As(err, &de):
		fmt.Fprintf(stderr, "vigie-hub : %s\n", de.message())
		return exitDB
	}
	fmt.Fprintf(stderr, "vigie-hub : %v\n", err)
	return exitFail
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "commande manquante"}
	}
	sub := func(want ...string) (string, error) {
		if len(args) < 2 || !contains(want, args[1]) {
			return "", usageError{msg: fmt.Sprintf("attendu : vigie-hub %s %s", args[0], strings.Join(want, " | "))}
		}
		return args[1], nil
	}
	switch args[0] {
	case "-h", "--help", "help":
		return flag.ErrHelp
	case "version", "--version":
		fmt.Fprintln(stdout, "vigie-hub", Version)
		return nil
	case "init":
		return initDB(ctx, args[1:], stdout)
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "token":
		if _, err := sub("create"); err != nil {
			return err
		}
		return tokenCreate(ctx, args[2:], stdout)
	case "entity":
		c, err := sub("list", "set-sector")
		if err != nil {
			return err
		}
		if c == "list" {
			return entityList(ctx, args[2:], stdout)
		}
		return entitySetSector(ctx, args[2:], stdout)
	case "user":
		if _, err := sub("add"); err != nil {
			return err
		}
		return userAdd(ctx, args[2:], stdin, stdout, stderr)
	case "agent":
		verb, err := sub("revoke", "reinstate", "link")
		if err != nil {
			return err
		}
		switch verb {
		case "reinstate":
			return agentReinstate(ctx, args[2:], stdout)
		case "link":
			return agentLink(ctx, args[2:], stdout)
		}
		return agentRevoke(ctx, args[2:], stdout)
	case "export":
		return export(ctx, args[1:], stdout)
	case "backup":
		return backup(ctx, args[1:], stdout)
	}
	return usageError{msg: fmt.Sprintf("commande inconnue %q", args[0])}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// command is one command's flags and help.
type command struct {
	fs       *flag.FlagSet
	db       *string
	config   *string
	file     *hubFile // the configuration file read, nil when none
	synopsis string   // after "vigie-hub "
	about    string   // what it does, in French
}

// newCommand makes a command's flag set, with --db. Usages name their
// value between backquotes (flag.UnquoteUsage), in French.
func newCommand(synopsis, about string) *command {
	name, _, _ := strings.Cut(synopsis, " -")
	fs := flag.NewFlagSet(strings.TrimSpace(name), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := &command{fs: fs, synopsis: synopsis, about: about}
	c.db = fs.String("db", defaultDB, "base du hub : `CHEMIN` d'un fichier SQLite, ou URL postgres://utilisateur@hôte/base")
	c.config = fs.String("config", "", "`FICHIER` de configuration TOML : chaque option en clé (_ pour -), [smtp] et [[webhook]] ; les options de la ligne de commande l'emportent (défaut : "+defaultConfig+" s'il existe)")
	return c
}

// help is the command's usage: synopsis, what it does, every option with
// its default.
func (c *command) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Utilisation : vigie-hub %s\n\n%s\n\nOptions :\n", c.synopsis, c.about)
	c.fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		switch name {
		case "string":
			name = "TEXTE"
		case "int":
			name = "N"
		case "duration":
			name = "DURÉE"
		case "value":
			name = "VALEUR"
		}
		fmt.Fprintf(&b, "  --%s %s\n      %s", f.Name, name, text)
		if def := f.DefValue; def != "" && def != "[]" {
			if strings.HasSuffix(def, "h0m0s") { // a duration: 72h, not 72h0m0s
				def = strings.TrimSuffix(def, "0m0s")
			}
			fmt.Fprintf(&b, " (défaut : %s)", def)
		}
		b.WriteString("\n")
	})
	b.WriteString("\nCodes de sortie : 0 succès, 1 échec, 2 mauvaise utilisation, 3 base de données absente, non initialisée ou inaccessible.\n")
	return b.String()
}

// usageErr is a mistake on this command's line.
func (c *command) usageErr(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...), help: c.help()}
}

func (c *command) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpRequest{c.help()}
		}
		return c.usageErr("%s", frenchFlagError(err))
	}
	path := *c.config
	if path == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			path = defaultConfig
		}
	}
	if path == "" {
		return nil
	}
	f, err := loadConfig(path, newServe().c.fs)
	if err == nil {
		err = f.apply(c.fs)
	}
	if err != nil {
		return err
	}
	c.file = f
	return nil
}

// frenchFlagError says the flag package's usual mistakes in French.
func frenchFlagError(err error) string {
	m := err.Error()
	for prefix, fr := range map[string]string{
		"flag provided but not defined: ": "option inconnue : ",
		"flag needs an argument: ":        "valeur manquante pour l'option ",
		"invalid value ":                  "valeur invalide ",
	} {
		if rest, ok := strings.CutPrefix(m, prefix); ok {
			return fr + rest
		}
	}
	return m
}

// openStore opens the command's existing, initialised database (exit 3
// otherwise: never an empty new one).
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	st, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		return nil, dbError{dsn, err}
	}
	return st, nil
}

// createStore opens the database, creating (SQLite) or migrating it: init
// and serve only.
func createStore(ctx context.Context, dsn string) (store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, dbError{dsn, err}
	}
	return st, nil
}

func tokenCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("token create --entity NOM --sector SECTEUR [--expires 72h] [--uses N] [options]",
		"Crée un jeton d'enrôlement (à usage unique, ou pour N postes avec --uses) pour une entité (créée si elle est nouvelle) et affiche\n"+
			"la commande d'installation à transmettre à son informaticien. Un jeton ne change jamais une entité\n"+
			"existante : son nom doit être écrit exactement, et son secteur changé par « entity set-sector ».")
	entity := c.fs.String("entity", "", "`NOM` de l'entité, par exemple \"Mairie de Plouguerneau\" (obligatoire)")
	sector := c.fs.String("sector", "", "`SECTEUR` de l'entité : commune, hospital, port ou other (obligatoire)")
	expires := c.fs.Duration("expires", 72*time.Hour, "`DURÉE` de validité du jeton, de 1s à 720h (30 jours), par exemple 72h")
	uses := c.fs.Int("uses", 1, "nombre de postes (`N`) que le jeton peut enrôler, de 1 à 10000 : un parc entier (chaque usage au journal d'audit)")
	publicURL := c.fs.String("public-url", "", "`URL` publique du hub pour les agents (défaut : https://<nom de cette machine>:8443)")
	certFile := c.fs.String("cert", "", "certificat TLS du hub (`FICHIER` PEM) dont l'empreinte est donnée (défaut : hub.crt du dossier des données)")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *uses < 1 || *uses > app.MaxTokenUses {
		return c.usageErr("--uses doit être entre 1 et %d", app.MaxTokenUses)
	}
	name := strings.TrimSpace(*entity)
	if name == "" {
		return c.usageErr("--entity est obligatoire")
	}
	if err := app.CheckEntity(name, *sector); err != nil {
		return c.usageErr("%s", strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : "))
	}
	if *expires <= 0 || *expires > app.MaxTokenValidity {
		return c.usageErr("--expires doit être entre 1s et 720h (30 jours)")
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	tok, err := app.New(app.Config{Store: st}).CreateFleetToken(ctx, name, *sector, *expires, *uses, "cli")
	var conflict *app.EntityConflict
	if errors.As(err, &conflict) {
		return errors.New(conflict.Message("fr"))
	}
	if err != nil {
		return fmt.Errorf("création du jeton : %w", err)
	}
	if *dataDir == "" {
		*dataDir = defaultDataDir(*c.db)
	}
	if *certFile == "" {
		*certFile = filepath.Join(*dataDir, "hub.crt")
	}
	host, _ := os.Hostname()
	hubURL := app.PublicURL(*publicURL, host, ":8443")
	fp, fpErr := certSPKI(*certFile)
	times := "une seule fois"
	if *uses > 1 {
		times = fmt.Sprintf("pour %d postes", *uses)
	}
	fmt.Fprintf(stdout, "Jeton d'enrôlement pour %q (valable %s, %s) :\n\n    %s\n\n", name, app.DurationWords(*expires, "fr"), times, tok)
	if fpErr != nil {
		fmt.Fprintf(stdout, "Empreinte du hub inconnue (%v) : remplacez <EMPREINTE> par celle qu'affiche « vigie-hub serve », ou indiquez --cert.\n", fpErr)
		fp = "<EMPREINTE>"
	}
	fmt.Fprintf(stdout, "Commande à transmettre à l'entité (sur le poste à équiper, en administrateur) :\n\n    %s\n\n", app.InstallCommand(hubURL, tok, fp))
	fmt.Fprintf(stdout, "Le jeton n'est pas conservé par le hub : transmettez-le maintenant à l'entité.\n")
	if *publicURL == "" {
		fmt.Fprintf(stdout, "Adresse du hub déduite (%s) : si les agents le joignent autrement, indiquez --public-url.\n", hubURL)
	}
	return nil
}

// defaultDataDir is where serve keeps its self-signed certificate when
// --data-dir is not given: beside the SQLite database, else /var/lib/vigie-hub.
func defaultDataDir(db string) string {
	if store.IsPostgres(db) {
		return "/var/lib/vigie-hub"
	}
	return filepath.Dir(db)
}

// certSPKI is the fingerprint agents pin of the first certificate in file.
func certSPKI(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return "", fmt.Errorf("%s ne contient pas de certificat PEM", file)
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "", fmt.Errorf("%s : %w", file, err)
		}
		return SPKI(c), nil
	}
}

func initDB(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("init [--db CHEMIN|postgres://...]",
		"Crée la base SQLite du hub (et son dossier) ou initialise une base PostgreSQL existante, puis applique\n"+
			"les migrations de schéma. Sans effet sur une base déjà à jour ; à relancer après une mise à jour du hub\n"+
			"(serve le fait aussi au démarrage). Les autres commandes exigent une base ainsi préparée.")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := createStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "Base du hub prête : %s (schéma version %d).\n", redact(*c.db), store.SchemaVersion())
	return nil
}

func entityList(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("entity list [--db ...]", "Affiche les entités connues du hub, avec leur secteur.")
	if err := c.parse(args); err != nil {
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
	es, err := st.Entities(ctx)
	if err != nil {
		return fmt.Errorf("lecture de la base : %w", err)
	}
	if len(es) == 0 {
		fmt.Fprintln(stdout, "Aucune entité : créez un jeton avec « vigie-hub token create ».")
	}
	for _, e := range es {
		fmt.Fprintf(stdout, "%s\t%s (%s)\n", e.Name, protocol.Sector(e.Sector).Name("fr"), e.Sector)
	}
	return nil
}

func entitySetSector(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("entity set-sector --entity NOM --sector SECTEUR",
		"Change le secteur d'une entité existante (les statistiques régionales suivent). Le changement est\n"+
			"inscrit au journal d'audit avec l'ancien et le nouveau secteur.")
	entity := c.fs.String("entity", "", "`NOM` exact de l'entité (obligatoire ; voir « vigie-hub entity list »)")
	sector := c.fs.String("sector", "", "nouveau `SECTEUR` : commune, hospital, port ou other (obligatoire)")
	if err := c.parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*entity) == "" {
		return c.usageErr("--entity est obligatoire")
	}
	if _, err := protocol.ParseSector(*sector); err != nil {
		return c.usageErr("%v", err)
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	a := app.New(app.Config{Store: st})
	e, err := a.EntityByName(ctx, strings.TrimSpace(*entity))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("entité « %s » inconnue de ce hub (voir « vigie-hub entity list »)", *entity)
	}
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : "))
	}
	old := e.Sector
	if _, err := a.SetSector(ctx, e.ID, *sector, "cli"); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : "))
	}
	fmt.Fprintf(stdout, "Entité « %s » : secteur « %s » remplacé par « %s » (inscrit au journal d'audit).\n", e.Name,
		protocol.Sector(old).Name("fr"), protocol.Sector(*sector).Name("fr"))
	return nil
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := newCommand("user add --email ADRESSE [--role adviser|admin]   (mot de passe sur l'entrée standard)",
		"Crée un compte de l'interface web. Le mot de passe (12 caractères au moins) est lu sur l'entrée standard,\n"+
			"sans écho sur un terminal : il n'apparaît jamais dans la ligne de commande ni dans l'historique.\n"+
			"Rôles : adviser (conseiller : consulte et exporte), admin (administrateur : jetons, comptes, révocations, audit).")
	email := c.fs.String("email", "", "`ADRESSE` électronique du compte, son identifiant de connexion (obligatoire)")
	roleS := c.fs.String("role", "adviser", "`RÔLE` du compte : adviser ou admin")
	if err := c.parse(args); err != nil {
		return err
	}
	db := c.db
	// Checked before the password is read (app.AddUser checks again).
	if _, err := store.ParseRole(*roleS); err != nil || app.CheckEmail(*email) != nil {
		return c.usageErr("--email valide et --role adviser|admin sont obligatoires")
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
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
	c := newCommand("agent revoke [--db ...] ID_AGENT",
		"Révoque un agent : le hub refuse désormais ses bilans et ses enrôlements (403), même avec un nouveau jeton ;\n"+
			"ceux déjà reçus restent. L'agent crée une nouvelle clé à son prochain vigie enroll ; agent link lui rend\n"+
			"son historique, agent reinstate annule une révocation faite par erreur. L'identifiant figure sur la page\n"+
			"du poste et dans « Agents et révocation ».")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return c.usageErr("attendu : vigie-hub agent revoke ID_AGENT")
	}
	id := c.fs.Arg(0)
	st, err := openStore(ctx, *c.db)
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
	fmt.Fprintf(stdout, "Agent %s révoqué : ses bilans et ses enrôlements sont désormais refusés (403). "+
		"À son prochain vigie enroll, l'agent crée une nouvelle clé ; vigie-hub agent link %s NOUVEL_ID lui rend cet historique.\n", id, id)
	return nil
}

func agentReinstate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("agent reinstate [--db ...] ID_AGENT",
		"Annule une révocation faite par erreur : la clé de l'agent est de nouveau acceptée (inscrit au journal d'audit).")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return c.usageErr("attendu : vigie-hub agent reinstate ID_AGENT")
	}
	id := c.fs.Arg(0)
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.New(app.Config{Store: st}).ReinstateAgent(ctx, id, "cli"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("agent %s inconnu de ce hub", id)
		}
		return err
	}
	fmt.Fprintf(stdout, "Révocation de l'agent %s annulée : ses bilans sont de nouveau acceptés.\n", id)
	return nil
}

func agentLink(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("agent link [--db ...] ANCIEN_ID NOUVEL_ID",
		"La nouvelle clé d'un agent révoqué (créée à son vigie enroll suivant) reprend l'historique de l'ancienne :\n"+
			"même entité, ancien agent révoqué, nouveau non révoqué (inscrit au journal d'audit).")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 2 {
		return c.usageErr("attendu : vigie-hub agent link ANCIEN_ID NOUVEL_ID")
	}
	oldID, newID := c.fs.Arg(0), c.fs.Arg(1)
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.New(app.Config{Store: st}).LinkAgent(ctx, oldID, newID, "cli"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%v : agent inconnu de ce hub", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "L'agent %s reprend l'historique de %s.\n", newID, oldID)
	return nil
}

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
	c := newCommand("backup --out FICHIER [--db CHEMIN]",
		"Écrit une copie cohérente et vérifiée de la base SQLite, même hub en marche. Une sauvegarde n'écrase\n"+
			"jamais un fichier. Une base PostgreSQL se sauvegarde avec pg_dump.")
	out := c.fs.String("out", "", "`FICHIER` de la sauvegarde, qui ne doit pas exister (obligatoire)")
	if err := c.parse(args); err != nil {
		return err
	}
	db := c.db
	if *out == "" || c.fs.NArg() != 0 {
		return c.usageErr("attendu : vigie-hub backup --out FICHIER")
	}
	if store.IsPostgres(*db) {
		return errors.New("la base est PostgreSQL : sauvegardez-la avec pg_dump (voir le README, « Sauvegarde du hub »)")
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
	fmt.Fprintf(stdout, "Sauvegarde écrite et vérifiée : %s (%s Mo, %s).\n", *out, decimalFR(float64(size)/1e6), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Pour restaurer : arrêter le hub, supprimer %s-wal et %s-shm s'ils existent, puis copier la sauvegarde à la place de %s.\n", *db, *db, *db)
	return nil
}

// decimalFR writes v with one decimal and a decimal comma, as French does
// (36,9 Mo).
func decimalFR(v float64) string { return strings.Replace(fmt.Sprintf("%.1f", v), ".", ",", 1) }
