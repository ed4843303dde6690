package agent

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Hub modes ([hub] mode).
const (
	ModeOnline  = "online"
	ModeOffline = "offline"
)

// Offline reports whether scorecards go to a folder instead of the hub.
func (c *Config) Offline() bool { return c.Hub.Mode == ModeOffline }

// windowsAbs matches an absolute Windows path (E:\vigie, E:/vigie) or a
// share (\\serveur\partage), so that a configuration written for a Windows
// host validates on any system (tests, a technician's laptop).
var windowsAbs = regexp.MustCompile(`^([A-Za-z]:[\\/]|\\\\[^\\]+\\[^\\]+)`)

func absolutePath(p string) bool {
	return filepath.IsAbs(p) || strings.HasPrefix(p, "/") || windowsAbs.MatchString(p)
}

// validateOffline checks [hub] mode and offline_dir. Whether the agent
// holds the hub's keys is in its state, not here: the agent says so when it
// writes (ErrNoHubKeysOffline).
func (c *Config) validateOffline(bad func(string, ...string) error) error {
	switch c.Hub.Mode {
	case "", ModeOnline, ModeOffline: // empty: online

	default:
		return bad(fmt.Sprintf("%q inconnu : online (envoi au hub par le réseau) ou offline (bilans chiffrés écrits dans offline_dir, une clé USB)", c.Hub.Mode), "hub", "mode")
	}
	if !c.Offline() {
		if c.Hub.OfflineDir != "" {
			return bad(`ne sert qu'avec mode = "offline" (ajoutez-le, ou retirez offline_dir)`, "hub", "offline_dir")
		}
		return nil
	}
	if c.Hub.OfflineDir == "" {
		return bad(`obligatoire avec mode = "offline" : le dossier où écrire les bilans chiffrés, par exemple offline_dir = "E:\\vigie" (une clé USB)`, "hub", "offline_dir")
	}
	if !absolutePath(c.Hub.OfflineDir) {
		return bad(fmt.Sprintf("%q doit être un chemin absolu (exemple : \"E:\\\\vigie\")", c.Hub.OfflineDir), "hub", "offline_dir")
	}
	return nil
}
