package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Stored events (alert_events.data, written by this or another version
// of the hub, or damaged) are read back to render mails and webhook
// bodies. Property: what decodes renders, for every event type, into a
// "[Vigie] " subject, a text ending with the settings link,
// and a webhook body that is JSON carrying the type and the same data
// (decoding the body's data gives what was rendered); what does not
// decode is an error, never a message.
func FuzzRenderStored(f *testing.F) {
	for _, s := range []string{`{"entity":{"id":1,"name":"Mairie","sector":"commune"},"host":{"agent_id":"abc","hostname":"PC"},"level":{"from":3,"to":1,"from_name":"Avancé","to_name":"Initial"}}`,
		`{"advisory":{"id":"CERTFR-2025-AVI-1092","title":"Windows","url":"https://www.cert.ssi.gouv.fr/avis/CERTFR-2025-AVI-1092/","published":"2025-12-10T00:00:00Z"},"exposed_hosts":[{"agent_id":"a","hostname":"PC","product":"Windows","version":"10"}]}`,
		`{"fixes":"exposure","advisory":{"id":"X"}}`, `{"checks":["a","b"]}`, `{"message":"test"}`, `{}`, `null`, `[`, `{"level":null}`, `{"host":{"agent_id":""}}`} {
		for _, k := range Kinds {
			f.Add(string(k), false, s)
		}
		f.Add("regression", true, s)
		f.Add("critical", true, s)
	}
	e := &Engine{cfg: Config{PublicURL: "https://hub.example"}}
	f.Fuzz(func(t *testing.T, kind string, quiet bool, data string) {
		if !utf8.ValidString(kind) {
			return // kinds are the engine's own identifiers
		}
		ev := store.AlertEvent{ID: 7, Kind: kind, At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Quiet: quiet, Data: []byte(data)}
		m, err := e.render(ev)
		var probe *Data
		if jerr := json.Unmarshal([]byte(data), &probe); jerr != nil {
			if err == nil {
				t.Fatalf("undecodable data %q rendered", data)
			}
			return
		}
		if err != nil {
			t.Fatalf("decodable data %q refused: %v", data, err)
		}
		if !strings.HasPrefix(m.Subject, "[Vigie] ") {
			t.Fatalf("subject %q", m.Subject)
		}
		if !strings.HasSuffix(m.Text, "Régler vos alertes : https://hub.example/alerts\n") {
			t.Fatalf("text does not end with the settings link:\n%s", m.Text)
		}
		var b Body
		if err := json.Unmarshal(m.JSON, &b); err != nil || b.Type != kind || b.EventID != 7 || b.Quiet != quiet || b.Data == nil {
			t.Fatalf("body %s: %v", m.JSON, err)
		}
		again, _ := json.Marshal(b.Data)
		d, _ := decodeData([]byte(data))
		want, _ := json.Marshal(d)
		if string(again) != string(want) {
			t.Fatalf("body data %s, stored %s", again, want)
		}
	})
}
