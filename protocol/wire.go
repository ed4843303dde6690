package protocol

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// API paths and headers (docs/protocol.md).
const (
	PathEnroll     = "/api/v1/enroll"
	PathScorecards = "/api/v1/scorecards"
	PathHealth     = "/api/v1/health"
	// HeaderAgent carries the agent ID on uploads.
	HeaderAgent = "X-Vigie-Agent"
	// MaxEnrollSize bounds an enrolment request and its reply (64 KiB).
	MaxEnrollSize = 64 << 10
	// MaxReplySize bounds any other reply the agent reads.
	MaxReplySize = 64 << 10
)

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Token        string   `json:"token"`
	PublicKey    string   `json:"public_key"` // EncodePublicKey: base64 (standard) of the 32 raw bytes
	Host         HostInfo `json:"host"`
	AgentVersion string   `json:"agent_version"`
}

// EnrollResponse is the 201 reply to an enrolment.
type EnrollResponse struct {
	AgentID       string `json:"agent_id"`
	Entity        string `json:"entity"`
	Sector        string `json:"sector"`
	HubSPKISHA256 string `json:"hub_spki_sha256"`
	// The hub's own public keys (protocol v3; empty from an older hub):
	// what the agent encrypts offline scorecards and incident bundles to,
	// and what the hub signs with.
	HubKeys
}

// Upload outcomes in IngestResponse.Status.
const (
	IngestStored    = "stored"
	IngestDuplicate = "duplicate"
)

// IngestResponse is the 200/201 reply to an upload.
type IngestResponse struct {
	Status      string `json:"status"` // IngestStored, IngestDuplicate
	ScorecardID string `json:"scorecard_id"`
	Sequence    uint64 `json:"sequence"`
	// SendInventory asks the agent to send its full software inventory
	// with its next scorecard: the hub does not know the inventory this
	// scorecard's software_sha256 names (new hub, lost data).
	SendInventory bool `json:"send_inventory,omitempty"`
}

// Health is the reply to GET /api/v1/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// ErrorBody is every error reply: {"error":{"code","message","message_en"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's code and its French and English messages.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
}

// Error codes the hub answers with (docs/protocol.md has the table of which
// status carries which).
const (
	CodeMalformedRequest   = "malformed_request"
	CodeMalformedEnvelope  = "malformed_envelope"
	CodeMalformedScorecard = "malformed_scorecard"
	CodeUnsupportedMedia   = "unsupported_media_type"
	CodeRequestTooLarge    = "request_too_large"
	CodeInvalidToken       = "invalid_token"
	CodeTokenExpired       = "token_expired"
	CodeTokenUsed          = "token_used"
	CodeKeyEnrolled        = "key_enrolled"
	CodeUnknownAgent       = "unknown_agent"
	CodeAgentRevoked       = "agent_revoked"
	CodeAgentMismatch      = "agent_mismatch"
	CodeBadSignature       = "bad_signature"
	CodeReplayedSequence   = "replayed_sequence"
	CodeRateLimited        = "rate_limited"
	CodeTooManyUploads     = "too_many_uploads" // 429: uploads in flight for this agent or address (v2)
	CodeUploadTooSlow      = "upload_too_slow"  // 408: body slower than 1 KiB/s after 10 s (v2)
	CodeHubBusy            = "hub_busy"
	CodeStorageUnavailable = "storage_unavailable"
	CodeNotFound           = "not_found"
)

// Errors an agent tests with errors.Is; a hub reply's code maps onto them
// (ErrorForCode), so both sides name a refusal the same way.
var (
	ErrInvalidToken  = errors.New("enrolment token unknown")
	ErrTokenExpired  = errors.New("enrolment token expired")
	ErrTokenUsed     = errors.New("enrolment token already used")
	ErrKeyEnrolled   = errors.New("key enrolled for another entity")
	ErrUnknownAgent  = errors.New("agent unknown to the hub")
	ErrAgentRevoked  = errors.New("agent revoked by the hub")
	ErrRateLimited   = errors.New("rate limited by the hub")
	ErrTooMany       = errors.New("too many uploads in flight")
	ErrHubBusy       = errors.New("hub busy")
	ErrStorageFailed = errors.New("hub storage unavailable")
)

var codeErrors = map[string]error{
	CodeInvalidToken: ErrInvalidToken, CodeTokenExpired: ErrTokenExpired, CodeTokenUsed: ErrTokenUsed,
	CodeKeyEnrolled: ErrKeyEnrolled, CodeUnknownAgent: ErrUnknownAgent, CodeAgentRevoked: ErrAgentRevoked,
	CodeRateLimited: ErrRateLimited, CodeTooManyUploads: ErrTooMany, CodeHubBusy: ErrHubBusy, CodeStorageUnavailable: ErrStorageFailed,
}

// ErrorForCode returns the sentinel error of a hub error code, or nil for a
// code without one.
func ErrorForCode(code string) error { return codeErrors[code] }

// CodeForError returns the error code of a sentinel error (the inverse of
// ErrorForCode), or "" for an error without one.
func CodeForError(err error) string {
	for code, e := range codeErrors {
		if errors.Is(err, e) {
			return code
		}
	}
	return ""
}

// Clip makes a label received from the other side safe to keep and to show:
// NUL (which PostgreSQL's text cannot hold) is dropped, other control
// characters (terminal escape sequences, line breaks) become spaces, spaces
// at either end are trimmed, and it is cut to at most n bytes between
// characters (PostgreSQL refuses a cut UTF-8 sequence). Invalid UTF-8 is
// replaced.
func Clip(s string, n int) string {
	s = strings.TrimSpace(Printable(strings.ReplaceAll(s, "\x00", "")))
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// Printable makes text from a scorecard or a reply safe for a terminal or a
// log: control characters (terminal escape sequences, carriage returns)
// become spaces and invalid UTF-8 is replaced. Every renderer of text that
// came from outside (a hostname, a certificate name, evidence) passes it
// through this.
func Printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// MaxLabel bounds a host label (hostname, platform, version) the hub keeps.
const MaxLabel = 200

// ValidAgentID reports whether s has the form of an agent ID (KeyID: 32
// lowercase hex digits).
func ValidAgentID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
