package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/vigie-cyber/vigie/hub/app"
)

// The region's Active Directory page (/ad): each entity's AD level and,
// per failing ad.* control point, the entities where it fails ("which
// entities still have GPP passwords"). Entities are named, as on the heat
// map: the page is for the advisers who follow them, and a control point
// failing is what they call about. The AD level also shows on the overview
// and the entity page.

// adWords are this page's words, merged into the UI's vocabulary.
var adWords = map[string][2]string{
	"ad":          {"Active Directory", "Active Directory"},
	"adlevel":     {"Niveau AD", "AD level"},
	"adintro":     {"Niveau de l'annuaire Active Directory de chaque entité selon les points de contrôle de l'ANSSI (1 à 5 : un niveau n'est atteint que si tous les points des niveaux inférieurs sont satisfaits), d'après le bilan le plus récent d'un contrôleur de domaine ou d'un poste qui lit l'annuaire.", "Each entity's Active Directory level by ANSSI's control points (1 to 5: a level is reached only when every point of the lower levels is met), from the most recent scorecard of a domain controller or of a host that reads the directory."},
	"adnone":      {"Aucune entité ne remonte de résultat Active Directory.", "No entity reports Active Directory results."},
	"adfailing":   {"Points de contrôle en échec, entité par entité", "Failing control points, entity by entity"},
	"adnofail":    {"Aucun point de contrôle Active Directory en échec.", "No failing Active Directory control point."},
	"adof":        {"niveau %d sur 5", "level %d of 5"},
	"adunknown":   {"niveau non établi (annuaire illisible)", "level not established (directory unreadable)"},
	"adfrom":      {"d'après %s, bilan du %s", "from %s, scan of %s"},
	"adblocking":  {"Pour atteindre le niveau suivant, corriger :", "To reach the next level, fix:"},
	"adentities":  {"Niveau par entité", "Level per entity"},
	"adfailedcol": {"Points en échec", "Failing points"},
}

func init() {
	for k, v := range adWords {
		words[k] = v
	}
	// adclass colours AD level 1-5 as the maturity level of the same rank
	// (lv0 worst .. lv4 best); 0 (no level) has no colour.
	funcs["adclass"] = func(level int) string {
		if level < 1 || level > 5 {
			return ""
		}
		return "lv" + strconv.Itoa(level-1)
	}
}

type adCheckView struct {
	app.ADCheckRow
	Title string
}

type adData struct {
	app.ADRegion
	Checks []adCheckView // Region.Checks with their titles, in guidance order
}

func (s *Server) adPage(q *req) {
	sector := q.R.URL.Query().Get("sector")
	r, err := s.app.ADOverview(q.R.Context(), sector)
	if err != nil {
		s.fail(q, err)
		return
	}
	d := adData{ADRegion: r}
	for _, c := range r.Checks {
		d.Checks = append(d.Checks, adCheckView{ADCheckRow: c, Title: s.title(c.ID, q.L.Lang)})
	}
	// The guidance's order (GPP passwords and roastable admins first), then
	// the app's (most entities first); a check this hub has no guidance
	// for comes last.
	rank := func(id string) int {
		if g, ok := s.cfg.Guidance[id]; ok {
			return g.Rank
		}
		return 1 << 30
	}
	slices.SortStableFunc(d.Checks, func(x, y adCheckView) int { return cmp.Compare(rank(x.ID), rank(y.ID)) })
	s.render(q, http.StatusOK, "ad", q.L.T("ad"), d)
}
