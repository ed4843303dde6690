package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Commands that prepare a region: the database, tokens, entities and adviser accounts.

func tokenCreate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("token create --entity NOM --sector SECTEUR [--size-band TRANCHE] [--expires 72h] [--uses N] [options]",
		"Crée un jeton d'enrôlement (à usage unique, ou pour N postes avec --uses) pour une entité (créée si elle est nouvelle) et affiche\n"+
			"la commande d'installation à transmettre à son informaticien. Un jeton ne change jamais une entité\n"+
			"existante : son nom doit être écrit exactement, son secteur changé par « entity set-sector » et sa tranche\n"+
			"de taille par « entity set-size-band ».")
	entity := c.fs.String("entity", "", "`NOM` de l'entité, par exemple \"Mairie de Plouguerneau\" (obligatoire)")
	sector := c.fs.String("sector", "", "`SECTEUR` de l'entité : commune, hospital, port ou other (obligatoire)")
	sizeBand := c.fs.String("size-band", "", "`TRANCHE` de taille d'une nouvelle entité, à laquelle elle est comparée : "+bandHelp)
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
	if _, err := cohort.ParseBand(protocol.Sector(*sector), *sizeBand); err != nil {
		return c.usageErr("%v", err)
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
	tok, err := app.New(app.Config{Store: st}).CreateEntityToken(ctx, app.TokenRequest{Entity: name, Sector: *sector, SizeBand: *sizeBand, Validity: *expires, Uses: *uses}, "cli")
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
	c := newCommand("entity list [--db ...]", "Affiche les entités connues du hub, avec leur secteur et, quand elle est donnée, leur tranche de taille.")
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
		fmt.Fprintf(stdout, "%s\t%s (%s)", e.Name, protocol.Sector(e.Sector).Name("fr"), e.Sector)
		if e.SizeBand != "" {
			fmt.Fprintf(stdout, "\t%s (%s)", cohort.Band(e.SizeBand).Name("fr"), e.SizeBand)
		}
		fmt.Fprintln(stdout)
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
	e, err := entityNamed(ctx, a, *entity)
	if err != nil {
		return err
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

// bandHelp lists the size bands for the commands' help.
var bandHelp = func() string {
	var pop, hosts []string
	for _, b := range cohort.Bands {
		if b.Scale() == cohort.Population {
			pop = append(pop, string(b))
		} else {
			hosts = append(hosts, string(b))
		}
	}
	return "pour une commune, selon sa population, " + strings.Join(pop, ", ") + " ; pour les autres secteurs, selon le nombre de postes, " + strings.Join(hosts, ", ")
}()

func entitySetSizeBand(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("entity set-size-band --entity NOM --size-band TRANCHE",
		"Donne ou change la tranche de taille d'une entité existante, celle des entités auxquelles elle est\n"+
			"comparée (une tranche vide l'efface). Le changement est inscrit au journal d'audit avec l'ancienne et\n"+
			"la nouvelle tranche.")
	entity := c.fs.String("entity", "", "`NOM` exact de l'entité (obligatoire ; voir « vigie-hub entity list »)")
	band := c.fs.String("size-band", "", "nouvelle `TRANCHE` : "+bandHelp)
	if err := c.parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*entity) == "" {
		return c.usageErr("--entity est obligatoire")
	}
	if b := cohort.Band(strings.TrimSpace(*band)); b != "" && !b.Valid() {
		return c.usageErr("tranche de taille %q inconnue : %s", protocol.Clip(*band, 40), bandHelp)
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
	e, err := entityNamed(ctx, a, *entity)
	if err != nil {
		return err
	}
	old := e.SizeBand
	if e, err = a.SetSizeBand(ctx, e.ID, *band, "cli"); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : "))
	}
	fmt.Fprintf(stdout, "Entité « %s » : tranche de taille « %s » remplacée par « %s » (inscrit au journal d'audit).\n", e.Name,
		cohort.Band(old).Name("fr"), cohort.Band(e.SizeBand).Name("fr"))
	return nil
}

// entityNamed finds the entity a command names (exact, case aside), or
// says how to list them.
func entityNamed(ctx context.Context, a *app.App, name string) (store.Entity, error) {
	e, err := a.EntityByName(ctx, strings.TrimSpace(name))
	if errors.Is(err, store.ErrNotFound) {
		return e, fmt.Errorf("entité « %s » inconnue de ce hub (voir « vigie-hub entity list »)", name)
	}
	if err != nil {
		return e, errors.New(strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : "))
	}
	return e, nil
}
