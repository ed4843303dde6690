package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIncidentManifestValidate(t *testing.T) {
	good := IncidentManifest{Version: IncidentVersion, Answers: IncidentAnswers{Kind: IncidentRansomware},
		Files: []IncidentFile{{Name: "processes.json", Size: 3, SHA256: strings.Repeat("a", 64)}}}
	b, _ := json.Marshal(good)
	if _, err := ParseIncidentManifest(b); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(m *IncidentManifest){
		"version":   func(m *IncidentManifest) { m.Version = 2 },
		"kind":      func(m *IncidentManifest) { m.Answers.Kind = "tsunami" },
		"no files":  func(m *IncidentManifest) { m.Files = nil },
		"path":      func(m *IncidentManifest) { m.Files[0].Name = "../etc/passwd" },
		"duplicate": func(m *IncidentManifest) { m.Files = append(m.Files, m.Files[0]) },
		"hash":      func(m *IncidentManifest) { m.Files[0].SHA256 = "ABC" },
		"size":      func(m *IncidentManifest) { m.Files[0].Size = -1 },
	} {
		m := good
		m.Files = append([]IncidentFile(nil), good.Files...)
		edit(&m)
		b, _ := json.Marshal(m)
		if _, err := ParseIncidentManifest(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseIncidentManifest(make([]byte, MaxIncidentManifestSize+1)); err == nil {
		t.Error("oversized manifest accepted")
	}
	if _, err := ParseIncidentManifest([]byte("{")); err == nil {
		t.Error("broken JSON accepted")
	}
}
