package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/protocol"
)

// loadSigningKey returns the key at explicit (which must exist) or the
// agent's key in stateDir, created on first use (0600).
func loadSigningKey(explicit, stateDir string) (key ed25519.PrivateKey, path string, created bool, err error) {
	if explicit != "" {
		data, err := os.ReadFile(explicit)
		if err != nil {
			return nil, explicit, false, fmt.Errorf("clé %s illisible : %w", explicit, err)
		}
		k, err := protocol.ParsePrivateKey(data)
		if err != nil {
			return nil, explicit, false, fmt.Errorf("clé %s invalide (attendu : clé privée Ed25519 PEM PKCS#8) : %w", explicit, err)
		}
		return k, explicit, false, nil
	}
	path = filepath.Join(stateDir, "agent.key")
	k, created, err := keystore.LoadOrCreateKey(path)
	if err != nil {
		return nil, path, false, fmt.Errorf("clé de l'agent : %w (indiquez une clé avec --key ou un dossier accessible avec --state-dir)", err)
	}
	return k, path, created, nil
}
