package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/installer"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// placeFlags say where the agent lives: configuration file, state folder,
// and (install, uninstall, status) a root standing for "/" in packaging and
// tests. The state folder is --state-dir when given, else the
// configuration's state_dir, else the system's (agent.DefaultStateDir).
type placeFlags struct {
	config, stateDir, root *string
}

func addPlaceFlags(fs *flag.FlagSet, withRoot bool) placeFlags {
	p := placeFlags{
		config:   fs.String("config", agent.DefaultConfigPath(), "fichier de configuration"),
		stateDir: fs.String("state-dir", "", "dossier d'état : clé, file d'envoi (défaut : state_dir de la configuration, sinon "+agent.DefaultStateDir()+")"),
	}
	if withRoot {
		p.root = fs.String("root", "", "dossier tenant lieu de / : fichiers du service sous ce dossier, sans gestionnaire de services (paquets, tests)")
	} else {
		p.root = new(string)
	}
	return p
}

// hubFlags are the enrolment options of install and enroll.
type hubFlags struct {
	hub, token, fingerprint, ca, proxy *string
}

func addHubFlags(fs *flag.FlagSet) hubFlags {
	return hubFlags{
		hub:         fs.String("hub", "", "adresse du hub régional, https://..."),
		token:       fs.String("token", "", "jeton d'inscription à usage unique donné par le centre régional"),
		fingerprint: fs.String("fingerprint", "", "empreinte SHA-256 du certificat du hub (affichée par vigie-hub serve), si son certificat est auto-signé"),
		ca:          fs.String("ca", "", "fichier PEM de l'autorité qui a signé le certificat du hub"),
		proxy:       fs.String("proxy", "", "mandataire HTTPS, http://proxy:3128 (défaut : [hub] proxy de la configuration, sinon HTTPS_PROXY)"),
	}
}

