package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/national"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
)

// Federation: a regional hub pushing its aggregates to the national hub
// (vigie-hub federate, serve --federate-to), and serve --national.

// fedOpts are serve's federation options.
type fedOpts struct {
	to, fingerprint, region *string
	every                   *time.Duration
	national                *bool
}

func addFederateFlags(c *command) fedOpts {
	return fedOpts{
		to:          c.fs.String("federate-to", "", "`URL` du hub national (https://…) auquel envoyer chaque jour l'agrégat régional signé ; sans elle, aucun envoi"),
		fingerprint: c.fs.String("federate-fingerprint", "", "`EMPREINTE` SPKI SHA-256 du certificat du hub national (64 chiffres hexadécimaux), épinglée"),
		region:      c.fs.String("federate-region", "", "`NOM` de la région, tel que le hub national l'a enregistré (vigie-hub region add)"),
		every:       c.fs.Duration("federate-every", 24*time.Hour, "`INTERVALLE` entre deux envois au hub national (une heure au moins)"),
		national:    c.fs.Bool("national", false, "hub national : reçoit les agrégats des régions enregistrées et affiche la vue nationale, sans API des agents ni pages régionales"),
	}
}

// checkFederation checks the federation target's options (to, fingerprint,
// region), shared by federate and serve.
func checkFederation(c *command, to, fp, region, prefix string) error {
	u, err := url.Parse(to)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return c.usageErr("--%s %q : attendu https://hub-national[:port]", prefix+"to", to)
	}
	if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
		return c.usageErr("--%sfingerprint : l'empreinte SPKI SHA-256 du hub national, 64 chiffres hexadécimaux (affichée au démarrage de son serve)", prefix)
	}
	if !federation.ValidRegion(region) {
		return c.usageErr("--%sregion : le nom de la région enregistré sur le hub national (lettres, chiffres, espaces, . _ ' -)", prefix)
	}
	return nil
}

func (f fedOpts) check(c *command) error {
	if *f.national && *f.to != "" {
		return c.usageErr("--national et --federate-to s'excluent : un hub national ne se fédère pas")
	}
	if *f.to == "" {
		if *f.fingerprint != "" || *f.region != "" {
			return c.usageErr("--federate-fingerprint et --federate-region vont avec --federate-to")
		}
		return nil
	}
	if *f.every < time.Hour {
		return c.usageErr("--federate-every : une heure au moins")
	}
	return checkFederation(c, *f.to, strings.ToLower(*f.fingerprint), *f.region, "federate-")
}

func newPusher(st store.Store, keys *hubkeys.Keys, to, fp, region string, minAgg int, m *app.Advisories, log *slog.Logger) *federation.Pusher {
	p := &federation.Pusher{Store: st, Keys: keys, Region: region, URL: strings.TrimSuffix(to, "/"), Client: federation.PinnedClient(strings.ToLower(fp)),
		MinEntities: minAgg, Log: log}
	if m != nil {
		p.Exposures = func() []federation.Exposure { return federation.ExposuresOf(m.Exposures(app.ExposureFilter{})) }
	}
	return p
}

// runFederation pushes now, then every f.every, while ctx lasts. A failed
// push is logged and retried at the next turn, which catches up.
func runFederation(ctx context.Context, p *federation.Pusher, every time.Duration, log *slog.Logger) {
	for {
		if sent, err := p.Run(ctx); err != nil {
			log.Warn("fédération : envoi au hub national", "err", err, "envoyés", len(sent))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// registerNational serves the national hub: the aggregates' receiver and
// the national pages, nothing of a regional hub's.
func registerNational(mux *http.ServeMux, st store.Store, ui *web.Server, log *slog.Logger) {
	(&national.Receiver{Store: st, Log: log}).Register(mux)
	ui.RegisterNational(mux)
}

func federate(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("federate --to URL --fingerprint EMPREINTE --region NOM [--db ...] [--data-dir DOSSIER] [--catch-up-days N]",
		"Envoie au hub national l'agrégat signé de la région (répartitions par secteur et tranche de taille, sans nom\n"+
			"d'entité ni de poste, effectifs de moins de 5 entités retenus) : le jour en cours, et chaque jour passé de la\n"+
			"période de rattrapage pas encore envoyé complet (calculé depuis l'historique des bilans). Idempotent par jour.")
	to := c.fs.String("to", "", "`URL` du hub national (https://…)")
	fp := c.fs.String("fingerprint", "", "`EMPREINTE` SPKI SHA-256 du certificat du hub national (64 chiffres hexadécimaux), épinglée")
	region := c.fs.String("region", "", "`NOM` de la région, tel que le hub national l'a enregistré")
	dataDir := c.fs.String("data-dir", "", "`DOSSIER` des données du hub, où est sa clé de signature (défaut : celui de la base SQLite, ou /var/lib/vigie-hub)")
	catchUp := c.fs.Int("catch-up-days", federation.DefaultCatchUp, "jours passés (`N`) rattrapés s'ils n'ont pas été envoyés complets")
	minAgg := c.fs.Int("min-aggregate", federation.MinEntities, "seuil de retenue (`N` entités, 5 au moins)")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("argument inattendu %q", c.fs.Arg(0))
	}
	if err := checkFederation(c, *to, strings.ToLower(*fp), *region, ""); err != nil {
		return err
	}
	if *catchUp < 0 || *catchUp > 400 {
		return c.usageErr("--catch-up-days : entre 0 et 400")
	}
	if *minAgg < federation.MinEntities {
		return c.usageErr("--min-aggregate : %d au moins", federation.MinEntities)
	}
	keys, st, err := openWithKeys(ctx, c, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := app.New(app.Config{Store: st, Logger: log}).NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		return err
	}
	if _, err := m.LoadAdvisories(ctx); err != nil {
		return fmt.Errorf("avis du CERT-FR : %w", err)
	}
	p := newPusher(st, keys, *to, *fp, *region, *minAgg, m, nil)
	p.CatchUp = *catchUp
	if *catchUp == 0 {
		p.CatchUp = -1 // none: only today
	}
	sent, err := p.Run(ctx)
	for _, s := range sent {
		what := "jour en cours"
		if s.Complete {
			what = "jour complet"
		}
		fmt.Fprintf(stdout, "%s (%s) : %s\n", s.Day, what, replyWords(s.Reply.Status))
	}
	if err != nil {
		return err
	}
	st.Audit(ctx, store.AuditEntry{At: time.Now(), Actor: "cli", Action: "federate", Target: *to, Detail: fmt.Sprintf("%d jour(s) envoyé(s)", len(sent))})
	if len(sent) == 0 {
		fmt.Fprintln(stdout, "Rien à envoyer : aucun poste enrôlé.")
	}
	return nil
}

func replyWords(status string) string {
	switch status {
	case "new":
		return "reçu"
	case "replaced":
		return "reçu, remplace l'envoi précédent du même jour"
	case "duplicate":
		return "déjà reçu à l'identique"
	case "stale":
		return "le hub national a déjà un agrégat plus récent de ce jour"
	}
	return status
}
