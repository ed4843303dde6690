package agent

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestAnswersDocument: what is sent is what was answered, in canonical
// form; blanks are left out, a hand-edited answer that does not read is
// left out and counted, and the document passes the hub's validation.
func TestAnswersDocument(t *testing.T) {
	t.Parallel()
	id := "0123456789abcdef0123456789abcdef"
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	doc, skipped := AnswersDocument(id, "mairie-pc1", map[string]string{
		"org.offline-backup": "oui", "org.awareness": "nsp", "org.inventory": "", "org.mfa-mail": "peut-être", "org.mfa-remote": "na",
	}, at)
	want := map[string]string{"org.offline-backup": protocol.AnswerYes, "org.awareness": protocol.AnswerUnknown, "org.mfa-remote": protocol.AnswerNotApplicable}
	if !maps.Equal(doc.Answers, want) || skipped != 1 || !doc.AnsweredAt.Equal(at) || doc.AnsweredAt.Location() != time.UTC {
		t.Errorf("document %+v, skipped %d", doc, skipped)
	}
	raw, _ := json.Marshal(doc)
	back, err := protocol.DecodeAnswers(raw)
	if err != nil || !maps.Equal(back.Answers, want) {
		t.Errorf("the hub would read %+v, %v", back, err)
	}
}
