package web

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strings"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// CERT-FR advisories in the adviser's UI (issue 16): the « Avis CERT-FR »
// page (latest advisories, exposed ones first, with the entities and hosts
// they expose, by sector), one advisory's page (who, installed against
// fixed version, confidence, CERT-FR's link and solution, a CSV to send),
// « Qui utilise… ? » (the region's inventories by product and version
// range), and the advisories listed on the entity and host pages.

var advWords = map[string][2]string{
	"advisories":     {"Avis CERT-FR", "CERT-FR advisories"},
	"advintro":       {"Avis et alertes du CERT-FR rapprochés des inventaires des postes : ceux qui exposent des postes d'abord. « certain » : produit, plateforme et version comparés ; « probable » : produit reconnu, version non comparable.", "CERT-FR advisories and alerts matched against the hosts' inventories, those exposing hosts first. « certain »: product, platform and version compared; « probable »: product recognised, version not comparable."},
	"advnone":        {"Aucun avis : importez-en avec « vigie-hub advisories import » ou « fetch ».", "No advisory: import some with « vigie-hub advisories import » or « fetch »."},
	"advoff":         {"Le rapprochement des avis n'est pas chargé sur ce hub.", "Advisory matching is not loaded on this hub."},
	"reference":      {"Référence", "Reference"},
	"advtitle":       {"Titre", "Title"},
	"revised":        {"Révisé le", "Revised"},
	"exposedents":    {"Entités exposées", "Exposed entities"},
	"exposedhosts":   {"Postes exposés", "Exposed hosts"},
	"product":        {"Produit", "Product"},
	"installed":      {"Version installée", "Installed version"},
	"fixed":          {"Version corrigée", "Fixed version"},
	"confidence":     {"Confiance", "Confidence"},
	"affectedtext":   {"Texte de l'avis", "Advisory text"},
	"solution":       {"Solution", "Solution"},
	"certfrlink":     {"L'avis sur le site du CERT-FR", "The advisory on CERT-FR's site"},
	"exposedwho":     {"Qui est exposé ?", "Who is exposed?"},
	"noexposure":     {"Aucun poste de la région n'est exposé à cet avis.", "No host of the region is exposed to this advisory."},
	"csvsend":        {"Télécharger la liste (CSV, à envoyer)", "Download the list (CSV, to send)"},
	"reviewlist":     {"Lignes non comprises (à examiner)", "Entries not understood (to review)"},
	"reason":         {"Raison", "Reason"},
	"releases":       {"Versions de distribution nommées (information, sans exposition)", "Distribution releases named (information, no exposure)"},
	"releasehosts":   {"%d poste(s) sur cette version", "%d host(s) on this release"},
	"notmatched":     {"Avis révisé il y a plus de deux ans : conservé, non rapproché.", "Advisory revised more than two years ago: kept, not matched."},
	"whouses":        {"Qui utilise… ?", "Who uses…?"},
	"whousesintro":   {"Cherche dans les inventaires de la région un logiciel par son nom (en partie, majuscules indifférentes) et, au besoin, un intervalle de versions.", "Searches the region's inventories for a program by name (part of it, any case) and, optionally, a version range."},
	"versionfrom":    {"Version à partir de", "Version from"},
	"versionto":      {"jusqu'à", "up to"},
	"search":         {"Chercher", "Search"},
	"nouse":          {"Aucun poste ne correspond.", "No host matches."},
	"hostadvisories": {"Avis CERT-FR qui le concernent", "CERT-FR advisories affecting it"},
	"noadvisory":     {"Aucun avis CERT-FR connu ne le concerne.", "No known CERT-FR advisory affects it."},
	"kind":           {"Type", "Kind"},
}

func init() {
	for k, v := range advWords {
		words[k] = v
	}
}

type advListData struct {
	Off     bool
	Sector  string
	Sectors []protocol.Sector
	List    []app.AdvisorySummary
}

// maxListed bounds the advisories the list shows that expose nobody.
const maxListed = 100

func (s *Server) advisoriesPage(q *req) {
	d := advListData{Sectors: protocol.Sectors, Sector: q.R.URL.Query().Get("sector")}
	if d.Sector != "" {
		if _, err := protocol.ParseSector(d.Sector); err != nil {
			d.Sector = ""
		}
	}
	if s.cfg.Advisories == nil {
		d.Off = true
		s.render(q, http.StatusOK, "advisories", q.L.T("advisories"), d)
		return
	}
	list, err := s.cfg.Advisories.Summaries(q.R.Context(), false, d.Sector)
	if err != nil {
		s.fail(q, err)
		return
	}
	quiet := 0
	for _, a := range list {
		if a.ExposedHosts == 0 {
			if quiet++; quiet > maxListed {
				continue
			}
		}
		d.List = append(d.List, a)
	}
	s.render(q, http.StatusOK, "advisories", q.L.T("advisories"), d)
}

func (s *Server) advisoryPage(q *req) {
	if s.cfg.Advisories == nil {
		s.message(q, http.StatusNotFound, q.L.T("advoff"))
		return
	}
	d, err := s.cfg.Advisories.Detail(q.R.Context(), q.R.PathValue("ref"))
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	s.render(q, http.StatusOK, "advisory", d.Summary.Reference, d)
}

// advisoryCSV is the advisory's exposures as a CSV to send to the
// entities (the command line's columns; formulas defused).
func (s *Server) advisoryCSV(q *req) {
	if s.cfg.Advisories == nil {
		s.message(q, http.StatusNotFound, q.L.T("advoff"))
		return
	}
	ref := q.R.PathValue("ref")
	d, err := s.cfg.Advisories.Detail(q.R.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	if err != nil {
		s.fail(q, err)
		return
	}
	s.app.Record(q.R.Context(), q.User.Email, "export", "advisory "+ref, "csv")
	q.W.Header().Set("Content-Type", "text/csv; charset=utf-8")
	q.W.Header().Set("Content-Disposition", `attachment; filename="`+ref+`.csv"`)
	w := csv.NewWriter(q.W)
	w.Write([]string{"advisory", "title", "entity", "sector", "agent_id", "hostname", "product", "installed_version", "fixed_version", "affected", "confidence"})
	for _, x := range d.Exposures {
		row := []string{x.Advisory, x.Title, x.Entity, x.Sector, x.AgentID, x.Hostname, x.Product, x.InstalledVersion, x.FixedVersion, x.Affected, x.Confidence}
		for i := range row {
			row[i] = app.CSVSafe(row[i])
		}
		w.Write(row)
	}
	w.Flush()
}

type whoUsesData struct {
	Off               bool
	Product, From, To string
	Searched          bool
	Uses              []app.AdvisoryExposure
}

// maxQuery bounds the search's fields.
const maxQuery = 200

func (s *Server) whoUsesPage(q *req) {
	v := q.R.URL.Query()
	clip := func(k string) string { return protocol.Clip(strings.TrimSpace(v.Get(k)), maxQuery) }
	d := whoUsesData{Off: s.cfg.Advisories == nil, Product: clip("product"), From: clip("from"), To: clip("to")}
	if !d.Off && d.Product != "" {
		d.Searched = true
		d.Uses = s.cfg.Advisories.WhoUses(d.Product, d.From, d.To)
	}
	s.render(q, http.StatusOK, "whouses", q.L.T("whouses"), d)
}

// exposuresOf lists the advisories affecting an entity or a host (nil when
// matching is off).
func (s *Server) exposuresOf(f app.ExposureFilter) []app.AdvisoryExposure {
	if s.cfg.Advisories == nil {
		return nil
	}
	return s.cfg.Advisories.Exposures(f)
}
