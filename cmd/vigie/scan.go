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
	"slices"
	"strings"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/checks/registry"
	tlscheck "github.com/vigie-cyber/vigie/checks/tls"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

func version() string { return agent.Version }

// scanFunc, when set, replaces the host scan (tests of the command line
// itself, which need a scorecard, not ten seconds of real checks).
var scanFunc func(ctx context.Context, opt agent.ScanOptions) (*protocol.Scorecard, error)

func runScan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stdout)
	lang := fs.String("lang", "fr", "langue du rapport : fr ou en")
	jsonOut := fs.String("json", "", "écrit le bilan JSON (non signé) dans ce fichier")
	htmlOut := fs.String("html", "", "écrit le rapport HTML imprimable dans ce fichier")
	signedOut := fs.String("out", "", "écrit le bilan signé (enveloppe DSSE) dans ce fichier, avec la clé et le numéro de séquence suivant de l'agent")
	keyPath := fs.String("key", "", "clé privée Ed25519 de signature (défaut : celle de l'agent, créée dans le dossier d'état)")
	stateDir := fs.String("state-dir", "", "dossier d'état de l'agent : clé, état, file d'envoi (défaut : state_dir de la configuration, sinon "+defaultStateDir()+")")
	timeout := fs.Duration("timeout", checks.DefaultRunOptions.Timeout, "délai maximal par vérification")
	quiet := fs.Bool("quiet", false, "n'affiche pas le bilan dans le terminal")
	now := fs.Bool("now", false, "fait un bilan hors calendrier par l'agent installé : signé, mis en file et envoyé au hub comme les bilans planifiés")
	offlineOut := fs.String("offline-out", "", "comme --now, mais écrit le bilan et ceux en attente dans ce dossier (une clé USB), chiffrés pour le hub, au lieu de les envoyer")
	only := fs.String("only", "", "familles à vérifier, séparées par des virgules ("+domainChoices()+") : bilan partiel, pour le terminal, --json et --html seulement")
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
	onlyDomains, err := parseOnly(*only)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// A partial scan would show the hub a host that lost domains: it is
	// never signed, so never sent.
	if *offlineOut != "" {
		*now = true
	}
	if onlyDomains != nil && (*now || *signedOut != "") {
		return usagef("--only fait un bilan partiel, pour le terminal, --json et --html seulement : il n'est jamais signé pour le hub (retirez --only, ou --now et --out)")
	}
	cat, err := catalogue.Load()
	if err != nil {
		return fmt.Errorf("catalogue de recommandations illisible : %w", err)
	}
	if *now {
		for _, name := range []string{"out", "key", "tls", "tls-ca", "domain", "backup-path", "sector"} {
			if set[name] {
				return usagef("--%s ne s'utilise pas avec --now : le bilan suit la configuration de l'agent (%s) et est signé avec sa clé", name, agent.DefaultConfigPath())
			}
		}
		sc, err := scanNow(*configPath, *stateDir, *offlineOut, stdout, stderr)
		if err != nil {
			return err
		}
		_, _, dir, _ := scanTargets(*configPath, *stateDir)
		return writeReports(sc, cat, *lang, *jsonOut, *htmlOut, *quiet, pastScores(dir, sc), stdout)
	}
	targets, entity, dir, err := scanTargets(*configPath, *stateDir)
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
	opt := agent.ScanOptions{
		Targets: targets,
		Entity:  entity,
		Run:     checks.RunOptions{Timeout: *timeout, Concurrency: max(4, runtime.NumCPU()*2)},
		Only:    onlyDomains,
	}
	if onlyDomains == nil {
		opt.Inventory = inventory // the inventory is for the hub: not in a partial scan
	}

	// The key and the sequence number before scanning: a key or state
	// problem should not cost a full scan.
	var key ed25519.PrivateKey
	if *signedOut != "" {
		k, err := signingIdentity(*keyPath, dir, &opt, stderr)
		if err != nil {
			return err
		}
		key = k
	}

	if err := lowerPriority(); err != nil {
		fmt.Fprintf(stderr, "priorité basse non appliquée : %v\n", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var sc *protocol.Scorecard
	if scanFunc != nil {
		sc, err = scanFunc(ctx, opt)
		if err != nil {
			return err
		}
	} else {
		sc = agent.Scan(ctx, livehost.New(), opt)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("analyse interrompue")
	}
	fmt.Fprint(stderr, adminNotice(sc, elevated()))
	if key != nil {
		data, err := protocol.SignScorecard(sc, key)
		if err != nil {
			return fmt.Errorf("signature du bilan : %w", err)
		}
		if err := writeOutput(*signedOut, data); err != nil {
			return err
		}
	}
	if onlyDomains != nil {
		fmt.Fprintf(stderr, "Bilan partiel (--only %s) : le niveau et le score ne portent que sur ces familles ; il n'est ni signé ni envoyé au hub.\n", *only)
	}
	return writeReports(sc, cat, *lang, *jsonOut, *htmlOut, *quiet, pastScores(dir, sc), stdout)
}

// pastScores is the host's score history from the agent's state (best
// effort: a scan without an agent state has none), without sc itself.
func pastScores(stateDir string, sc *protocol.Scorecard) []report.ScorePoint {
	st, err := agent.LoadState(stateDir)
	if err != nil {
		return nil
	}
	h := st.History
	if n := len(h); n > 0 && h[n-1].At.Equal(sc.FinishedAt) {
		h = h[:n-1]
	}
	return h
}

// domainChoices lists the families --only accepts.
func domainChoices() string {
	names := make([]string, len(protocol.Domains))
	for i, d := range protocol.Domains {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}

// parseOnly reads --only: families (domains) separated by commas, each one
// of protocol.Domains; nil when the flag is absent (a full scan).
func parseOnly(v string) ([]protocol.Domain, error) {
	if v == "" {
		return nil, nil
	}
	var out []protocol.Domain
	for _, f := range strings.Split(v, ",") {
		d := protocol.Domain(strings.TrimSpace(f))
		if !d.Known() {
			return nil, usagef("--only : famille %q inconnue ; familles : %s", f, domainChoices())
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// signingIdentity loads the key that signs `scan --out` and stamps opt
// with what a hub needs to accept the scorecard. The agent's own key (in
// the state folder, created on first use by the one key bootstrap, or given
// with --key) signs as the agent does: its ID, the entity and sector the hub
// recorded at enrolment, and the next sequence number, reserved in the
// state so that the service never reuses it. Another key signs a detached
// scorecard, said so on stderr: no hub would take it.
func signingIdentity(explicit, stateDir string, opt *agent.ScanOptions, stderr io.Writer) (ed25519.PrivateKey, error) {
	var key ed25519.PrivateKey
	if explicit != "" {
		k, err := keystore.LoadKey(explicit)
		if err != nil {
			return nil, fmt.Errorf("clé %s inutilisable (attendu : clé privée Ed25519 PEM PKCS#8) : %w", explicit, err)
		}
		key = k
	} else {
		path := filepath.Join(stateDir, agent.KeyFile)
		k, created, err := keystore.LoadOrCreateKey(path)
		if err != nil {
			return nil, fmt.Errorf("clé de l'agent : %w (indiquez une clé avec --key ou un dossier accessible avec --state-dir)", err)
		}
		if created {
			fmt.Fprintf(stderr, "Clé de signature créée : %s (clé publique : %s)\n", path, keystore.PublicKeyPath(path))
		}
		key = k
	}
	id := protocol.KeyID(key.Public().(ed25519.PublicKey))
	opt.AgentID = id
	st, err := agent.LoadState(stateDir)
	if err != nil && explicit == "" {
		return nil, fmt.Errorf("état de l'agent illisible, le bilan ne peut pas recevoir de numéro de séquence : %w", err)
	}
	if explicit != "" && (err != nil || st.AgentID != id) {
		fmt.Fprintf(stderr, "Bilan signé avec %s, qui n'est pas la clé de l'agent de %s : sans numéro de séquence, un hub le refuserait.\n", explicit, stateDir)
		return key, nil
	}
	if st.AgentID != "" && st.AgentID != id {
		return nil, fmt.Errorf("la clé %s n'est pas celle de l'agent inscrit (%s) : un hub refuserait ce bilan ; réinscrivez l'agent (vigie enroll) ou indiquez sa clé avec --key", filepath.Join(stateDir, agent.KeyFile), st.AgentID)
	}
	seq, err := agent.NextSequence(stateDir)
	if err != nil {
		return nil, fmt.Errorf("numéro de séquence non réservé dans %s : %w ; un bilan signé sans numéro serait refusé par le hub", stateDir, err)
	}
	opt.Sequence = seq
	opt.Entity, opt.Targets.Sector = st.HubIdentity(opt.Entity, opt.Targets.Sector)
	return key, nil
}

// writeReports writes the unsigned JSON, the HTML report and the terminal
// report that were asked for.
func writeReports(sc *protocol.Scorecard, cat checks.Catalogue, lang, jsonOut, htmlOut string, quiet bool, history []report.ScorePoint, stdout io.Writer) error {
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
		if err := report.WriteHTML(&b, sc, cat, lang, history...); err != nil {
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
// one) and the questionnaire answers from the state folder, which it
// returns: --state-dir when given, else the configuration's state_dir,
// else the default. The default file may be absent (a scan needs no
// configuration); an explicit one must exist.
func scanTargets(configPath, stateDir string) (registry.Config, string, string, error) {
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
			return t, "", "", usageError{err.Error()}
		}
		t = cfg.Targets()
		entity = cfg.Entity
		if stateDir == "" {
			stateDir = cfg.StateDir
		}
	}
	if stateDir == "" {
		stateDir = defaultStateDir()
	}
	answers, err := agent.LoadAnswers(stateDir)
	if err != nil {
		return t, "", "", err
	}
	t.Answers = agent.MergeAnswers(t.Answers, answers)
	return t, entity, stateDir, nil
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
