package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/protocol"
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

// AnswersDocument builds the signed answers document of the questionnaire
// for the hub (protocol.Answers): each answer in its canonical form; blank
// answers and answers that do not read as one (a hand-edited file) are left
// out, and their count returned, so what is sent is only what was really
// answered.
func AnswersDocument(agentID, hostname string, answers map[string]string, at time.Time) (*protocol.Answers, int) {
	doc := &protocol.Answers{Schema: protocol.AnswersSchema, AgentID: agentID, AnsweredAt: at.UTC(), AgentVersion: Version,
		Hostname: protocol.Clip(hostname, protocol.MaxLabel), Answers: map[string]string{}}
	skipped := 0
	for q, raw := range answers {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		a, err := organisation.Normalize(raw)
		if err != nil || !protocol.ValidQuestionID(q) {
			skipped++
			continue
		}
		doc.Answers[q] = a
	}
	return doc, skipped
}

// SendAnswers signs the answers with the agent's key and sends them to the
// hub the agent is enrolled with, over the pinned connection. It returns
// how many answers the hub filed for the entity.
func SendAnswers(ctx context.Context, stateDir, proxy string, answers map[string]string, now time.Time) (int, error) {
	st, err := LoadState(stateDir)
	if err != nil {
		return 0, err
	}
	if !st.Enrolled() {
		return 0, ErrNotEnrolled
	}
	key, err := keystore.LoadKey(filepath.Join(stateDir, KeyFile))
	if err != nil {
		return 0, fmt.Errorf("clé de l'agent : %w", err)
	}
	if id := protocol.KeyID(key.Public().(ed25519.PublicKey)); id != st.AgentID {
		return 0, fmt.Errorf("la clé de %s n'est pas celle de l'agent inscrit (%s) : réinscrivez l'agent (vigie enroll)", stateDir, st.AgentID)
	}
	host, _ := os.Hostname()
	doc, _ := AnswersDocument(st.AgentID, host, answers, now)
	if len(doc.Answers) == 0 {
		return 0, errors.New("aucune réponse à envoyer : répondez d'abord au questionnaire")
	}
	env, err := protocol.SignAnswers(doc, key)
	if err != nil {
		return 0, err
	}
	up, err := NewUploader(st, proxy, 30*time.Second)
	if err != nil {
		return 0, err
	}
	defer up.Close()
	out, _, err := up.SendAnswers(ctx, env)
	if out != Delivered {
		return 0, fmt.Errorf("réponses non envoyées au hub : %w", err)
	}
	return len(doc.Answers), nil
}
