// Command vigie-hub is the regional hub: it enrols agents, receives their
// signed scorecards and serves the advisers' interface.
//
//	vigie-hub init [--db PATH|postgres://...]
//	vigie-hub serve [--listen :8443] [--db ...] [--cert F --key F] [--public-url URL]
//	vigie-hub token create --entity NAME --sector SECTOR [--expires 72h] [--uses N]
//	vigie-hub entity list | entity set-sector --entity NAME --sector SECTOR | entity set-size-band --entity NAME --size-band BAND
//	vigie-hub user add --email ADDR --role adviser|admin   (password on stdin)
//	vigie-hub agent revoke AGENT_ID
//	vigie-hub agent reinstate AGENT_ID
//	vigie-hub agent link OLD_ID NEW_ID
//	vigie-hub export [--format csv|json] [--sector S] [--out FILE]
//	vigie-hub backup --out FILE
//	vigie-hub inventory --entity NAME [--format json|csv] [--out FILE]
//	vigie-hub enroll-offline REQUEST --token T --out RESPONSE
//	vigie-hub import [--format text|json] PATH...
//	vigie-hub bundle export --out FILE | bundle import FILE --key KEY [--repin]
//	vigie-hub federate --to URL --fingerprint FP --region NAME
//	vigie-hub region add NAME --key KEY | revoke NAME | list
//	vigie-hub national report [--format json]
//	vigie-hub incidents list [--format json] | export N --out DIR | delete N
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
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

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
  vigie-hub init   [--db CHEMIN|postgres://...]   (crée la base SQLite ou met à jour la base PostgreSQL)
  vigie-hub serve  [--listen :8443] [--db ...] [--public-url URL] [--cert FICHIER --key FICHIER] [--data-dir DOSSIER] ...
  vigie-hub token create --entity "Mairie de X" --sector commune [--size-band pop-1000-3499] [--expires 72h] [--uses N]   (N postes par jeton, défaut 1)
  vigie-hub entity list
  vigie-hub entity set-sector --entity "Mairie de X" --sector port
  vigie-hub entity set-size-band --entity "Mairie de X" --size-band pop-3500-9999   (tranche de taille : comparaison avec les entités semblables)
  vigie-hub user add --email conseiller@exemple.fr --role adviser|admin   (mot de passe lu sur l'entrée standard)
  vigie-hub agent revoke ID_AGENT
  vigie-hub agent reinstate ID_AGENT   (annule une révocation faite par erreur)
  vigie-hub agent link ANCIEN_ID NOUVEL_ID   (la nouvelle clé d'un agent révoqué reprend son historique)
  vigie-hub export [--format csv|json] [--sector SECTEUR] [--lang fr|en] [--out FICHIER]
  vigie-hub backup --out FICHIER   (copie cohérente de la base SQLite, hub en marche)
  vigie-hub advisories import CHEMIN...   (avis CERT-FR : fichiers JSON, dossiers, .tar, .tar.gz, .tar.zst)
  vigie-hub advisories fetch [--since AAAA-MM-JJ] [--base-url URL] [--proxy URL]
  vigie-hub advisories list [--exposed] [--format text|json|csv]
  vigie-hub advisories review [--format text|json|csv]
  vigie-hub exposure [--advisory REF] [--entity NOM] [--format text|json|csv]
  vigie-hub inventory --entity "Mairie de X" [--format json|csv] [--out FICHIER]   (logiciels et équipements déclarés)
  vigie-hub keys [--format json]   (clés publiques du hub : signature et destinataire age)
  vigie-hub enroll-offline DEMANDE --token JETON --out RÉPONSE   (inscription d'un poste hors réseau)
  vigie-hub import [--format text|json] CHEMIN...   (bilans hors ligne apportés d'un site isolé : fichiers ou dossiers)
  vigie-hub bundle export --out FICHIER   (avis CERT-FR, alias et catalogue signés, pour un hub isolé)
  vigie-hub bundle import FICHIER --key CLÉ [--repin]   (sur le hub isolé : vérifie la signature du hub exportateur)
  vigie-hub federate --to URL --fingerprint EMPREINTE --region NOM   (agrégat régional signé vers le hub national)
  vigie-hub region add NOM --key CLÉ | region revoke NOM | region list   (hub national : régions acceptées)
  vigie-hub national report [--day AAAA-MM-JJ] [--format text|json]   (hub national : par région et secteur)
  vigie-hub incidents list [--format text|json] [--open]   (incidents déclarés)
  vigie-hub incidents export N --out DOSSIER   (lot déchiffré de l'incident N, fichiers JSON)
  vigie-hub incidents delete N   (archive, notes et fiche ; inscrit au journal d'audit)
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
		c, err := sub("list", "set-sector", "set-size-band")
		if err != nil {
			return err
		}
		switch c {
		case "list":
			return entityList(ctx, args[2:], stdout)
		case "set-size-band":
			return entitySetSizeBand(ctx, args[2:], stdout)
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
	case "advisories":
		return advisoriesCmd(ctx, args[1:], stdout, stderr)
	case "exposure":
		return exposureCmd(ctx, args[1:], stdout)
	case "inventory":
		return inventory(ctx, args[1:], stdout)
	case "keys":
		return keysCmd(ctx, args[1:], stdout)
	case "enroll-offline":
		return enrollOffline(ctx, args[1:], stdout)
	case "import":
		return importCmd(ctx, args[1:], stdout)
	case "bundle":
		verb, err := sub("export", "import")
		if err != nil {
			return err
		}
		if verb == "export" {
			return bundleExport(ctx, args[2:], stdout)
		}
		return bundleImport(ctx, args[2:], stdout)
	case "federate":
		return federate(ctx, args[1:], stdout)
	case "region":
		return regionCmd(ctx, args[1:], stdout)
	case "national":
		return nationalCmd(ctx, args[1:], stdout)
	case "incidents":
		return incidentsCmd(ctx, args[1:], stdout)
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
