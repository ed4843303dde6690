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
	"regexp"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/alias"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Bundles for isolated hubs (protocol.Bundle): a connected hub exports its
// CERT-FR advisories, alias table and catalogue identity, signed with its
// key; the isolated hub verifies them against that key, pinned at the
// first import (PinFile in its data folder).

// PinFile holds, in the data folder, the exporting hub's signing key that
// bundle import pinned.
const PinFile = "bundle-signer.pub"

// shortForm is a signing key's short form (hubkeys.Fingerprint: 32
// hexadecimal digits), which vigie-hub keys prints to be read aloud.
var shortForm = regexp.MustCompile(`^[0-9a-f]{32}$`)

func bundleExport(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("bundle export --out FICHIER [--data-dir DOSSIER]",
		"Écrit, pour un hub isolé, un lot signé par la clé de ce hub : les avis CERT-FR enregistrés, la table d'alias\n"+
			"et l'empreinte du catalogue de conseils. Sur le hub isolé : vigie-hub bundle import FICHIER --key CLÉ, CLÉ\n"+
			"étant la clé de signature de ce hub (vigie-hub keys), à transmettre par un autre canal que le lot.")
	out := c.fs.String("out", "", "`FICHIER` du lot à écrire (obligatoire)")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub, où est sa clé de signature (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *out == "" || c.fs.NArg() != 0 {
		return c.usageErr("attendu : vigie-hub bundle export --out FICHIER")
	}
	keys, st, err := openWithKeys(ctx, c, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	recs, err := st.AdvisoriesSince(ctx, time.Time{})
	if err != nil {
		return err
	}
	catID, err := catalogueID()
	if err != nil {
		return err
	}
	b := &protocol.Bundle{CreatedAt: time.Now().UTC(), HubVersion: Version, Aliases: alias.Embedded(), Catalogue: catID}
	for _, r := range recs {
		b.Advisories = append(b.Advisories, protocol.BundleAdvisory{Reference: r.Reference, Raw: r.Raw})
	}
	data, err := protocol.SignBundle(b, keys.Signing)
	if err != nil {
		return err
	}
	if err := keystore.WriteFileAtomic(*out, data, 0o644); err != nil {
		return fmt.Errorf("écriture de %s : %w", *out, err)
	}
	fp, _ := hubkeys.Fingerprint(keys.Public().SigningKey)
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "bundle_export", Target: *out,
		Detail: fmt.Sprintf("%d avis, %d octets", len(b.Advisories), len(data))})
	fmt.Fprintf(stdout, "Lot écrit : %s (%d avis CERT-FR, table d'alias, catalogue de %d conseils ; %d octets)\n", *out, len(b.Advisories), catID.Checks, len(data))
	fmt.Fprintf(stdout, "Signé par la clé de ce hub :\n    %s\n    empreinte à comparer de vive voix : %s\n", keys.Public().SigningKey, fp)
	return nil
}

// catalogueID names the guidance catalogue this binary carries.
func catalogueID() (protocol.BundleCatalogue, error) {
	cat, err := catalogue.Load()
	if err != nil {
		return protocol.BundleCatalogue{}, fmt.Errorf("catalogue de conseils : %w", err)
	}
	j, err := json.Marshal(cat) // map keys sorted: stable
	if err != nil {
		return protocol.BundleCatalogue{}, err
	}
	return protocol.BundleCatalogue{Checks: len(cat), SHA256: protocol.Digest(j)}, nil
}

