package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigie-cyber/vigie/hub/store"
)

// The commands' flag sets and their French help: each command lists only its own options.

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
