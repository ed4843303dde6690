package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/organisation"
)

// stdin is the questionnaire's input; tests replace it.
var stdin io.Reader = os.Stdin

// Organisational answers belong to the entity: on an enrolled agent the
// questionnaire sends them to the hub (a signed answers document), which
// keeps them for the entity; they are also saved on the host and count in
// its own scorecards as « déclarées ».
func runQuestionnaire(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("questionnaire", stdout)
	lang := fs.String("lang", "fr", "langue des questions : fr ou en")
	stateDir := fs.String("state-dir", defaultStateDir(), "dossier d'état où les réponses sont gardées")
	send := fs.Bool("send", false, "envoie au hub les réponses déjà enregistrées, sans reposer les questions")
	noSend := fs.Bool("no-send", false, "garde les réponses sur ce poste sans les envoyer au hub")
	configPath := fs.String("config", "", "fichier de configuration, pour le proxy vers le hub (défaut : "+agent.DefaultConfigPath()+" s'il existe)")
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
	if *send && *noSend {
		return usagef("--send et --no-send s'excluent")
	}
	previous, err := agent.LoadAnswers(*stateDir)
	if err != nil {
		return err
	}
	if *send {
		return sendAnswers(*configPath, *stateDir, *lang, previous, stdout)
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
	if st, err := agent.LoadState(*stateDir); *noSend || err != nil || !st.Enrolled() {
		return nil
	}
	if err := sendAnswers(*configPath, *stateDir, *lang, answers, stdout); err != nil {
		return fmt.Errorf("%w ; elles restent enregistrées sur ce poste : renvoyez-les avec « vigie questionnaire --send »", err)
	}
	return nil
}

// sendAnswers sends the answers to the hub the agent is enrolled with.
func sendAnswers(configPath, stateDir, lang string, answers map[string]string, stdout io.Writer) error {
	proxy, err := hubProxy(configPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := agent.SendAnswers(ctx, stateDir, proxy, answers, time.Now())
	if errors.Is(err, agent.ErrNotEnrolled) {
		return fmt.Errorf("cet agent n'est inscrit auprès d'aucun hub (vigie enroll) : réponses non envoyées")
	}
	if err != nil {
		return err
	}
	st, _ := agent.LoadState(stateDir)
	if lang == "en" {
		fmt.Fprintf(stdout, "%d answers sent to the hub: they hold for the whole entity (%s).\n", n, st.Entity)
	} else {
		fmt.Fprintf(stdout, "%d réponses envoyées au hub : elles valent pour toute l'entité (%s).\n", n, st.Entity)
	}
	return nil
}

// hubProxy is the configuration's proxy to the hub, when there is a
// configuration (the default file may be absent; an explicit one must
// exist).
func hubProxy(configPath string) (string, error) {
	path := configPath
	if path == "" {
		if _, err := os.Stat(agent.DefaultConfigPath()); err != nil {
			return "", nil
		}
		path = agent.DefaultConfigPath()
	}
	cfg, err := agent.LoadConfig(path)
	if err != nil {
		return "", usageError{err.Error()}
	}
	return cfg.Hub.Proxy, nil
}
