package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/agent/incident"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// incidentHost is the observed host; tests replace it with a fake.
var incidentHost = livehost.New

// incidentNow is the clock of the declaration; tests fix it.
var incidentNow = time.Now

// runIncident is « vigie incident »: the advice first (no hub, network or
// configuration needed), then the CSIRT's questions, then the bounded
// triage collection into a bundle encrypted to the CSIRT.
func runIncident(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident", stdout)
	lang := fs.String("lang", "fr", "langue : fr ou en")
	nonInteractive := fs.Bool("non-interactive", false, "ne pose aucune question (usage scripté) : les réponses viennent des options")
	kind := fs.String("kind", "", "type d'incident : "+strings.Join(protocol.IncidentKinds, ", "))
	awareAt := fs.String("aware-at", "", "quand l'entité a eu connaissance de l'incident (ex. 2026-11-30T08:15:00+01:00)")
	contact := fs.String("contact", "", "qui le CSIRT doit rappeler (nom, téléphone)")
	summary := fs.String("summary", "", "l'incident en une phrase")
	affected := fs.String("affected", "", "ce qui est touché")
	seen := fs.String("seen", "", "ce qui a été vu")
	personal := fs.Bool("personal-data", false, "des données personnelles ont pu fuiter (violation à notifier à la CNIL sous 72 h)")
	recipient := fs.String("recipient", "", "clé publique age du CSIRT (age1…) à laquelle le lot est chiffré")
	noEncrypt := fs.Bool("no-encrypt", false, "écrit le lot sans chiffrement (déconseillé : il contient comptes, commandes et connexions)")
	offlineOut := fs.String("offline-out", "", "dossier où écrire le lot et son manifeste signé (poste isolé, clé USB)")
	stateDir := fs.String("state-dir", defaultStateDir(), "dossier d'état de l'agent (clé, dernier bilan)")
	noCollect := fs.Bool("no-collect", false, "affiche seulement les mesures et les questions, sans collecte")
	timeout := fs.Duration("timeout", incident.DefaultTimeout, "durée maximale de la collecte")
	maxSize := fs.Int64("max-size", incident.DefaultMaxBytes, "taille maximale des données collectées, en octets")
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
	if *kind != "" && !protocol.ValidIncidentKind(*kind) {
		return usagef("--kind doit valoir %s, pas %q", strings.Join(protocol.IncidentKinds, ", "), *kind)
	}
	if *recipient != "" && *noEncrypt {
		return usagef("--recipient et --no-encrypt s'excluent")
	}
	var rcpt age.Recipient
	if *recipient != "" {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(*recipient))
		if err != nil {
			return usagef("--recipient : clé age illisible (attendu age1… tel que dicté par le CSIRT) : %v", err)
		}
		rcpt = r
	}
	if rcpt == nil && !*noEncrypt {
		// Enrolled: the bundle goes to the regional hub's key, remembered
		// from enrolment (no network needed) or asked once of the hub.
		if r, text, ok := hubRecipient(*stateDir); ok {
			rcpt, *recipient = r, text
			fmt.Fprintf(stdout, "Le lot sera chiffré pour le hub régional (%s).\n", text)
		}
	}
	now := incidentNow()
	adv, err := incident.LoadAdvice()
	if err != nil {
		return err
	}
	var answers protocol.IncidentAnswers
	if *nonInteractive {
		if *kind == "" {
			return usagef("--non-interactive demande --kind")
		}
		answers = protocol.IncidentAnswers{Kind: *kind, Contact: *contact, Summary: *summary, Affected: *affected, Seen: *seen}
		if *awareAt != "" {
			t, err := incident.ParseAwareAt(*awareAt, time.Local)
			if err != nil {
				return usagef("--aware-at : %v", err)
			}
			answers.AwareAt = t
		}
		adv.PrintAdvice(stdout, answers.Kind, *lang)
	} else {
		in := bufio.NewReader(stdin)
		answers, err = incident.Ask(in, stdout, *lang, adv, *kind, now)
		if err != nil {
			fmt.Fprintln(stderr, err)
		}
		// Answers given as options win over skipped questions.
		fill(&answers.Contact, *contact)
		fill(&answers.Summary, *summary)
		fill(&answers.Affected, *affected)
		fill(&answers.Seen, *seen)
		if rcpt == nil && !*noEncrypt && !*noCollect {
			rcpt, *recipient = askRecipient(in, stdout, *lang)
		}
	}
	if *personal {
		yes := true
		answers.PersonalData = &yes
	}
	if *noCollect {
		return nil
	}
	en := *lang == "en"
	if rcpt == nil && !*noEncrypt {
		if en {
			fmt.Fprintln(stdout, "No bundle collected: ask the CSIRT for its age key and run again with --recipient age1… (or, as a last resort, --no-encrypt).")
		} else {
			fmt.Fprintln(stdout, "Aucun lot collecté : demandez au CSIRT sa clé age et relancez avec --recipient age1… (ou, en dernier recours, --no-encrypt).")
		}
		if *nonInteractive {
			return usagef("ni --recipient ni --no-encrypt : le lot n'est pas écrit en clair sans qu'on le demande")
		}
		return nil
	}
	if rcpt == nil {
		fmt.Fprintln(stderr, "ATTENTION : le lot sera écrit SANS chiffrement. Il contient des noms de comptes, des lignes de commande et des connexions : ne l'envoyez que par un canal sûr, effacez-le après remise au CSIRT.")
	}
	out := *offlineOut
	if out == "" {
		out = filepath.Join(*stateDir, "incidents")
	}
	h := incidentHost()
	opts := incident.Options{Timeout: *timeout, MaxBytes: *maxSize}
	if st, err := os.Stat(*stateDir); err == nil && st.IsDir() {
		opts.StateFS = os.DirFS(*stateDir)
	}
	if en {
		fmt.Fprintf(stdout, "Collecting the triage bundle (read-only, at most %s)…\n", *timeout)
	} else {
		fmt.Fprintf(stdout, "Collecte des constats (lecture seule, au plus %s)…\n", *timeout)
	}
	files, status := incident.Collect(context.Background(), h, incident.Collectors, opts)
	host, _ := os.Hostname()
	m := &protocol.IncidentManifest{Hostname: host, OS: runtime.GOOS, DeclaredAt: now.UTC(), Answers: answers, Collectors: status}
	var key ed25519.PrivateKey
	st, stErr := agent.LoadState(*stateDir)
	if stErr == nil && st.Enrolled() {
		k, err := keystore.LoadKey(filepath.Join(*stateDir, agent.KeyFile))
		if err != nil {
			fmt.Fprintf(stderr, "clé de l'agent illisible, manifeste non signé : %v\n", err)
		} else {
			key, m.AgentID = k, st.AgentID
		}
	}
	b, err := incident.Build(files, m, key, rcpt, *recipient)
	if err != nil {
		return fmt.Errorf("constitution du lot : %w", err)
	}
	ap, mp, err := b.WriteDir(out, incident.Stamp(now))
	if err != nil {
		return fmt.Errorf("écriture du lot dans %s : %w", out, err)
	}
	failed := 0
	for _, c := range status {
		if c.Status != "ok" {
			failed++
			fmt.Fprintf(stdout, "  - %s : %s (%s)\n", c.Name, c.Status, c.Error)
		}
	}
	if en {
		fmt.Fprintf(stdout, "Bundle: %s\nManifest: %s (signed: %t)\n%d of %d collectors succeeded.\n", ap, mp, b.Signed, len(status)-failed, len(status))
	} else {
		fmt.Fprintf(stdout, "Lot : %s\nManifeste : %s (signé : %t)\n%d collecteurs sur %d ont abouti.\n", ap, mp, b.Signed, len(status)-failed, len(status))
	}
	if *offlineOut != "" || stErr != nil || !st.Enrolled() {
		// Isolated host, or not enrolled: the files are handed over.
		if en {
			fmt.Fprintln(stdout, "Give both files to the CSIRT (USB key): it imports them into the regional hub.")
		} else {
			fmt.Fprintln(stdout, "Remettez les deux fichiers au CSIRT (clé USB) : il les importe dans le hub régional.")
		}
		return nil
	}
	return sendIncident(st, b, *recipient, ap, mp, out, en, stdout, stderr)
}

