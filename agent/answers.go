package agent

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/vigie-cyber/vigie/agent/keystore"
)

// AnswersFile is where `vigie questionnaire` keeps the answers, in the state
// folder, so the scheduled service uses them as well as `vigie scan`.
const AnswersFile = "questionnaire.toml"

// LoadAnswers reads the saved questionnaire answers; none saved is not an error.
func LoadAnswers(stateDir string) (map[string]string, error) {
	path := filepath.Join(stateDir, AnswersFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("réponses au questionnaire %s illisibles : %w", path, err)
	}
	var f struct {
		Answers map[string]string `toml:"answers"`
	}
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, fmt.Errorf("réponses au questionnaire %s invalides : %w (relancez vigie questionnaire)", path, err)
	}
	if f.Answers == nil {
		f.Answers = map[string]string{}
	}
	return f.Answers, nil
}

// SaveAnswers writes the answers atomically (0600: they describe the
// entity's weaknesses).
func SaveAnswers(stateDir string, answers map[string]string) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("dossier d'état %s : %w", stateDir, err)
	}
	var b bytes.Buffer
	b.WriteString("# Réponses au questionnaire organisationnel de Vigie (vigie questionnaire).\n# Valeurs : yes, no, partial, unknown. Elles figurent dans le bilan comme « déclarées ».\n")
	if err := toml.NewEncoder(&b).Encode(struct {
		Answers map[string]string `toml:"answers"`
	}{answers}); err != nil {
		return err
	}
	return keystore.WriteFileAtomic(filepath.Join(stateDir, AnswersFile), b.Bytes(), 0o600)
}

// MergeAnswers returns the configuration file's answers overridden by the
// questionnaire's, which are the more recent statement of the entity.
func MergeAnswers(fromConfig, fromQuestionnaire map[string]string) map[string]string {
	out := maps.Clone(fromConfig)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, fromQuestionnaire)
	return out
}
