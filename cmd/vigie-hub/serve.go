package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks/catalogue"
	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

// serveOpts are serve's options (newServe also gives the configuration
// file the keys it accepts).
type serveOpts struct {
	c                                 *command
	listen, certFile, keyFile         *string
	dataDir, public, advURL, proxy    *string
	advEvery                          *time.Duration
	silent, minAgg, perHour, alertCap *int
	hookCap                           *int
	pwChecks, enrollPerMin, retention *int
	incidentDays                      *int
	sans                              *stringList
	fed                               fedOpts
}

func newServe() *serveOpts {
	c := newCommand("serve [--listen :8443] [--db ...] [--cert FICHIER --key FICHIER] [--config FICHIER] [options]",
		"Lance le hub : l'API des agents (enrôlement, réception des bilans signés) et l'interface web des\n"+
			"conseillers, en HTTPS sur la même adresse. Crée la base SQLite ou met à jour le schéma au démarrage.\n"+
			"Sans --cert, un certificat autosigné est créé dans le dossier des données ; son empreinte, à donner aux\n"+
			"agents (--fingerprint), est affichée au démarrage. Les alertes (courriel par [smtp], webhooks par\n"+
			"[[webhook]] du fichier de configuration) partent d'ici. Journal sur la sortie d'erreur ; arrêt par SIGTERM ou Ctrl-C.")
	o := &serveOpts{c: c, sans: &stringList{}}
	o.listen = c.fs.String("listen", ":8443", "`ADRESSE` d'écoute HTTPS, hôte:port (\":8443\" : tous les hôtes, port 8443)")
	o.certFile = c.fs.String("cert", "", "certificat TLS (`FICHIER` PEM, avec sa chaîne) ; sans lui, un certificat autosigné est créé dans --data-dir")
	o.keyFile = c.fs.String("key", "", "clé privée TLS (`FICHIER` PEM) du certificat --cert")
	o.dataDir = c.fs.String("data-dir", "", "`DOSSIER` des données (certificat autosigné) (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	o.silent = c.fs.Int("silent-days", 30, "une entité sans bilan depuis plus de `N` jours est signalée silencieuse")
	o.minAgg = c.fs.Int("min-aggregate", 5, "une statistique régionale (répartition, vérifications en échec) n'est affichée que sur `N` entités au moins, pour ne désigner personne")
	o.perHour = c.fs.Int("uploads-per-hour", 60, "bilans acceptés par agent et par heure (`N`) ; au-delà, réponse 429 et l'agent réessaie plus tard")
	o.pwChecks = c.fs.Int("max-password-checks", 4, "vérifications de mot de passe (argon2id, 64 Mio chacune) menées en même temps (`N`) ; au-delà, une connexion attend 5 s puis reçoit 503")
	o.enrollPerMin = c.fs.Int("enroll-per-minute", 60, "tentatives d'enrôlement acceptées par adresse et par minute (`N`) : un parc derrière un NAT s'enrôle d'un coup")
	o.public = c.fs.String("public-url", "", "adresse publique du hub pour les agents (`URL` https://hub.region.example) : dans la commande d'installation donnée avec chaque jeton ; sans elle, déduite de --listen et --san, avec un avertissement")
	o.advEvery = c.fs.Duration("advisories-every", 0, "télécharge les avis du CERT-FR à cet `INTERVALLE` (1h…) ; 0 : jamais (défaut : beaucoup de hubs n'ont pas accès à Internet et importent des fichiers)")
	o.advURL = c.fs.String("advisories-url", app.DefaultCERTFR, "`URL` de l'API du CERT-FR pour --advisories-every")
	o.proxy = c.fs.String("proxy", "", "mandataire HTTP(S) (`URL`) par lequel le hub sort vers Internet (défaut : HTTPS_PROXY)")
	o.retention = c.fs.Int("retention", app.DefaultRetentionMonths, "les bilans sont gardés `N` mois (le dernier de chaque poste toujours), puis supprimés avec les inventaires logiciels qu'aucun bilan ne nomme plus ; vérifié chaque jour")
	o.incidentDays = c.fs.Int("incident-retention", app.DefaultIncidentRetentionDays, "les incidents déclarés (lots chiffrés, notes) sont gardés `N` jours après leur réception, puis supprimés (inscrit au journal d'audit) ; vérifié chaque jour")
	o.alertCap = c.fs.Int("alerts-per-hour", 20, "courriels d'alerte immédiats par conseiller et par heure (`N`) ; au-delà, ils sont regroupés en un récapitulatif")
	o.hookCap = c.fs.Int("webhook-alerts-per-hour", 100, "livraisons immédiates par webhook et par heure (`N`) ; au-delà, les événements partent regroupés en un seul récapitulatif (type « digest »)")
	o.fed = addFederateFlags(c)
	c.fs.Var(o.sans, "san", "`NOM` DNS ou adresse IP ajouté au certificat autosigné, à la création seulement (option répétable)")
	return o
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := newServe()
	c := o.c
	db := c.db
	listen, certFile, keyFile, dataDir, silent, minAgg, perHour := o.listen, o.certFile, o.keyFile, o.dataDir, o.silent, o.minAgg, o.perHour
	pwChecks, enrollPerMin, public := o.pwChecks, o.enrollPerMin, o.public
	retention := o.retention
	if err := c.parse(args); err != nil {
		return err
	}
	sans := *o.sans
	pubURL, derived, err := publicURL(*public, *listen, sans)
	if err != nil {
		return c.usageErr("%s", err)
	}
	if *enrollPerMin < 1 {
		return c.usageErr("--enroll-per-minute doit valoir au moins 1")
	}
	if *pwChecks < 1 {
		return c.usageErr("--max-password-checks doit valoir au moins 1")
	}
	if (*certFile == "") != (*keyFile == "") {
		return c.usageErr("--cert et --key vont ensemble")
	}
	if *silent < 1 || *minAgg < 1 || *perHour < 1 || *o.alertCap < 1 || *o.hookCap < 1 {
		return c.usageErr("--silent-days, --min-aggregate, --uploads-per-hour, --alerts-per-hour et --webhook-alerts-per-hour doivent valoir 1 ou plus")
	}
	if *o.advEvery < 0 || (*o.advEvery > 0 && *o.advEvery < time.Minute) {
		return c.usageErr("--advisories-every : 0 (jamais) ou une minute au moins")
	}
	client, err := httpClient(*o.proxy, "")
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	if err := o.fed.check(c); err != nil {
		return err
	}
	if *retention < 1 || *retention > 1200 {
		return c.usageErr("--retention : un nombre de mois entre 1 et 1200")
	}
	if *o.incidentDays < 1 || *o.incidentDays > 3650 {
		return c.usageErr("--incident-retention : un nombre de jours entre 1 et 3650")
	}
	if *dataDir == "" {
		*dataDir = defaultDataDir(*db)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	configuredURL := pubURL // the tokens page takes a derived address from the request instead
	if derived {
		configuredURL = ""
		log.Warn("--public-url absent : l'adresse donnée aux agents est déduite de --listen et --san ; indiquez l'adresse publique du hub (--public-url https://hub.region.example)",
			"public_url", pubURL)
	}

	var cert tls.Certificate
	if *certFile != "" {
		cert, err = tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("lecture du certificat %s : %w", *certFile, err)
		}
	} else {
		var created bool
		cert, created, err = selfSigned(*dataDir, sans)
		if err != nil {
			return fmt.Errorf("certificat autosigné dans %s : %w", *dataDir, err)
		}
		if created {
			fmt.Fprintf(stdout, "Certificat autosigné créé : %s\n", filepath.Join(*dataDir, "hub.crt"))
		}
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return fmt.Errorf("certificat illisible : %w", err)
	}
	spki := SPKI(leaf)
	fmt.Fprintf(stdout, "Empreinte SPKI SHA-256 du hub (à épingler par les agents) :\n    %s\n    %s\n", spki, app.InstallCommand(pubURL, "<JETON>", spki))

	keys, created, err := loadHubKeys(*dataDir, true)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "Clés du hub créées dans %s (à sauvegarder : vigie-hub backup les copie).\n", *dataDir)
	}

	st, err := createStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	guidance, err := catalogue.Load()
	if err != nil {
		return fmt.Errorf("catalogue de conseils : %w", err)
	}
	// Alerts: the engine reads what ingestion stored, beside it, and
	// delivers from its outbox (hub/alert).
	var smtp *alert.SMTPConfig
	var hooks []alert.WebhookConfig
	if c.file != nil {
		smtp, hooks = c.file.SMTP, c.file.Hook
	}
	engine, err := alert.New(alert.Config{Store: st, PublicURL: pubURL, SMTP: smtp, Webhooks: hooks,
		SilentDays: *silent, CapPerHour: *o.alertCap, WebhookCapPerHour: *o.hookCap, Logger: log})
	if err != nil {
		return err
	}
	if smtp == nil {
		log.Warn("alertes : aucun serveur de messagerie ([smtp] du fichier de configuration) : pas de courriel")
	}
	actx, acancel := context.WithCancel(context.Background())
	alertsDone := make(chan struct{})
	go func() { engine.Run(actx); close(alertsDone) }()
	defer func() { acancel(); <-alertsDone }()
	go watchCertificate(actx, engine, leaf)
	// The advisories matcher, rebuilt from the store while the hub already
	// serves (runAdvisories): a large region takes a minute or more. Its
	// new certain exposures reach the alerts through the feed, which
	// reports each entity's whole list (alert.ExposureSink's contract).
	hubApp := app.New(app.Config{Store: st, Logger: log})
	feed := hubApp.NewExposureFeed(engine)
	matcher, err := hubApp.NewAdvisories(app.AdvisoryConfig{OnExposures: feed.Changed})
	if err != nil {
		return err
	}
	incidents, err := app.NewIncidents(app.IncidentConfig{Store: st, Dir: filepath.Join(*dataDir, app.IncidentDir), Keys: keys, Alerts: engine, Logger: log})
	if err != nil {
		return err
	}
	ui, err := web.New(web.Config{Incidents: incidents, Store: st, Guidance: guidance, Version: Version, Logger: log, SilentDays: *silent, MinAggregate: *minAgg,
		MaxPasswordChecks: *pwChecks, PublicURL: configuredURL, SPKI: spki, Alerts: engine, AlertsPerHour: *o.alertCap, Advisories: matcher})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	counted := &tally{Store: st}
	if *o.fed.national {
		registerNational(mux, st, ui, log)
	} else {
		api.New(api.Config{Store: counted, SPKI: spki, Version: Version, Logger: log, UploadsPerHour: *perHour, EnrollsPerMinute: *enrollPerMin,
			Stored: matcher.HostChanged, HubKeys: keys.Public(), Incidents: incidents}).Register(mux)
		ui.Register(mux)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("écoute sur %s : %w", *listen, err)
	}
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// SIGTERM is handled before the hub says it listens: a service manager
	// (or a script) that stops it as soon as it is announced gets the
	// orderly shutdown, not the default action of the signal.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "Hub à l'écoute sur https://%s\n", ln.Addr())
	log.Info("hub démarré", "adresse", ln.Addr().String(), "version", Version, "base", redact(*db))
	rctx, rcancel := context.WithCancel(context.Background())
	reported := make(chan struct{})
	go func() { counted.report(rctx, log); close(reported) }()
	go runAdvisories(rctx, matcher, feed, log, *o.advEvery, app.FetchConfig{BaseURL: *o.advURL, Client: client})
	// The last summary is written after the server stopped, so that it
	// counts every scorecard stored.
	defer func() { rcancel(); <-reported; log.Info("hub arrêté") }()
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	// Retention runs beside the uploads: its deletions go by chunks, so an
	// upload waits for one short transaction at most.
	go app.New(app.Config{Store: st, Logger: log}).RunRetention(ctx, *retention, 24*time.Hour)
	if *o.fed.to != "" {
		go runFederation(ctx, newPusher(st, keys, *o.fed.to, *o.fed.fingerprint, *o.fed.region, *minAgg, matcher, log), *o.fed.every, log)
	}
	go incidents.RunRetention(ctx, *o.incidentDays, 24*time.Hour)
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("serveur arrêté sur une erreur", "err", err)
			return fmt.Errorf("serveur : %w", err)
		}
	case <-ctx.Done():
		log.Info("arrêt demandé : fin des requêtes en cours (20 s au plus)")
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("arrêt : requêtes interrompues", "err", err)
		}
	}
	return nil
}

