// Package incident is the agent side of « vigie incident »: the immediate
// measures for the kind of incident, the first questions the regional CSIRT
// asks, a bounded read-only triage collection, and the signed, encrypted
// bundle. It works with no hub, no network and no configuration: an
// incident is exactly when those may be missing.
package incident

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-cyber/vigie/protocol"
)

// The advice is data so that advisers can review and correct it without
// reading Go; see its _origin field for where it comes from.
//
//go:embed advice.json
var adviceJSON []byte

// Ref is a public reflex sheet the advice follows.
type Ref struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// KindAdvice is the advice for one kind of incident.
type KindAdvice struct {
	Refs []Ref    `json:"refs"`
	FR   []string `json:"fr"`
	EN   []string `json:"en"`
}

// Advice is the whole advice file.
type Advice struct {
	Common     map[string][]string          `json:"common"`
	Kinds      map[string]KindAdvice        `json:"kinds"`
	Questions  map[string]map[string]string `json:"questions"`
	KindLabels map[string]map[string]string `json:"kind_labels"`
}

// LoadAdvice decodes the embedded advice.
func LoadAdvice() (*Advice, error) { return parseAdvice(adviceJSON) }

func parseAdvice(data []byte) (*Advice, error) {
	var a Advice
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("conseils d'incident illisibles : %w", err)
	}
	return &a, nil
}

// Steps returns the measures for kind in lang: the common ones first (they
// are the same whatever happened), then the kind's own.
func (a *Advice) Steps(kind, lang string) []string {
	out := append([]string{}, a.Common[lang]...)
	k := a.Kinds[kind]
	if lang == "en" {
		return append(out, k.EN...)
	}
	return append(out, k.FR...)
}

// PrintAdvice writes the measures for kind in plain words, then the sheets
// they come from.
func (a *Advice) PrintAdvice(w io.Writer, kind, lang string) {
	if lang == "en" {
		fmt.Fprintf(w, "\nWHAT TO DO NOW (%s)\n\n", a.KindLabels[lang][kind])
	} else {
		fmt.Fprintf(w, "\nÀ FAIRE MAINTENANT (%s)\n\n", a.KindLabels[lang][kind])
	}
	for i, s := range a.Steps(kind, lang) {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	if lang == "en" {
		fmt.Fprintln(w, "\nSources (CERT-FR reflex sheets):")
	} else {
		fmt.Fprintln(w, "\nSources (fiches réflexes du CERT-FR) :")
	}
	for _, r := range a.Kinds[kind].Refs {
		fmt.Fprintf(w, "  - %s %s\n    %s\n", r.ID, r.Title, r.URL)
	}
	fmt.Fprintln(w)
}

// Check reports what is missing from the advice: every kind needs steps in
// both languages and at least one cited sheet with an address.
func (a *Advice) Check() error {
	var missing []string
	for _, lang := range []string{"fr", "en"} {
		if len(a.Common[lang]) == 0 {
			missing = append(missing, "common/"+lang)
		}
		for _, q := range []string{"kind", "aware_at", "affected", "personal_data", "personal_data_again", "personal_data_yes", "personal_data_unknown", "seen", "contact", "summary", "skip", "kind_prompt"} {
			if strings.TrimSpace(a.Questions[lang][q]) == "" {
				missing = append(missing, "questions/"+lang+"/"+q)
			}
		}
	}
	for _, k := range protocol.IncidentKinds {
		ka, ok := a.Kinds[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		if len(ka.FR) == 0 || len(ka.EN) == 0 || len(ka.FR) != len(ka.EN) {
			missing = append(missing, k+": étapes fr/en")
		}
		if len(ka.Refs) == 0 {
			missing = append(missing, k+": référence")
		}
		for _, r := range ka.Refs {
			if r.ID == "" || !strings.HasPrefix(r.URL, "https://") {
				missing = append(missing, k+": référence incomplète "+r.ID)
			}
		}
		for _, lang := range []string{"fr", "en"} {
			if a.KindLabels[lang][k] == "" {
				missing = append(missing, k+": libellé "+lang)
			}
		}
	}
	for k := range a.Kinds {
		if !protocol.ValidIncidentKind(k) {
			missing = append(missing, "type inconnu "+k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("conseils d'incident incomplets : %s", strings.Join(missing, ", "))
	}
	return nil
}