func bundleImport(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("bundle import FICHIER [--key CLÉ] [--repin] [--data-dir DOSSIER]",
		"Importe un lot écrit par vigie-hub bundle export sur un hub connecté, après avoir vérifié sa signature par la\n"+
			"clé de ce hub exportateur : --key au premier import (la clé que vigie-hub keys affiche là-bas, vérifiée de vive\n"+
			"voix par son empreinte), épinglée ensuite dans le dossier de données ("+PinFile+"). Un lot signé par une autre\n"+
			"clé est refusé, sauf --repin --key NOUVELLE_CLÉ (changement de hub exportateur, décidé par l'administrateur).\n"+
			"Les avis plus récents que ceux enregistrés les remplacent ; un hub en marche les rapproche sous une minute.\n"+
			"La table d'alias et le catalogue de conseils font partie du programme : le lot dit s'ils diffèrent des vôtres.")
	key := c.fs.String("key", "", "`CLÉ` de signature du hub exportateur (hub_signing_key) ; obligatoire au premier import")
	repin := c.fs.Bool("repin", false, "remplace la clé épinglée par --key (à ne faire qu'après avoir vérifié la nouvelle clé)")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub, où la clé est épinglée (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	// FICHIER may come before the options, as the synopsis shows.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := c.parse(args); err != nil {
		return err
	}
	if file == "" && c.fs.NArg() == 1 {
		file = c.fs.Arg(0)
	} else if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	if file == "" {
		return c.usageErr("attendu : vigie-hub bundle import FICHIER --key CLÉ")
	}
	if *repin && *key == "" {
		return c.usageErr("--repin demande --key NOUVELLE_CLÉ")
	}
	if *dataDir == "" {
		*dataDir = defaultDataDir(*c.db)
	}
	pinPath := filepath.Join(*dataDir, PinFile)
	pinned, err := os.ReadFile(pinPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lecture de la clé épinglée %s : %w", pinPath, err)
	}
	pin := strings.TrimSpace(string(pinned))
	use := strings.TrimSpace(*key)
	switch {
	case use == "" && pin == "":
		return c.usageErr("premier import : indiquez --key, la clé de signature du hub exportateur (vigie-hub keys sur ce hub)")
	case use == "":
		use = pin
	case pin != "" && use != pin && !*repin:
		fp, _ := hubkeys.Fingerprint(pin)
		return fmt.Errorf("lot refusé : --key n'est pas la clé épinglée du hub exportateur (empreinte %s). "+
			"Si le hub exportateur a vraiment changé de clé, vérifiez la nouvelle de vive voix puis relancez avec --repin --key NOUVELLE_CLÉ", fp)
	}
	pub, err := protocol.DecodePublicKey(use)
	if err != nil {
		// vigie-hub keys prints the key and, below it, its short form for
		// the phone: the short form names the key, it cannot check a
		// signature.
		if shortForm.MatchString(use) {
			return c.usageErr("--key : %s est l'empreinte courte, à comparer de vive voix ; --key attend la clé elle-même "+
				"(hub_signing_key, la ligne au-dessus de l'empreinte dans vigie-hub keys sur le hub exportateur)", use)
		}
		return c.usageErr("--key illisible : ce n'est pas une clé de signature de hub (hub_signing_key, 44 caractères en base64, affichée par vigie-hub keys) : %v", err)
	}
	fp, _ := hubkeys.Fingerprint(use)
	st, err := openStore(ctx, *c.db)
	if err != nil {
		return err
	}
	defer st.Close()
	data, err := readBounded(file, protocol.MaxBundleSize)
	if err != nil {
		return fmt.Errorf("lot refusé : %w", err)
	}
	b, err := protocol.OpenBundle(data, pub)
	if err != nil {
		reason := "modifié, tronqué ou illisible"
		if errors.Is(err, protocol.ErrBundleKey) {
			reason = "il n'est pas signé par la clé du hub exportateur (empreinte " + fp + ")"
		}
		st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "bundle_refused", Target: file, Detail: err.Error()})
		return fmt.Errorf("lot refusé : %s (%v)", reason, err)
	}
	if use != pin {
		if err := os.MkdirAll(*dataDir, 0o700); err != nil {
			return err
		}
		if err := keystore.WriteFileAtomic(pinPath, []byte(use+"\n"), 0o600); err != nil {
			return fmt.Errorf("épinglage de la clé dans %s : %w", pinPath, err)
		}
		action := "bundle_pin"
		if pin != "" {
			action = "bundle_repin"
		}
		st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: action, Target: fp, Detail: pinPath})
		fmt.Fprintf(stdout, "Clé du hub exportateur épinglée (empreinte %s) : les prochains lots devront être signés par elle.\n", fp)
	}
	added, replaced, unchanged, unreadable := 0, 0, 0, 0
	now := time.Now()
	for _, a := range b.Advisories {
		doc, err := advisory.Parse(a.Reference, a.Raw)
		if err != nil {
			unreadable++
			continue
		}
		_, _, had, err := st.AdvisoryStamp(ctx, doc.Reference)
		if err != nil {
			return err
		}
		stored, err := st.PutAdvisory(ctx, store.AdvisoryRecord{Reference: doc.Reference, Kind: string(doc.Kind()), Title: doc.Title,
			Published: doc.Published(), Revised: doc.Revised(), Revisions: len(doc.Revisions), Raw: a.Raw, ImportedAt: now})
		switch {
		case err != nil:
			return err
		case !stored:
			unchanged++
		case had:
			replaced++
		default:
			added++
		}
	}
	fmt.Fprintf(stdout, "Lot du %s (hub %s) vérifié : signé par la clé épinglée (empreinte %s).\n", b.CreatedAt.Local().Format("02/01/2006 15:04"), b.HubVersion, fp)
	fmt.Fprintf(stdout, "Avis CERT-FR : %d ajouté(s), %d remplacé(s) par une révision plus récente, %d inchangé(s), %d illisible(s).\n", added, replaced, unchanged, unreadable)
	if protocol.Digest(alias.Embedded()) == b.SHA256["aliases"] {
		fmt.Fprintln(stdout, "Table d'alias : identique à celle de ce hub.")
	} else {
		fmt.Fprintf(stdout, "Table d'alias : celle du hub exportateur (vigie-hub %s) diffère de la vôtre ; elle fait partie du programme et n'est pas remplacée : installez la même version de vigie-hub pour l'avoir.\n", b.HubVersion)
	}
	if own, err := catalogueID(); err == nil && own.SHA256 == b.Catalogue.SHA256 {
		fmt.Fprintln(stdout, "Catalogue de conseils : identique à celui de ce hub.")
	} else {
		fmt.Fprintf(stdout, "Catalogue de conseils : celui du hub exportateur (%d conseils, vigie-hub %s) diffère du vôtre ; il fait partie du programme et n'est pas remplacé : installez la même version de vigie-hub pour l'avoir.\n", b.Catalogue.Checks, b.HubVersion)
	}
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "bundle_import", Target: file,
		Detail: fmt.Sprintf("clé %s ; avis : %d ajoutés, %d remplacés, %d inchangés, %d illisibles", fp, added, replaced, unchanged, unreadable)})
	return nil
}

// readBounded reads at most limit bytes of path, refusing a larger file
// (a request, a bundle: every file a command reads is bounded).
func readBounded(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s illisible : %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s illisible : %w", path, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s dépasse %d octets", path, limit)
	}
	return data, nil
}
