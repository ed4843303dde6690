package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/registry"
	tlscheck "github.com/vigie-cyber/vigie/checks/tls"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

func version() string { return agent.Version }

func runScan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	lang := fs.String("lang", "fr", "langue du rapport : fr ou en")
	jsonOut := fs.String("json", "", "écrit le bilan JSON (non signé) dans ce fichier")
	htmlOut := fs.String("html", "", "écrit le rapport HTML imprimable dans ce fichier")
	signedOut := fs.String("out", "", "écrit le bilan signé (enveloppe DSSE) dans ce fichier")
	keyPath := fs.String("key", "", "clé privée Ed25519 de signature (défaut : créée dans le dossier d'état)")
	stateDir := fs.String("state-dir", defaultStateDir(), "dossier d'état de l'agent (clé, file d'envoi)")
	timeout := fs.Duration("timeout", checks.DefaultRunOptions.Timeout, "délai maximal par vérification")
	quiet := fs.Bool("quiet", false, "n'affiche pas le bilan dans le terminal")
	now := fs.Bool("now", false, "fait un bilan hors calendrier par l'agent installé : signé, mis en file et envoyé au hub comme les bilans planifiés")
	var tlsTargets, domains, backups multi
	fs.Var(&tlsTargets, "tls", "point d'accès TLS à tester, hôte:port (répétable)")
	tlsCA := fs.String("tls-ca", "", "fichier PEM de l'autorité de certification propre à l'entité, reconnue en plus de celles du système")
	fs.Var(&domains, "domain", "nom de domaine de l'entité à tester (répétable)")
	fs.Var(&backups, "backup-path", "dossier de sauvegarde à contrôler (répétable)")
	sector := fs.String("sector", "", "secteur : "+agent.SectorChoices()+" (défaut : celui de la configuration, sinon "+string(protocol.SectorOther)+")")
	configPath := fs.String("config", "", "fichier de configuration (défaut : "+agent.DefaultConfigPath()+" s'il existe)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	if *lang != "fr" && *lang != "en" {
		return usagef("--lang doit valoir fr ou en, pas %q", *lang)
	}
	if *sector != "" {
		if _, err := protocol.ParseSector(*sector); err != nil {
			return usagef("--sector : %v", err)
		}
	}
	stateSet := false
	fs.Visit(func(f *flag.Flag) { stateSet = stateSet || f.Name == "state-dir" })
	targets, entity, err := scanTargets(*configPath, stateDir, stateSet)
	if err != nil {
		return err
	}
	targets.TLSEndpoints = append(targets.TLSEndpoints, tlsTargets...)
	if *tlsCA != "" {
		roots, err := tlscheck.LoadRoots(*tlsCA)
		if err != nil {
			return usagef("--tls-ca : %v", err)
		}
		targets.TLSRoots = roots
	}
	targets.Domains = append(targets.Domains, domains...)
	targets.BackupPaths = append(targets.BackupPaths, backups...)
	if *sector != "" {
		targets.Sector = *sector
	}
	if targets.Sector == "" {
		targets.Sector = string(protocol.SectorOther)
	}
	cat, err := registry.Guidance()
	if err != nil {
		return fmt.Errorf("catalogue de recommandations illisible : %w", err)
	}
	if *now {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, name := range []string{"out", "key", "tls", "tls-ca", "domain", "backup-path", "sector", "state-dir"} {
			if set[name] {
				return usagef("--%s ne s'utilise pas avec --now : le bilan suit la configuration de l'agent (%s) et est signé avec sa clé", name, agent.DefaultConfigPath())
			}
		}
		sc, err := scanNow(*configPath, stdout, stderr)
		if err != nil {
			return err
		}
		return writeReports(sc, cat, *lang, *jsonOut, *htmlOut, *quiet, stdout)
	}

	// Load the key before scanning: a key problem should not cost a full scan.
	var key ed25519.PrivateKey
	if *signedOut != "" {
		k, path, created, err := loadSigningKey(*keyPath, *stateDir)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stderr, "Clé de signature créée : %s (clé publique : %s)\n", path, keystore.PublicKeyPath(path))
		}
		key = k
	}

	if err := lowerPriority(); err != nil {
		fmt.Fprintf(stderr, "priorité basse non appliquée : %v\n", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	h := checks.Live()
	sc := agent.Scan(ctx, h, agent.ScanOptions{
		Targets:   targets,
		Entity:    entity,
		Run:       checks.RunOptions{Timeout: *timeout, Concurrency: max(4, runtime.NumCPU()*2)},
		Inventory: inventory,
	})
	if ctx.Err() != nil {
		return fmt.Errorf("analyse interrompue")
	}
	if key != nil {
		sc.AgentID = protocol.KeyID(key.Public().(ed25519.PublicKey))
		data, err := protocol.SignScorecard(sc, key)
		if err != nil {
			return fmt.Errorf("signature du bilan : %w", err)
		}
		if err := writeOutput(*signedOut, data); err != nil {
			return err
		}
	}
	return writeReports(sc, cat, *lang, *jsonOut, *htmlOut, *quiet, stdout)
}

// writeReports writes the unsigned JSON, the HTML report and the terminal
// report that were asked for.
func writeReports(sc *protocol.Scorecard, cat checks.Catalogue, lang, jsonOut, htmlOut string, quiet bool, stdout io.Writer) error {
	if jsonOut != "" {
		data, err := sc.Encode()
		if err != nil {
			return err
		}
		if err := writeOutput(jsonOut, data); err != nil {
			return err
		}
	}
	if htmlOut != "" {
		var b bytes.Buffer
		if err := report.WriteHTML(&b, sc, cat, lang); err != nil {
			return fmt.Errorf("rapport HTML : %w", err)
		}
		if err := writeOutput(htmlOut, b.Bytes()); err != nil {
			return err
		}
	}
	if !quiet {
		if err := report.WriteText(stdout, sc, cat, lang); err != nil {
			return err
		}
	}
	return nil
}

// scanTargets reads what to scan from the configuration file (when there is
// one) and the questionnaire answers from the state folder. The default file
// may be absent (a scan needs no configuration); an explicit one must exist.
func scanTargets(configPath string, stateDir *string, stateSet bool) (registry.Config, string, error) {
	var t registry.Config
	entity := ""
	path := configPath
	if path == "" {
		if _, err := os.Stat(agent.DefaultConfigPath()); err == nil {
			path = agent.DefaultConfigPath()
		}
	}
	if path != "" {
		cfg, err := agent.LoadConfig(path)
		if err != nil {
			return t, "", usageError{err.Error()}
		}
		t = cfg.Targets()
		entity = cfg.Entity
		if cfg.StateDir != "" && !stateSet {
			*stateDir = cfg.StateDir
		}
	}
	answers, err := agent.LoadAnswers(*stateDir)
	if err != nil {
		return t, "", err
	}
	t.Answers = agent.MergeAnswers(t.Answers, answers)
	return t, entity, nil
}

// writeOutput writes a report file atomically, so an interrupted run never
// leaves half a report where the previous one was.
func writeOutput(path string, data []byte) error {
	if path == "-" {
		_, err := os.Stdout.Write(append(data, '\n'))
		return err
	}
	if err := keystore.WriteFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("écriture de %s impossible : %w", path, err)
	}
	return nil
}

// defaultStateDir is where the agent keeps its key and spool: the system
// location when running as root/administrator, else a per-user folder so that
// a trial `vigie scan` by a normal user still works.
func defaultStateDir() string {
	if runtime.GOOS == "windows" {
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return filepath.Join(pd, "Vigie")
	}
	if os.Geteuid() == 0 {
		return "/var/lib/vigie"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "vigie")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "vigie")
	}
	return "vigie-state"
}