func (p placeFlags) options() installer.Options {
	return installer.Options{
		Root: *p.root, ConfigPath: *p.config, StateDir: *p.stateDir,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func (p placeFlags) withHub(h hubFlags) installer.Options {
	o := p.options()
	o.HubURL, o.Token, o.Fingerprint, o.CAFile, o.Proxy = *h.hub, *h.token, *h.fingerprint, *h.ca, *h.proxy
	return o
}

func runInstall(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("install", stdout)
	p := addPlaceFlags(fs, true)
	h := addHubFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	if *h.token != "" && *h.hub == "" {
		return usagef("--token demande --hub https://... (l'adresse du hub régional)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := installer.Install(ctx, p.withHub(h))
	if err != nil {
		return explainHubError(err)
	}
	if res.ConfigWritten {
		fmt.Fprintf(stdout, "Configuration écrite : %s (modifiez-la pour indiquer vos domaines, sites web et sauvegardes).\n", res.ConfigPath)
	} else {
		fmt.Fprintf(stdout, "Configuration existante conservée : %s\n", res.ConfigPath)
	}
	if e := res.Enrolment; e != nil {
		fmt.Fprintf(stdout, "Agent inscrit auprès du hub pour « %s » (identifiant %s).\n", e.Entity, e.AgentID)
	} else {
		fmt.Fprintln(stdout, "Agent non inscrit : lancez vigie enroll --hub https://... --token ... quand le centre régional vous aura donné un jeton.")
	}
	if res.UnitPath != "" {
		fmt.Fprintf(stdout, "Service : %s\n", res.UnitPath)
	}
	if res.Started {
		fmt.Fprintln(stdout, "Service démarré : un bilan sera fait et envoyé chaque jour. vigie status montre son état.")
	}
	return nil
}

func runUninstall(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("uninstall", stdout)
	p := addPlaceFlags(fs, true)
	purge := fs.Bool("purge", false, "supprime aussi la configuration, la clé et les bilans en attente d'envoi")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	removed, err := installer.Uninstall(p.options(), *purge)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, uninstallMessage(removed, *purge, *p.config, installer.StateDirOf(p.options())))
	return nil
}

// uninstallMessage says what uninstall did: "Service supprimé" only when a
// service was there.
func uninstallMessage(removed, purge bool, config, state string) string {
	svc := "Aucun service Vigie n'était installé."
	if removed {
		svc = "Service supprimé."
	}
	if purge {
		return svc + " Configuration, clé et bilans en attente supprimés.\n"
	}
	return fmt.Sprintf("%s Configuration et dossier d'état conservés (%s, %s) ; --purge les supprime.\n", svc, config, state)
}

func runEnroll(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("enroll", stdout)
	p := addPlaceFlags(fs, false)
	h := addHubFlags(fs)
	off := addOfflineEnrollFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	stateDir, hub, fp, ca, proxy := *p.stateDir, *h.hub, *h.fingerprint, *h.ca, *h.proxy
	if cfg, err := agent.LoadConfig(*p.config); err == nil {
		if stateDir == "" {
			stateDir = cfg.StateDir
		} else if filepath.Clean(stateDir) != filepath.Clean(cfg.StateDir) {
			fmt.Fprintf(stderr, "Attention : le service lit son état dans %s (state_dir de %s), pas dans %s.\n", cfg.StateDir, *p.config, stateDir)
		}
		hub, fp, ca, proxy = firstSet(hub, cfg.Hub.URL), firstSet(fp, cfg.Hub.Fingerprint), firstSet(ca, cfg.Hub.CAFile), firstSet(proxy, cfg.Hub.Proxy)
	} else if !errors.Is(err, os.ErrNotExist) {
		return usageError{err.Error()}
	}
	if stateDir == "" {
		stateDir = agent.DefaultStateDir()
	}
	if off.requested() {
		return off.run(stateDir, *h.token, fp, hub, stdout)
	}
	if hub == "" || *h.token == "" {
		return usagef("indiquez --hub https://... et --token ... (le jeton donné par le centre régional)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, _ := hostFacts(ctx)
	e, err := agent.Enroll(ctx, agent.EnrollOptions{
		HubURL: hub, Token: *h.token, Fingerprint: agent.NormalizeFingerprint(fp), CAFile: ca, Proxy: proxy,
		StateDir: stateDir, Host: info,
	})
	if err != nil {
		return explainHubError(err)
	}
	fmt.Fprintf(stdout, "Agent inscrit auprès de %s pour « %s » (identifiant %s, dossier d'état %s).\nIdentité du hub mémorisée : toute connexion future à un autre serveur sera refusée.\n", hub, e.Entity, e.AgentID, stateDir)
	if e.KeyCreated {
		fmt.Fprintf(stdout, "Clé de l'agent créée : %s\n", e.KeyPath)
	}
	return nil
}

func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stdout)
	p := addPlaceFlags(fs, true)
	proxy := fs.String("proxy", "", "mandataire HTTPS pour joindre le hub (défaut : [hub] proxy de la configuration, sinon HTTPS_PROXY)")
	offline := fs.Bool("offline", false, "ne contacte pas le hub")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	svc, st, err := installer.Status(p.options())
	names := map[installer.ServiceState]string{
		installer.StateRunning: "en marche", installer.StateStopped: "arrêté",
		installer.StateNotInstalled: "non installé", installer.StateUnknown: "inconnu",
	}
	fmt.Fprintf(stdout, "Service : %s\n", names[svc])
	if err != nil {
		return fmt.Errorf("état de l'agent illisible : %w", err)
	}
	s := st.State
	cfg, cfgErr := agent.LoadConfig(*p.config)
	offlineMode := cfgErr == nil && cfg.Offline()
	if s.Enrolled() {
		fmt.Fprintf(stdout, "Inscrit : oui, auprès de %s pour « %s » (agent %s)\n", s.HubURL, s.Entity, s.AgentID)
	} else if s.OfflineEnroll != nil {
		fmt.Fprintf(stdout, "Inscrit : pas encore ; demande hors réseau écrite le %s, en attente de la réponse du hub (vigie enroll --response RÉPONSE)\n", report.FormatTime(s.OfflineEnroll.RequestedAt, "fr"))
	} else {
		fmt.Fprintln(stdout, "Inscrit : non (vigie enroll --hub ... --token ...)")
	}
	if offlineMode {
		fmt.Fprintf(stdout, "Mode : hors réseau, bilans chiffrés pour le hub écrits dans %s (aucune connexion au hub)\n", cfg.Hub.OfflineDir)
		if s.Enrolled() && s.HubKeys.AgeRecipient == "" {
			fmt.Fprintf(stdout, "Attention : %v\n", agent.ErrNoHubKeysOffline)
		}
	}
	if s.LastScan.IsZero() {
		fmt.Fprintln(stdout, "Dernier bilan : aucun")
	} else {
		fmt.Fprintf(stdout, "Dernier bilan : %s, niveau %d/4 (%s), score %d/100\n",
			report.FormatTime(s.LastScan, "fr"), s.LastLevel, protocol.Level(s.LastLevel).Name("fr"), s.LastScore)
	}
	if s.LastScanError != "" {
		fmt.Fprintf(stdout, "Erreur du dernier bilan : %s\n", s.LastScanError)
	}
	fmt.Fprintf(stdout, "En attente d'envoi : %d bilan(s), %d Kio", st.SpoolFiles, (st.SpoolBytes+1023)/1024)
	if st.Refused > 0 {
		fmt.Fprintf(stdout, " ; %d bilan(s) refusé(s) par le hub, mis de côté dans %s/quarantine", st.Refused, agent.SpoolDir)
	}
	if st.Unreadable > 0 {
		fmt.Fprintf(stdout, " ; %d fichier(s) illisible(s) dans la file locale (jamais envoyés au hub), mis de côté dans %s/quarantine", st.Unreadable, agent.SpoolDir)
	}
	fmt.Fprintln(stdout)
	if !s.LastUpload.IsZero() {
		fmt.Fprintf(stdout, "Dernier envoi : %s : %s\n", report.FormatTime(s.LastUpload, "fr"), s.LastUploadResult)
	}
	if s.Blocked != "" {
		fmt.Fprintf(stdout, "Envois suspendus : %s\n", s.Blocked)
	}
	if s.Enrolled() && !*offline && !offlineMode {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if *proxy == "" && cfgErr == nil {
			*proxy = cfg.Hub.Proxy
		}
		st.CheckHub(ctx, *proxy)
		if st.HubErr != nil {
			fmt.Fprintf(stdout, "Hub : injoignable : %v\n", explainHubError(st.HubErr))
		} else {
			fmt.Fprintf(stdout, "Hub : joignable (version %s)\n", st.HubVersion)
		}
	}
	return nil
}

func runService(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stdout)
	config := fs.String("config", agent.DefaultConfigPath(), "fichier de configuration")
	asService := fs.Bool("service", false, "lancé par le gestionnaire de services (ligne de commande du service installé) : fonctionne en service même si le processus ne semble pas lancé par lui (Wine)")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("argument inattendu %q", pos[0])
	}
	if err := lowerPriority(); err != nil {
		fmt.Fprintf(stderr, "priorité basse non appliquée : %v\n", err)
	}
	return installer.RunService(*config, *asService, agent.Options{Inventory: agent.Software})
}

// scanNow runs one scan through the agent, as the schedule would: signed,
// spooled and delivered (or kept for the next attempt). stateDir, when set,
// replaces the configuration's state_dir.
func scanNow(configPath, stateDir, offlineDir string, stdout, stderr io.Writer) (*protocol.Scorecard, error) {
	if configPath == "" {
		configPath = agent.DefaultConfigPath()
	}
	cfg, err := agent.LoadConfig(configPath)
	if err != nil {
		return nil, fmt.Errorf("%w (vigie scan --now utilise la configuration de l'agent installé ; vigie install la crée)", err)
	}
	if stateDir != "" {
		cfg.StateDir = stateDir
	}
	a, err := agent.New(cfg, agent.Options{
		Log:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Inventory:  agent.Software,
		Scan:       scanFunc,
		OfflineDir: offlineDir,
	})
	if err != nil {
		return nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sc, err := a.Cycle(ctx)
	if err != nil {
		return nil, err
	}
	if st, err := agent.ReadStatus(cfg.StateDir); err == nil {
		if offlineDir == "" && cfg.Offline() {
			offlineDir = cfg.Hub.OfflineDir
		}
		fmt.Fprintln(stderr, deliveryMessage(st, offlineDir))
	}
	return sc, nil
}

// deliveryMessage tells what became of the scorecard `scan --now` just made.
func deliveryMessage(st *agent.Status, offlineDir string) string {
	s := st.State
	switch {
	case offlineDir != "" && s.Enrolled() && s.Blocked == "" && st.SpoolFiles == 0:
		return fmt.Sprintf("Bilan signé, chiffré pour le hub et écrit dans %s (avec ceux qui attendaient) : à porter au centre régional (vigie-hub import).", offlineDir)
	case offlineDir != "" && s.Enrolled() && s.Blocked == "":
		return fmt.Sprintf("Bilan signé et gardé dans la file d'envoi (%d en attente) : %s. Il sera écrit au prochain passage.", st.SpoolFiles, sentence(s.LastUploadResult))
	case !s.Enrolled():
		return fmt.Sprintf("Bilan signé et gardé dans la file d'envoi (%d en attente) : l'agent n'est pas encore inscrit (vigie enroll).", st.SpoolFiles)
	case s.Blocked != "":
		// Uploads are suspended until a new enrolment: nothing will be
		// sent automatically.
		return fmt.Sprintf("Bilan signé et gardé dans la file d'envoi (%d en attente), mais les envois sont suspendus : %s.\n"+
			"Réinscrivez l'agent avec un nouveau jeton (vigie enroll --token ...) : les bilans en attente partiront alors.", st.SpoolFiles, sentence(s.Blocked))
	case st.SpoolFiles == 0:
		return fmt.Sprintf("Bilan signé et remis au hub %s.", s.HubURL)
	}
	return fmt.Sprintf("Bilan signé et gardé dans la file d'envoi (%d en attente) : %s. Il sera renvoyé automatiquement.", st.SpoolFiles, sentence(s.LastUploadResult))
}

// sentence strips the final punctuation of a message set inside another
// sentence (a hub message ends with its own full stop).
func sentence(msg string) string {
	return strings.TrimRight(strings.TrimSpace(msg), ".;: ")
}

// hostFacts gives the facts sent at enrolment (best effort).
func hostFacts(ctx context.Context) (protocol.HostInfo, error) {
	return livehost.New().Facts.Info(ctx)
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// explainHubError turns enrolment and pinning errors into what to do.
func explainHubError(err error) error {
	switch {
	case errors.Is(err, protocol.ErrInvalidToken):
		return fmt.Errorf("jeton refusé par le hub : vérifiez qu'il est recopié sans erreur (%w)", err)
	case errors.Is(err, protocol.ErrTokenExpired):
		return fmt.Errorf("jeton expiré : demandez-en un nouveau au centre régional (%w)", err)
	case errors.Is(err, protocol.ErrTokenUsed):
		return fmt.Errorf("jeton déjà utilisé : chaque jeton ne sert qu'une fois, demandez-en un nouveau (%w)", err)
	case errors.Is(err, agent.ErrPinMismatch):
		return fmt.Errorf("le serveur ne présente pas l'identité du hub mémorisée à l'inscription : connexion refusée par sécurité (%w)", err)
	case errors.Is(err, agent.ErrFingerprintMismatch), errors.Is(err, agent.ErrHubIntercepted):
		return fmt.Errorf("inscription refusée par sécurité : %w", err)
	case errors.Is(err, agent.ErrUntrustedHub):
		return fmt.Errorf("certificat du hub non reconnu : indiquez --fingerprint (affichée par vigie-hub serve) ou --ca (%w)", err)
	}
	return err
}
