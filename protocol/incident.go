package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// IncidentPayloadType identifies an incident manifest inside a DSSE
// envelope. It differs from the scorecard and answers types, and DSSE signs
// the payload type, so a signed manifest can never pass for a scorecard.
const IncidentPayloadType = "application/vnd.vigie.incident.v1+json"

// IncidentVersion is the manifest format version.
const IncidentVersion = 1

// MaxIncidentManifestSize bounds a manifest read from outside (a bundle
// brought back on a USB key, an upload).
const MaxIncidentManifestSize = 1 << 20

// Incident kinds: the reflex sheet the entity follows.
const (
	IncidentRansomware = "ransomware"
	IncidentCompromise = "compromise"
	IncidentMailbox    = "mailbox"
	IncidentDefacement = "defacement"
	IncidentFraud      = "fraud"
	IncidentOther      = "other"
)

// IncidentKinds lists the kinds in the order they are offered.
var IncidentKinds = []string{IncidentRansomware, IncidentCompromise, IncidentMailbox, IncidentDefacement, IncidentFraud, IncidentOther}

// ValidIncidentKind reports whether k is a known kind.
func ValidIncidentKind(k string) bool {
	for _, x := range IncidentKinds {
		if x == k {
			return true
		}
	}
	return false
}

// IncidentAnswers are the first answers the CSIRT asks for. Every field is
// optional: a frightened caller may skip any question.
type IncidentAnswers struct {
	Kind     string    `json:"kind"`
	AwareAt  time.Time `json:"aware_at,omitzero"` // when the entity became aware (the regulatory clock starts here)
	Affected string    `json:"affected,omitempty"`
	Seen     string    `json:"seen,omitempty"`
	Contact  string    `json:"contact,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	// PersonalData: personal data may have leaked (a GDPR breach: the
	// CNIL is notified within 72 hours); nil when not answered.
	PersonalData *bool `json:"personal_data,omitempty"`
}

// IncidentFile is one file of the triage bundle.
type IncidentFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lowercase hex
}

// IncidentCollector says how one collector fared: "ok", "error" or
// "truncated" (data cut at the size budget).
type IncidentCollector struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// IncidentManifest describes a triage bundle: who declared it, the answers,
// and every file with its size and SHA-256, so the receiver can check the
// archive against it without trusting the archive.
type IncidentManifest struct {
	Version    int                 `json:"version"`
	AgentID    string              `json:"agent_id,omitempty"` // empty when the host is not enrolled
	Hostname   string              `json:"hostname"`
	OS         string              `json:"os"`
	DeclaredAt time.Time           `json:"declared_at"`
	Answers    IncidentAnswers     `json:"answers"`
	Files      []IncidentFile      `json:"files"`
	Collectors []IncidentCollector `json:"collectors"`
	Encrypted  bool                `json:"encrypted"`
	Recipient  string              `json:"recipient,omitempty"` // the age recipient the archive is encrypted to
	// ArchiveSize and ArchiveSHA256 are those of the archive file as
	// written (encrypted when Encrypted): the receiver checks the bytes it
	// stores against the signature before it decrypts anything. Empty in
	// manifests of the first agents; the hub requires them.
	ArchiveSize   int64  `json:"archive_size,omitempty"`
	ArchiveSHA256 string `json:"archive_sha256,omitempty"`
}

var incidentFileName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
var incidentSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks a manifest read from outside.
func (m *IncidentManifest) Validate() error {
	if m.Version != IncidentVersion {
		return fmt.Errorf("incident manifest: version %d, want %d", m.Version, IncidentVersion)
	}
	if !ValidIncidentKind(m.Answers.Kind) {
		return fmt.Errorf("incident manifest: unknown kind %q", m.Answers.Kind)
	}
	if len(m.Files) == 0 {
		return errors.New("incident manifest: no files")
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !incidentFileName.MatchString(f.Name) {
			return fmt.Errorf("incident manifest: bad file name %q", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("incident manifest: file %q listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.Size < 0 || !incidentSHA256.MatchString(f.SHA256) {
			return fmt.Errorf("incident manifest: bad size or hash for %q", f.Name)
		}
	}
	if m.ArchiveSize < 0 || m.ArchiveSize > MaxIncidentArchiveSize || (m.ArchiveSHA256 != "" && !incidentSHA256.MatchString(m.ArchiveSHA256)) {
		return errors.New("incident manifest: bad archive size or hash")
	}
	return nil
}

// ParseIncidentManifest decodes and validates a manifest.
func ParseIncidentManifest(data []byte) (*IncidentManifest, error) {
	if len(data) > MaxIncidentManifestSize {
		return nil, errors.New("incident manifest: too large")
	}
	var m IncidentManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("incident manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}
