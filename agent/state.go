package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// File names inside the state directory.
const (
	KeyFile   = "agent.key"
	StateFile = "state.json"
	SpoolDir  = "spool"
	lockFile  = "state.lock"
)

// State is what the agent remembers between runs. It is small, JSON, and
// always replaced atomically (keystore.WriteFileAtomic) under the state lock, so
// the service and a `vigie scan --now` never interleave their updates.
type State struct {
	AgentID    string    `json:"agent_id,omitempty"`
	Entity     string    `json:"entity,omitempty"`
	Sector     string    `json:"sector,omitempty"`
	HubURL     string    `json:"hub_url,omitempty"`
	HubSPKI    string    `json:"hub_spki_sha256,omitempty"` // pinned at enrolment
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
	// HubKeys are the hub's public keys (protocol v3): from the enrolment
	// reply, or fetched once over the pinned connection (FetchHubKeys).
	HubKeys protocol.HubKeys `json:"hub_keys,omitzero"`
	// Sequence is the last sequence number used; the next scorecard gets
	// Sequence+1 (the hub refuses anything not above the last it stored).
	Sequence uint64 `json:"sequence"`

	LastScan      time.Time `json:"last_scan,omitzero"`
	LastScore     int       `json:"last_score"`
	LastLevel     int       `json:"last_level"`
	LastScanError string    `json:"last_scan_error,omitempty"`
	// History is the host's last scores (at most report.HistoryLength),
	// oldest first, for the HTML report's trend.
	History []report.ScorePoint `json:"history,omitempty"`

	LastUpload       time.Time `json:"last_upload,omitzero"` // last attempt
	LastUploadResult string    `json:"last_upload_result,omitempty"`
	LastDelivered    time.Time `json:"last_delivered,omitzero"`
	// Blocked is set when the hub answered 401/403: uploads stop until the
	// agent is enrolled again.
	Blocked string `json:"blocked,omitempty"`

	// The software inventory is sent in full only when the hub may not
	// have it (agent/inventory.go).
	Inventory InventoryState `json:"inventory,omitzero"`
	// KeyRevoked is set when the hub answered agent_revoked: the key may be
	// stolen and stays revoked (protocol v2), so the next `vigie enroll`
	// makes a new one.
	KeyRevoked bool `json:"key_revoked,omitempty"`
	// OfflineEnroll is an offline enrolment requested and not yet
	// completed (agent/enroll_offline.go).
	OfflineEnroll *PendingOfflineEnroll `json:"offline_enroll,omitempty"`
}

// InventoryState is what the agent knows of the inventory the hub holds.
type InventoryState struct {
	// SHA256 is the last full inventory the hub acknowledged, and At the
	// time of the scan that collected it.
	SHA256 string    `json:"sha256,omitempty"`
	At     time.Time `json:"at,omitzero"`
	// PendingSequence is the last spooled scorecard carrying a full
	// inventory (PendingSHA256, collected at PendingAt); its delivery
	// makes it the acknowledged one.
	PendingSequence uint64    `json:"pending_sequence,omitempty"`
	PendingSHA256   string    `json:"pending_sha256,omitempty"`
	PendingAt       time.Time `json:"pending_at,omitzero"`
	// Requested is set when the hub asked for the full inventory
	// (IngestResponse.SendInventory), until a full one is acknowledged.
	Requested bool `json:"requested,omitempty"`
}

// HubIdentity is the entity and sector a scorecard goes to the hub under:
// the entity the hub recorded at enrolment over the configured one, and the
// configured sector unless it is "other" (or unset), then the hub's.
func (s *State) HubIdentity(entity, sector string) (string, string) {
	if s.Entity != "" {
		entity = s.Entity
	}
	if (sector == "" || sector == string(protocol.SectorOther)) && s.Sector != "" {
		sector = s.Sector
	}
	return entity, sector
}

// Enrolled reports whether the agent has a hub and a pinned identity.
func (s *State) Enrolled() bool { return s.AgentID != "" && s.HubURL != "" && s.HubSPKI != "" }

// ErrStateCorrupt is returned when state.json cannot be read; the agent must
// be enrolled again (its sequence number is unknown).
var ErrStateCorrupt = errors.New("state file corrupt")

// LoadState reads the state in dir; a missing file is an empty state.
func LoadState(dir string) (*State, error) {
	var s State
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return &s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %s: %v (réinscrivez l'agent : vigie enroll)", ErrStateCorrupt, filepath.Join(dir, StateFile), err)
	}
	return &s, nil
}

// SaveState writes the state atomically.
func SaveState(dir string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	if err := keystore.WriteFileAtomic(filepath.Join(dir, StateFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// UpdateState loads the state under the directory lock, lets fn change it,
// and saves it. fn returning an error leaves the file untouched.
func UpdateState(dir string, fn func(*State) error) (*State, error) {
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := LoadState(dir)
	if err != nil {
		return nil, err
	}
	if err := fn(s); err != nil {
		return nil, err
	}
	if err := SaveState(dir, s); err != nil {
		return nil, err
	}
	return s, nil
}

// NextSequence reserves the next sequence number: it is persisted before the
// scorecard carrying it is signed, so a crash can skip a number but never
// reuse one.
func NextSequence(dir string) (uint64, error) {
	s, err := UpdateState(dir, func(s *State) error {
		s.Sequence++
		return nil
	})
	if err != nil {
		return 0, err
	}
	return s.Sequence, nil
}

// lockDir takes an exclusive lock on dir/state.lock, waiting for it.
func lockDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	if err := lockFileHandle(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state: %w", err)
	}
	return func() {
		unlockFileHandle(f)
		f.Close()
	}, nil
}

// Record adds a scan to the history, keeping the last report.HistoryLength.
func (s *State) Record(p report.ScorePoint) {
	s.History = append(s.History, p)
	if n := len(s.History) - report.HistoryLength; n > 0 {
		s.History = append([]report.ScorePoint(nil), s.History[n:]...)
	}
}
