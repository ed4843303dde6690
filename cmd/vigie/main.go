// Command vigie is the Vigie agent: it scans the host, scores and signs the
// result, and (as a service) delivers it to the regional hub.
//
// Exit codes (documented in the README):
//
//	0  the command ran (a scan with failed checks still exits 0: the findings are the result)
//	1  the scan or the command failed (could not write a report, key unreadable, hub unreachable...)
//	2  usage error (unknown command or flag, missing argument)
//	3  verification failed: the scorecard was altered, or signed with another key
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitVerify  = 3
)

// usageError marks errors that are the user's invocation, not the host.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// command is one sub-command of vigie.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"scan":          {"analyse cet hôte et affiche son bilan (aucune configuration requise)", runScan},
	"verify":        {"vérifie la signature d'un bilan signé : vigie verify FICHIER --key CLÉ.pub", runVerify},
	"version":       {"affiche la version", runVersion},
	"install":       {"installe l'agent comme service et l'inscrit : vigie install --hub https://... --token ...", runInstall},
	"uninstall":     {"supprime le service (--purge : aussi la configuration, la clé et les bilans en attente)", runUninstall},
	"enroll":        {"inscrit l'agent auprès du hub régional avec un jeton à usage unique", runEnroll},
	"status":        {"état du service, dernier bilan, file d'envoi, dernier envoi", runStatus},
	"run":           {"corps du service (lancé par systemd ou le gestionnaire de services Windows)", runService},
	"questionnaire": {"répond aux questions sur l'organisation (sauvegardes hors ligne, double authentification...)", runQuestionnaire},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "vigie : commande inconnue %q (vigie help liste les commandes)\n", args[0])
		return exitUsage
	}
	err := cmd.run(args[1:], stdout, stderr)
	var ue usageError
	var ve verifyError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "vigie %s : %v\n", args[0], err)
		return exitUsage
	case errors.As(err, &ve):
		fmt.Fprintf(stderr, "vigie %s : %v\n", args[0], err)
		return exitVerify
	default:
		fmt.Fprintf(stderr, "vigie %s : %v\n", args[0], err)
		return exitFailure
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Vigie — autodiagnostic de cybersécurité pour les collectivités, hôpitaux et ports.")
	fmt.Fprintln(w, "\nUsage : vigie COMMANDE [options]   (vigie COMMANDE -h pour les options)")
	fmt.Fprintln(w, "\nCommandes :")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nCodes de sortie : 0 terminé, 1 échec de la commande, 2 erreur d'utilisation, 3 vérification de signature refusée.")
}

// newFlags builds a flag set whose parse errors become usage errors.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vigie "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { // the flag package's own help is in English
		w := fs.Output()
		fmt.Fprintf(w, "Utilisation : vigie %s [options]\nOptions :\n", name)
		fs.VisitAll(func(f *flag.Flag) {
			kind, usage := flag.UnquoteUsage(f)
			kind = map[string]string{"string": "texte", "value": "valeur", "duration": "durée", "int": "entier"}[kind]
			fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, kind, usage)
			if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
				fmt.Fprintf(w, " (défaut : %s)", d)
			}
			fmt.Fprintln(w)
		})
	}
	return fs
}

// parse parses flags, allowing positional arguments before or after them.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func runVersion(args []string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout, "vigie", version())
	return nil
}
