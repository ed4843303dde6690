package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// Organisational answers belong to the entity, not to one host: an agent's
// `vigie questionnaire` sends them to the hub as a signed answers document,
// a second upload type beside the scorecard (docs/protocol.md, "Answers").

// AnswersPayloadType identifies an answers document inside a DSSE envelope.
// It differs from PayloadType, and DSSE signs the payload type with the
// payload (PAE): a signed scorecard cannot be passed off as answers, nor
// answers as a scorecard.
const AnswersPayloadType = "application/vnd.vigie.answers.v1+json"

// AnswersSchema is the answers document's format identifier.
const AnswersSchema = "vigie.answers/v1"

// PathAnswers receives signed answers documents.
const PathAnswers = "/api/v1/answers"

// MaxAnswersSize bounds an answers envelope (64 KiB: fifteen questions take
// under 2 KiB).
const MaxAnswersSize = 64 << 10

// MaxAnswers bounds how many questions one document answers, and
// MaxQuestionID the length of a question ID and of an answer.
const (
	MaxAnswers    = 200
	MaxQuestionID = 100
)

// Answer values, as the questionnaire records them (the agent's
// checks/organisation normalises what people type into these).
const (
	AnswerYes           = "yes"
	AnswerNo            = "no"
	AnswerPartial       = "partial"
	AnswerUnknown       = "unknown"        // « Je ne sais pas »: counts as not done
	AnswerNotApplicable = "not-applicable" // « Non applicable »
)

// AnswerValues lists the answer values a document may carry.
var AnswerValues = []string{AnswerYes, AnswerNo, AnswerPartial, AnswerUnknown, AnswerNotApplicable}

// Answers is the signed answers document: the questionnaire's answers as
// given on one host, for its entity.
type Answers struct {
	Schema  string `json:"schema"`
	AgentID string `json:"agent_id"` // KeyID of the signing key
	// AnsweredAt is when the answers were given, by the agent's clock. It
	// is the replay protection: the hub accepts from one agent only a
	// document newer than the last it accepted from it.
	AnsweredAt   time.Time `json:"answered_at"`
	AgentVersion string    `json:"agent_version,omitempty"`
	Hostname     string    `json:"hostname,omitempty"`
	// Answers maps question IDs ("org.offline-backup") to one of
	// AnswerValues. A question the person left blank is absent.
	Answers map[string]string `json:"answers"`
}

// Errors of DecodeAnswers.
var ErrMalformedAnswers = errors.New("malformed answers document")

// DecodeAnswers parses and validates an answers document: its schema, an
// agent ID of the right form, a time, at most MaxAnswers answers whose
// question IDs are short words ("org.x-y") and whose values are
// AnswerValues. Unknown fields are ignored (a newer agent's), unknown
// question IDs are kept: the hub files them and scores those it knows.
func DecodeAnswers(payload []byte) (*Answers, error) {
	if len(payload) > MaxAnswersSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrMalformedAnswers, len(payload), MaxAnswersSize)
	}
	var a Answers
	if err := jsonv2.Unmarshal(payload, &a); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedAnswers, err)
	}
	switch {
	case a.Schema != AnswersSchema:
		return nil, fmt.Errorf("%w: schema %q, want %q", ErrMalformedAnswers, a.Schema, AnswersSchema)
	case !ValidAgentID(a.AgentID):
		return nil, fmt.Errorf("%w: agent_id is not an agent ID", ErrMalformedAnswers)
	case a.AnsweredAt.IsZero():
		return nil, fmt.Errorf("%w: answered_at is missing", ErrMalformedAnswers)
	case len(a.Answers) > MaxAnswers:
		return nil, fmt.Errorf("%w: %d answers (limit %d)", ErrMalformedAnswers, len(a.Answers), MaxAnswers)
	}
	for q, v := range a.Answers {
		if !ValidQuestionID(q) {
			return nil, fmt.Errorf("%w: question ID %q", ErrMalformedAnswers, Clip(q, 40))
		}
		if !ValidAnswer(v) {
			return nil, fmt.Errorf("%w: answer %q to %s is not one of yes, no, partial, unknown, not-applicable", ErrMalformedAnswers, Clip(v, 40), q)
		}
	}
	return &a, nil
}

// ValidAnswer reports whether v is one of AnswerValues.
func ValidAnswer(v string) bool {
	for _, x := range AnswerValues {
		if v == x {
			return true
		}
	}
	return false
}

// ValidQuestionID reports whether s has the form of a question ID: 1 to
// MaxQuestionID lowercase letters, digits, dots and dashes.
func ValidQuestionID(s string) bool {
	if s == "" || len(s) > MaxQuestionID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// SignAnswers returns the DSSE envelope (JSON) of a signed with key.
func SignAnswers(a *Answers, key ed25519.PrivateKey) ([]byte, error) {
	payload, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Sign(AnswersPayloadType, payload, key))
}

// AnswersResponse is the 200/201 reply to an answers upload.
type AnswersResponse struct {
	Status string `json:"status"` // IngestStored
	Entity string `json:"entity"`
	Count  int    `json:"count"` // answers filed
}

// CodeMalformedAnswers is the error code of an unreadable answers document.
const CodeMalformedAnswers = "malformed_answers"
