package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func answersDoc(id string) *Answers {
	return &Answers{Schema: AnswersSchema, AgentID: id, AnsweredAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Answers: map[string]string{"org.offline-backup": AnswerNo, "org.awareness": AnswerUnknown, "org.mfa-remote": AnswerNotApplicable}}
}

func TestAnswersSignVerifyDecode(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	pub := key.Public().(ed25519.PublicKey)
	doc := answersDoc(KeyID(pub))
	raw, err := SignAnswers(doc, key)
	if err != nil {
		t.Fatal(err)
	}
	env, err := ParseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	// An answers envelope is not a scorecard, and the other way round:
	// the payload type is signed.
	if _, err := Verify(env, PayloadType, pub); !errors.Is(err, ErrPayloadType) {
		t.Errorf("answers verified as a scorecard: %v", err)
	}
	swapped := env
	swapped.PayloadType = PayloadType
	if _, err := Verify(swapped, PayloadType, pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("answers relabelled as a scorecard: %v, want ErrBadSignature", err)
	}
	payload, err := Verify(env, AnswersPayloadType, pub)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAnswers(payload)
	if err != nil {
		t.Fatal(err)
	}
	if got.AgentID != doc.AgentID || !got.AnsweredAt.Equal(doc.AnsweredAt) || !maps.Equal(got.Answers, doc.Answers) {
		t.Errorf("round trip = %+v, want %+v", got, doc)
	}
}

func TestDecodeAnswersRefuses(t *testing.T) {
	t.Parallel()
	id := strings.Repeat("a", 32)
	good := func() map[string]any {
		return map[string]any{"schema": AnswersSchema, "agent_id": id, "answered_at": "2026-11-23T09:00:00Z", "answers": map[string]any{"org.inventory": "yes"}}
	}
	many := map[string]any{}
	for i := range MaxAnswers + 1 {
		many["org.q"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+strings.Repeat("y", i/26)] = "yes"
	}
	cases := map[string]func(m map[string]any){
		"schema":             func(m map[string]any) { m["schema"] = "vigie.scorecard/v1" },
		"agent id":           func(m map[string]any) { m["agent_id"] = "ABC" },
		"no time":            func(m map[string]any) { delete(m, "answered_at") },
		"typed answer":       func(m map[string]any) { m["answers"] = map[string]any{"org.inventory": "oui"} },
		"empty answer":       func(m map[string]any) { m["answers"] = map[string]any{"org.inventory": ""} },
		"question with caps": func(m map[string]any) { m["answers"] = map[string]any{"Org.Inventory": "yes"} },
		"question too long":  func(m map[string]any) { m["answers"] = map[string]any{strings.Repeat("q", MaxQuestionID+1): "yes"} },
		"too many":           func(m map[string]any) { m["answers"] = many },
		"answer not string":  func(m map[string]any) { m["answers"] = map[string]any{"org.inventory": 1} },
	}
	if len(many) <= MaxAnswers {
		t.Fatalf("test setup: %d answers", len(many))
	}
	for name, mutate := range cases {
		m := good()
		mutate(m)
		raw, _ := json.Marshal(m)
		if _, err := DecodeAnswers(raw); !errors.Is(err, ErrMalformedAnswers) {
			t.Errorf("%s: err = %v, want ErrMalformedAnswers", name, err)
		}
	}
	raw, _ := json.Marshal(good())
	if _, err := DecodeAnswers(raw); err != nil {
		t.Errorf("good document refused: %v", err)
	}
	// A newer agent's field and question are kept, not refused.
	m := good()
	m["future"] = true
	m["answers"] = map[string]any{"org.new-question": "partial"}
	raw, _ = json.Marshal(m)
	if a, err := DecodeAnswers(raw); err != nil || a.Answers["org.new-question"] != AnswerPartial {
		t.Errorf("newer document = %+v, %v", a, err)
	}
	dup := []byte(`{"schema":"vigie.answers/v1","agent_id":"` + id + `","answered_at":"2026-11-23T09:00:00Z","answers":{"org.a":"yes","org.a":"no"}}`)
	if _, err := DecodeAnswers(dup); !errors.Is(err, ErrMalformedAnswers) {
		t.Errorf("duplicate question: err = %v", err)
	}
}

// FuzzDecodeAnswers: whatever DecodeAnswers accepts holds only valid
// question IDs and answer values, within the limits, and reads back the
// same after encoding.
func FuzzDecodeAnswers(f *testing.F) {
	raw, _ := json.Marshal(answersDoc(strings.Repeat("b", 32)))
	f.Add(raw)
	f.Add([]byte(`{"schema":"vigie.answers/v1","agent_id":"` + strings.Repeat("0", 32) + `","answered_at":"2026-01-01T00:00:00Z","answers":{}}`))
	f.Add([]byte(`{"answers":{"org.x":"nsp"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeAnswers(data)
		if err != nil {
			if a != nil {
				t.Fatal("document returned with an error")
			}
			return
		}
		if a.Schema != AnswersSchema || !ValidAgentID(a.AgentID) || a.AnsweredAt.IsZero() || len(a.Answers) > MaxAnswers {
			t.Fatalf("accepted %+v", a)
		}
		for q, v := range a.Answers {
			if !ValidQuestionID(q) || !ValidAnswer(v) {
				t.Fatalf("accepted %q = %q", q, v)
			}
		}
		again, _ := json.Marshal(a)
		b, err := DecodeAnswers(again)
		if err != nil || !maps.Equal(a.Answers, b.Answers) || !a.AnsweredAt.Equal(b.AnsweredAt) {
			t.Fatalf("re-encoded document reads back as %+v, %v", b, err)
		}
	})
}