// publicURL is the address agents use: --public-url when given (https, a
// host, nothing after it but "/"), else derived (derived true) from the
// first --san or the machine's name, and --listen's port.
func publicURL(flagValue, listen string, sans []string) (u string, derived bool, err error) {
	if flagValue != "" {
		p, err := url.Parse(flagValue)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil || (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" {
			return "", false, fmt.Errorf("--public-url %q : attendu https://nom-du-hub[:port], sans chemin", flagValue)
		}
		return "https://" + p.Host, false, nil
	}
	host := ""
	if len(sans) > 0 {
		host = sans[0]
	} else if h, err := os.Hostname(); err == nil && h != "" {
		host = h
	} else {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address
	}
	return "https://" + host + portOf(listen), true, nil
}

func portOf(listen string) string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "443" {
		return ""
	}
	return ":" + port
}

// SPKI is the hex SHA-256 of a certificate's SubjectPublicKeyInfo: what
// agents pin. It survives a renewal that keeps the key.
func SPKI(c *x509.Certificate) string { return protocol.SPKISHA256(c) }

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// selfSigned loads hub.crt/hub.key from dir or creates them: ECDSA P-256,
// valid ten years (agents pin its key, not a CA), for the host name,
// localhost and the loopback addresses plus extra SANs.
func selfSigned(dir string, extra []string) (tls.Certificate, bool, error) {
	crt, key := filepath.Join(dir, "hub.crt"), filepath.Join(dir, "hub.key")
	if c, err := tls.LoadX509KeyPair(crt, key); err == nil {
		return c, false, nil
	} else if _, statErr := os.Stat(crt); statErr == nil {
		return tls.Certificate{}, false, fmt.Errorf("%s existe mais est illisible : %w", crt, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, false, err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	host, _ := os.Hostname()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "vigie-hub " + host, Organization: []string{"Vigie"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	for _, s := range extra {
		if ip := net.ParseIP(s); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, s)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := keystore.WriteFileAtomic(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		return tls.Certificate{}, false, err
	}
	if err := keystore.WriteFileAtomic(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, false, err
	}
	c, err := tls.LoadX509KeyPair(crt, key)
	return c, true, err
}

// watchCertificate raises hub-trouble, daily, while the hub's certificate
// expires in less than 30 days.
func watchCertificate(ctx context.Context, e *alert.Engine, leaf *x509.Certificate) {
	for {
		if left := time.Until(leaf.NotAfter); left < 30*24*time.Hour {
			e.Trouble(ctx, "certificate", fmt.Sprintf("Le certificat du hub expire le %s (dans %s) : renouvelez-le, sinon les agents ne pourront plus envoyer leurs bilans.",
				leaf.NotAfter.Format("02/01/2006"), app.DurationWords(left, "fr")))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

// advisoriesRefresh is how often serve looks for advisories the command
// line imported (shorter in tests).
var advisoriesRefresh = time.Minute

// runAdvisories matches, every minute, the advisories the command line
// imported beside the running hub, and fetches CERT-FR's every `every`
// (0: never); it starts the exposure feed to the alerts once loaded.
//
// It first rebuilds the matcher; the scorecards stored meanwhile wait in
// the matcher's queue and are matched once it is done.
func runAdvisories(ctx context.Context, m *app.Advisories, feed *app.ExposureFeed, log *slog.Logger, every time.Duration, cfg app.FetchConfig) {
	loaded, err := m.LoadAdvisories(ctx)
	if err != nil {
		log.Error("avis du CERT-FR : reconstruction impossible, rapprochement arrêté", "err", err)
		return
	}
	log.Info("avis du CERT-FR rapprochés", "avis", loaded.Advisories, "postes", loaded.Hosts, "expositions", loaded.Exposures,
		"illisibles", loaded.Unreadable, "durée", loaded.Duration.Round(time.Millisecond).String())
	go m.RunMatcher(ctx)
	// Only now: an empty matcher would tell the alerts every exposure is
	// gone. The feed looks again at every entity as often as serve looks
	// for imported advisories (exposures that went away say "fixed").
	go feed.Run(ctx, m, advisoriesRefresh)
	refresh := time.NewTicker(advisoriesRefresh)
	defer refresh.Stop()
	var fetch <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		fetch = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
			if n, err := m.Refresh(ctx); err != nil {
				log.Warn("avis du CERT-FR : relecture", "err", err)
			} else if n > 0 {
				log.Info("avis du CERT-FR importés rapprochés", "avis", n)
			}
		case <-fetch:
			res, err := m.Fetch(ctx, cfg, "serve", nil)
			if err != nil {
				log.Warn("avis du CERT-FR : téléchargement", "err", err)
				continue
			}
			log.Info("avis du CERT-FR téléchargés", "ajoutés", res.Added, "remplacés", res.Replaced, "illisibles", len(res.Errors),
				"nouvelles expositions", res.NewExposures)
		}
	}
}
