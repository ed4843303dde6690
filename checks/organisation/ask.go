package organisation

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
)

// Ask runs the questionnaire on a terminal: it prints each question with its
// help in lang ("fr" or "en"), grouped under their MonAideCyber theme, and
// reads one answer per line. It accepts o/oui/y/yes, n/non/no, p/partiel,
// ?/nsp (« Je ne sais pas »), na (« Non applicable »); an empty line keeps the previous
// answer (or leaves the question unanswered); "q" stops. Invalid input is
// explained and the question asked again. End of input (Ctrl-D) stops too:
// in every case the answers given so far are returned merged over previous,
// so nothing typed is lost. Only a read or write failure is an error.
func Ask(in io.Reader, out io.Writer, lang string, previous map[string]string) (map[string]string, error) {
	answers := maps.Clone(previous)
	if answers == nil {
		answers = map[string]string{}
	}
	w := &errWriter{w: out}
	br := bufio.NewReader(in)
	if lang == "en" {
		w.printf("Organisation questionnaire: %d questions. Answer y (yes), n (no), p (partly), ? (don't know) or na (not applicable).\nEnter keeps the previous answer, q stops; answers are saved as you go.\n", len(byTheme))
	} else {
		w.printf("Questionnaire organisation : %d questions. Répondez o (oui), n (non), p (partiel), ? (je ne sais pas) ou na (non applicable).\nEntrée garde la réponse précédente, q arrête ; les réponses sont gardées au fur et à mesure.\n", len(byTheme))
	}
	theme := ""
	for i, q := range byTheme {
		if q.Theme != theme {
			theme = q.Theme
			w.printf("\n== %s ==\n", ThemeTitle(theme))
		}
		prev := previous[q.ID]
		if p, err := Normalize(prev); err == nil {
			prev = p
		} else {
			prev = ""
		}
		w.printf("\n%d/%d %s\n    %s\n", i+1, len(byTheme), q.Text(lang), q.Help(lang))
		for {
			w.printf("%s ", prompt(lang, prev))
			if w.err != nil {
				return answers, fmt.Errorf("questionnaire: write: %w", w.err)
			}
			line, err := br.ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return answers, fmt.Errorf("questionnaire: read: %w", err)
			}
			eof := errors.Is(err, io.EOF)
			text := strings.TrimSpace(line)
			if eof && text == "" {
				w.printf("\n")
				return answers, w.wrap()
			}
			if text == "" {
				if prev != "" {
					answers[q.ID] = prev // the previous answer, in canonical form
				}
				break // or leave the question unanswered
			}
			if l := strings.ToLower(text); l == "q" || l == "quit" || l == "quitter" {
				return answers, w.wrap()
			}
			a, nerr := Normalize(text)
			if nerr != nil {
				if lang == "en" {
					w.printf("    %q is not an answer: type y, n, p, ? or na (Enter keeps the previous answer).\n", text)
				} else {
					w.printf("    « %s » n'est pas une réponse : tapez o, n, p, ? ou na (Entrée garde la réponse précédente).\n", text)
				}
				if eof {
					return answers, w.wrap()
				}
				continue
			}
			answers[q.ID] = a
			if eof {
				return answers, w.wrap()
			}
			break
		}
	}
	return answers, w.wrap()
}

func prompt(lang, prev string) string {
	names := map[string][2]string{Yes: {"oui", "yes"}, No: {"non", "no"}, Partial: {"partiel", "partly"}, Unknown: {"je ne sais pas", "don't know"}, NotApplicable: {"non applicable", "not applicable"}}
	k := 0
	if lang == "en" {
		k = 1
	}
	if lang == "en" {
		if prev != "" {
			return fmt.Sprintf("[y/n/p/?/na] (Enter = %s) >", names[prev][k])
		}
		return "[y/n/p/?/na] >"
	}
	if prev != "" {
		return fmt.Sprintf("[o/n/p/?/na] (Entrée = %s) >", names[prev][k])
	}
	return "[o/n/p/?/na] >"
}

// errWriter remembers the first write error so the loop stays readable.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) wrap() error {
	if e.err != nil {
		return fmt.Errorf("questionnaire: write: %w", e.err)
	}
	return nil
}
