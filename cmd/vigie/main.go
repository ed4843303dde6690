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
	"regexp"
	"sort"
	"strings"
	"sync"
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
	"incident":      {"en cas d'incident : que faire tout de suite, questions du CSIRT, lot de constats chiffré", runIncident},
	"questionnaire": {"répond aux questions sur l'organisation (sauvegardes hors ligne, double authentification...)", runQuestionnaire},
}

// summaries is each command's one-line summary for its help (a copy of
// commands' made at init: commands refers to the functions that print help).
var summaries = map[string]string{}

func init() {
	for n, c := range commands {
		summaries[n] = c.summary
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" {
		if _, ok := commands[args[1]]; ok {
			args = []string{args[1], "-h"}
		}
	}
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

// newFlags builds a command's flag set. The flag package's own messages are
// in English: they are silenced (output discarded) and parse reports its
// errors in French; -h prints the command's own options (printHelp) to
// help, the command's standard output.
func newFlags(name string, help io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vigie "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	helpOut.Store(fs, help)
	return fs
}

// printHelp lists a command's options, in French, with their defaults.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	name := fs.Name()
	fmt.Fprintf(w, "Utilisation : %s [options]\n", name)
	if sum, ok := summaries[strings.TrimPrefix(name, "vigie ")]; ok {
		fmt.Fprintf(w, "%s\n", upperFirst(sum))
	}
	fmt.Fprintln(w, "\nOptions :")
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		kind = map[string]string{"string": "texte", "value": "valeur", "duration": "durée", "int": "entier"}[kind]
		if kind != "" {
			kind = " " + kind
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s", f.Name, kind, usage)
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			fmt.Fprintf(w, " (défaut : %s)", d)
		}
		fmt.Fprintln(w)
	})
}

func upperFirst(s string) string {
	for i := range s {
		if i > 0 {
			return strings.ToUpper(s[:i]) + s[i:]
		}
	}
	return strings.ToUpper(s)
}

// helpOut maps a flag set to where its -h prints (the flag set's own
// output is io.Discard, see newFlags).
var helpOut sync.Map

// flagErrors turns the flag package's English parse errors into French.
var flagErrors = []struct {
	re  *regexp.Regexp
	msg string
}{
	{regexp.MustCompile(`^flag provided but not defined: -+(.*)$`), "option inconnue : --%s (vigie %s -h liste les options de la commande)"},
	{regexp.MustCompile(`^flag needs an argument: -+(.*)$`), "l'option --%s demande une valeur (vigie %s -h)"},
	{regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for flag -+([^:]*): .*$`), "valeur %q refusée pour --%s (vigie %s -h)"},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "option mal écrite : %s (vigie %s -h)"},
}

func frenchFlagError(cmd string, err error) error {
	for _, fe := range flagErrors {
		if m := fe.re.FindStringSubmatch(err.Error()); m != nil {
			args := []any{}
			for _, g := range m[1:] {
				args = append(args, g)
			}
			return usageError{fmt.Sprintf(fe.msg, append(args, cmd)...)}
		}
	}
	return usageError{err.Error()}
}

// parse parses flags, allowing positional arguments before or after them.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	help, _ := helpOut.LoadAndDelete(fs)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				if w, ok := help.(io.Writer); ok {
					printHelp(w, fs)
				}
				return nil, err
			}
			return nil, frenchFlagError(strings.TrimPrefix(fs.Name(), "vigie "), err)
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
	if pos, err := parse(newFlags("version", stdout), args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	fmt.Fprintln(stdout, "vigie", version())
	return nil
}