// sendIncident uploads the bundle to the enrolled hub when it is signed and
// encrypted to that hub; otherwise, or when the upload fails, it says
// where the bundle stays and how to hand it over. A failed upload is not
// an error of the command: the bundle is safe on disk.
func sendIncident(st *agent.State, b *incident.Bundle, recipient, ap, mp, dir string, en bool, stdout, stderr io.Writer) error {
	handOver := func(why string) {
		if en {
			fmt.Fprintf(stderr, "Not sent to the hub: %s.\nThe bundle stays in %s (%s and %s): give both files to the CSIRT (USB key) or run vigie incident again once the hub is reachable.\n",
				why, dir, filepath.Base(ap), filepath.Base(mp))
		} else {
			fmt.Fprintf(stderr, "Lot non envoyé au hub : %s.\nIl reste dans %s (%s et %s) : remettez les deux fichiers au CSIRT (clé USB), qui les importera dans le hub, ou relancez vigie incident quand le hub sera joignable.\n",
				why, dir, filepath.Base(ap), filepath.Base(mp))
		}
	}
	if !b.Signed {
		handOver("manifeste non signé (clé de l'agent illisible)")
		return nil
	}
	if recipient == "" || st.HubKeys.AgeRecipient != recipient {
		handOver("le lot n'est pas chiffré pour la clé du hub (--recipient ou --no-encrypt)")
		return nil
	}
	if en {
		fmt.Fprintf(stdout, "Sending the bundle to the regional hub %s…\n", st.HubURL)
	} else {
		fmt.Fprintf(stdout, "Envoi du lot au hub régional %s…\n", st.HubURL)
	}
	reply, err := uploadIncident(context.Background(), st, b.Manifest, ap)
	if err != nil {
		handOver(err.Error())
		return nil
	}
	if en {
		fmt.Fprintf(stdout, "The hub received incident #%d (%s). Quote this number when you call the CSIRT. A copy stays in %s.\n", reply.ID, reply.Entity, dir)
	} else {
		fmt.Fprintf(stdout, "Le hub a reçu l'incident n°%d (%s). Donnez ce numéro quand vous appelez le CSIRT. Une copie reste dans %s.\n", reply.ID, reply.Entity, dir)
	}
	return nil
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// askRecipient asks for the age key the CSIRT dictates; a blank line skips
// the collection, a bad key is asked again (three tries).
func askRecipient(in *bufio.Reader, out io.Writer, lang string) (age.Recipient, string) {
	for range 3 {
		if lang == "en" {
			fmt.Fprint(out, "The CSIRT's age key, as dictated (age1…) (Enter to skip the collection)\n> ")
		} else {
			fmt.Fprint(out, "Clé age du CSIRT, telle que dictée (age1…) (Entrée pour ne pas collecter)\n> ")
		}
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			return nil, ""
		}
		r, perr := age.ParseX25519Recipient(line)
		if perr == nil {
			return r, line
		}
		fmt.Fprintf(out, "clé illisible : %v\n", perr)
		if err != nil {
			return nil, ""
		}
	}
	return nil, ""
}

// hubRecipient is the enrolled hub's age recipient, or false when the host
// is not enrolled, the hub is unreachable (the isolated host of an
// incident) or publishes no key: the caller then asks for the CSIRT's key.
func hubRecipient(stateDir string) (age.Recipient, string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := agent.HubKeys(ctx, stateDir, "")
	if err != nil {
		return nil, "", false
	}
	_, r, err := keys.Parse()
	if err != nil {
		return nil, "", false
	}
	return r, keys.AgeRecipient, true
}
