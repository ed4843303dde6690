package agent

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// Status is what `vigie status` shows about the agent (the service state
// itself comes from installer.Status).
type Status struct {
	StateDir    string
	State       State
	KeyPresent  bool
	SpoolFiles  int
	SpoolBytes  int64
	Quarantined int
	// Refused and Unreadable split Quarantined: refused by the hub, or
	// found unreadable in the local spool (never sent).
	Refused, Unreadable int
	// HubVersion and HubErr are set by CheckHub.
	HubVersion string
	HubErr     error
}

// ReadStatus reads the state and spool in stateDir without changing them.
func ReadStatus(stateDir string) (*Status, error) {
	st, err := LoadState(stateDir)
	if err != nil {
		return nil, err
	}
	s := &Status{StateDir: stateDir, State: *st}
	if _, err := os.Stat(filepath.Join(stateDir, KeyFile)); err == nil {
		s.KeyPresent = true
	}
	sp := &Spool{dir: filepath.Join(stateDir, SpoolDir)}
	s.SpoolFiles, s.SpoolBytes, s.Quarantined = sp.Stats()
	s.Refused, s.Unreadable = sp.QuarantineCounts()
	return s, nil
}

// CheckHub asks the hub's health endpoint over the pinned connection and
// records the result in s.
func (s *Status) CheckHub(ctx context.Context, proxy string) {
	up, err := NewUploader(&s.State, proxy, 15*time.Second)
	if err != nil {
		s.HubErr = err
		return
	}
	defer up.Close()
	s.HubVersion, s.HubErr = up.Health(ctx)
}
