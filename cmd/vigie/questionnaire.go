package main

import (
	"fmt"
	"io"
	"os"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/organisation"
)

// stdin is the questionnaire's input; tests replace it.
var stdin io.Reader = os.Stdin

func runQuestionnaire(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("questionnaire", stdout)
	lang := fs.String("lang", "fr", "langue des questions : fr ou en")
	stateDir := fs.String("state-dir", defaultStateDir(), "dossier d'état où les réponses sont gardées")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	if *lang != "fr" && *lang != "en" {
		return usagef("--lang doit valoir fr ou en, pas %q", *lang)
	}
	previous, err := agent.LoadAnswers(*stateDir)
	if err != nil {
		return err
	}
	answers, askErr := organisation.Ask(stdin, stdout, *lang, previous)
	// Save whatever was answered, even after a read error: nothing typed is lost.
	if err := agent.SaveAnswers(*stateDir, answers); err != nil {
		return fmt.Errorf("enregistrement des réponses : %w", err)
	}
	if askErr != nil {
		return askErr
	}
	if *lang == "en" {
		fmt.Fprintf(stdout, "%d answers saved in %s; they count in the next scan as declared.\n", len(answers), *stateDir)
	} else {
		fmt.Fprintf(stdout, "%d réponses enregistrées dans %s ; elles comptent dans le prochain bilan comme « déclarées ».\n", len(answers), *stateDir)
	}
	return nil
}
