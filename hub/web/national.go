package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/national"
)

// The national hub's pages (serve --national, issue 22): the national
// overview at /, with the accounts and audit pages. The regional pages
// (entities, hosts, tokens, agents, exports, alerts) are not served: the
// national hub holds no entity.

// RegisterNational adds the national hub's routes to mux instead of
// Register's.
func (s *Server) RegisterNational(mux *http.ServeMux) {
	s.national = true
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.staticHandler()))
	mux.HandleFunc("GET /login", s.wrap(s.loginPage, false))
	mux.HandleFunc("POST /login", s.wrap(s.loginPost, false))
	mux.HandleFunc("POST /logout", s.wrap(s.logout, false))
	mux.HandleFunc("GET /{$}", s.authed(s.nationalPage, false))
	mux.HandleFunc("GET /audit", s.authed(s.audit, true))
	mux.HandleFunc("GET /admin/users", s.authed(s.users, true))
	mux.HandleFunc("POST /admin/users", s.authed(s.userAdd, true))
	mux.HandleFunc("POST /admin/users/{id}/disabled", s.authed(s.userDisable, true))
}

type nationalData struct {
	Ov national.Overview
	// Spark are the trend lines' points (SVG polyline), by region, and
	// the nation's.
	Spark    map[string]string
	National string
}

func (s *Server) nationalPage(q *req) {
	ov, err := national.Build(q.R.Context(), s.cfg.Store, s.cfg.Now())
	if err != nil {
		s.fail(q, err)
		return
	}
	d := nationalData{Ov: ov, Spark: map[string]string{}, National: spark(ov.National, ov.Today)}
	for _, r := range ov.Regions {
		d.Spark[r.Name] = spark(r.Trend, ov.Today)
	}
	s.render(q, http.StatusOK, "national", q.L.T("nat.title"), d)
}

// spark is a trend as SVG polyline points over a 365 × 40 box: x the day
// (the last national.TrendDays days to today), y the mean level 0 to 4.
func spark(ps []national.Point, today string) string {
	var b strings.Builder
	end, err := federation.ParseDay(today)
	if err != nil {
		return ""
	}
	for _, p := range ps {
		d, err := federation.ParseDay(p.Day)
		if err != nil {
			continue
		}
		x := national.TrendDays - int(end.Sub(d).Hours()/24)
		fmt.Fprintf(&b, "%d,%.1f ", x, 40-p.Mean*10)
	}
	return strings.TrimSpace(b.String())
}

func init() {
	for k, v := range map[string][2]string{
		"nat.title":       {"Vue nationale", "National view"},
		"nat.regions":     {"Régions", "Regions"},
		"nat.region":      {"Région", "Region"},
		"nat.lastday":     {"Dernier jour reçu", "Last day received"},
		"nat.never":       {"aucun envoi", "nothing received"},
		"nat.silent":      {"silencieuse depuis %d jours", "silent for %d days"},
		"nat.revoked":     {"révoquée", "revoked"},
		"nat.entities":    {"Entités", "Entities"},
		"nat.mean":        {"Niveau moyen", "Mean level"},
		"nat.trend":       {"Tendance (365 jours, niveau moyen 0 à 4)", "Trend (365 days, mean level 0 to 4)"},
		"nat.grid":        {"Régions × secteurs (entités, niveau moyen)", "Regions × sectors (entities, mean level)"},
		"nat.withheld":    {"%d tranche(s) retenue(s) : moins de 5 entités", "%d band(s) withheld: fewer than 5 entities"},
		"nat.advisories":  {"Avis CERT-FR : entités exposées au niveau national", "CERT-FR advisories: exposed entities nationally"},
		"nat.advisory":    {"Avis", "Advisory"},
		"nat.hosts":       {"Postes", "Hosts"},
		"nat.advwithheld": {"Régions sous le seuil", "Regions under the threshold"},
		"nat.noadv":       {"Aucune exposition publiée par les régions.", "No exposure published by the regions."},
		"nat.noregion":    {"Aucune région enregistrée : vigie-hub region add NOM --key CLÉ.", "No region registered: vigie-hub region add NAME --key KEY."},
		"nat.national":    {"Niveau moyen national", "National mean level"},
		"nat.rule":        {"Chaque région ne publie que des effectifs d'au moins 5 entités ; les autres sont retenus et comptés à part.", "Each region publishes only counts of 5 entities or more; the others are withheld and counted apart."},
	} {
		if _, dup := words[k]; dup {
			panic("web: word " + k + " defined twice")
		}
		words[k] = v
	}
}
