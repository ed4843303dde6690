package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
)

// loadHubKeys reads the hub's keys from its data folder, making them on
// first use when create is set. Half a pair (one file lost) is an error,
// never a silent new key: agents and isolated hubs have pinned the old one,
// and sticks in the field are encrypted to it.
func loadHubKeys(dataDir string, create bool) (keys *hubkeys.Keys, created bool, err error) {
	sp, ap := filepath.Join(dataDir, hubkeys.SigningFile), filepath.Join(dataDir, hubkeys.AgeFile)
	sf, serr := os.ReadFile(sp)
	af, aerr := os.ReadFile(ap)
	switch {
	case serr == nil && aerr == nil:
		k, err := hubkeys.Parse(sf, af)
		if err != nil {
			return nil, false, fmt.Errorf("clés du hub illisibles dans %s (restaurez-les depuis la sauvegarde) : %w", dataDir, err)
		}
		return k, false, nil
	case errors.Is(serr, fs.ErrNotExist) && errors.Is(aerr, fs.ErrNotExist):
		if !create {
			return nil, false, fmt.Errorf("le hub n'a pas encore de clés dans %s : lancez vigie-hub keys (ou serve) pour les créer", dataDir)
		}
	case errors.Is(serr, fs.ErrNotExist) || errors.Is(aerr, fs.ErrNotExist):
		return nil, false, fmt.Errorf("une seule des deux clés du hub est présente dans %s (%s, %s) : restaurez l'autre depuis la sauvegarde ; "+
			"en créer une nouvelle rendrait illisibles les fiches déjà chiffrées pour ce hub", dataDir, hubkeys.SigningFile, hubkeys.AgeFile)
	default:
		return nil, false, fmt.Errorf("lecture des clés du hub dans %s : %w", dataDir, errors.Join(serr, aerr))
	}
	k, err := hubkeys.Generate()
	if err != nil {
		return nil, false, err
	}
	sf, af, err = k.Marshal()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, err
	}
	if err := keystore.WriteFileAtomic(ap, af, 0o600); err != nil {
		return nil, false, fmt.Errorf("écriture de %s : %w", ap, err)
	}
	if err := keystore.WriteFileAtomic(sp, sf, 0o600); err != nil {
		return nil, false, fmt.Errorf("écriture de %s : %w", sp, err)
	}
	return k, true, nil
}

// copyHubKeys copies the hub's key files into dir (made 0700), for a
// backup. It copies nothing and says so when the hub has no keys yet.
func copyHubKeys(dataDir, dir string) (bool, error) {
	var files [][]byte
	for _, name := range []string{hubkeys.SigningFile, hubkeys.AgeFile} {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		files = append(files, b)
	}
	if _, err := os.Stat(dir); err == nil {
		return false, fmt.Errorf("%s existe déjà : une sauvegarde n'écrase jamais rien", dir)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return false, err
	}
	for i, name := range []string{hubkeys.SigningFile, hubkeys.AgeFile} {
		if err := keystore.WriteFileAtomic(filepath.Join(dir, name), files[i], 0o600); err != nil {
			return false, err
		}
	}
	return true, nil
}

// keysCmd prints the hub's public keys: what an isolated hub pins before a
// bundle import, what the national hub registers for a region.
func keysCmd(_ context.Context, args []string, stdout io.Writer) error {
	c := newCommand("keys [--data-dir DOSSIER] [--format text|json]",
		"Affiche les clés publiques du hub (créées au premier usage) : la clé de signature, que le hub national\n"+
			"ou un hub isolé épinglent, et le destinataire age auquel les agents chiffrent fiches hors ligne et lots d'incident.")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	format := c.fs.String("format", "text", "`FORMAT` : text ou json")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("--format : text ou json")
	}
	if *dataDir == "" {
		*dataDir = defaultDataDir(*c.db)
	}
	k, created, err := loadHubKeys(*dataDir, true)
	if err != nil {
		return err
	}
	pub := k.Public()
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(pub)
	}
	if created {
		fmt.Fprintf(stdout, "Clés du hub créées dans %s (fichiers 0600, à sauvegarder : vigie-hub backup les copie).\n", *dataDir)
	}
	fp, _ := hubkeys.Fingerprint(pub.SigningKey)
	fmt.Fprintf(stdout, "Clé de signature du hub (hub_signing_key) :\n    %s\n    empreinte à comparer de vive voix : %s\n", pub.SigningKey, fp)
	fmt.Fprintf(stdout, "Destinataire age du hub (hub_age_recipient) :\n    %s\n", pub.AgeRecipient)
	return nil
}

// openWithKeys opens the existing database and the hub's existing keys
// (--data-dir, by default beside a SQLite database): what the commands
// that sign or decrypt need.
func openWithKeys(ctx context.Context, c *command, dataDir *string) (*hubkeys.Keys, store.Store, error) {
	if *dataDir == "" {
		*dataDir = defaultDataDir(*c.db)
	}
	keys, _, err := loadHubKeys(*dataDir, false)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return nil, nil, err
	}
	return keys, st, nil
}
