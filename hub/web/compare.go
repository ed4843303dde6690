package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// An entity compared with its peers (issue 22): the entity page's section
// and the overview's per-sector distributions, drawn as box plots in
// inline SVG (attributes only: the CSP forbids inline styles) with every
// figure also in the table's text.

// boxView is one figure of a cohort: its numbers in words and the box
// plot's coordinates in a 0-200 wide view box.
type boxView struct {
	cohort.Stat
	Label                        string
	Min, Q1, Median, Q3, Max     string // the numbers as the page prints them
	Own                          string // the entity's, "—" when none
	X0, XQ1, XMed, XQ3, X1, XOwn string
	HasOwn                       bool
}

// boxWidth is the box plot's drawing width in view-box units (4 of margin
// each side).
const boxWidth = 192

func newBox(s cohort.Stat, label string, top float64, lang string) boxView {
	v := boxView{Stat: s, Label: label, Own: "—"}
	x := func(f float64) string {
		return strconv.FormatFloat(4+math.Max(0, math.Min(f, top))/top*boxWidth, 'f', 1, 64)
	}
	if s.Value >= 0 {
		v.Own, v.HasOwn, v.XOwn = strconv.Itoa(s.Value), true, x(float64(s.Value))
	}
	if s.Enough {
		v.Min, v.Q1, v.Median, v.Q3, v.Max = num(s.Min, lang), num(s.Q1, lang), num(s.Median, lang), num(s.Q3, lang), num(s.Max, lang)
		v.X0, v.XQ1, v.XMed, v.XQ3, v.X1 = x(s.Min), x(s.Q1), x(s.Median), x(s.Q3), x(s.Max)
	}
	return v
}

// num prints a figure with one decimal at most (a median of an even
// count, a quartile between two values), a decimal comma in French.
func num(f float64, lang string) string {
	s := strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// boxes lays out a comparison's or a group's figures: the level (0 to
// protocol.MaxLevel), then each domain's score (0 to 100).
func boxes(level cohort.Stat, domains []cohort.Stat, l tr) []boxView {
	out := []boxView{newBox(level, l.T("cmp.level"), float64(protocol.MaxLevel), l.Lang)}
	for _, d := range domains {
		out = append(out, newBox(d, l.Domain(d.Domain), 100, l.Lang))
	}
	return out
}

type behindView struct {
	cohort.Behind
	Title string
}

type comparisonView struct {
	C      cohort.Comparison
	Cohort string // the cohort in words
	Rows   []boxView
	Behind []behindView
	// Bands are the admin's choices of size band for the entity's sector.
	Bands []choice
}

func (s *Server) comparisonView(c cohort.Comparison, l tr) comparisonView {
	v := comparisonView{C: c, Cohort: l.Sector(c.Sector) + " · " + c.Band.Name(l.Lang), Rows: boxes(c.Level, c.Domains, l)}
	for _, b := range c.Behind {
		v.Behind = append(v.Behind, behindView{Behind: b, Title: s.title(b.ID, l.Lang)})
	}
	v.Bands = bandChoices(c.Sector, l.Lang)
	return v
}

// bandChoices are the size bands an entity of sector may take, after
// « non renseignée ».
func bandChoices(sector protocol.Sector, lang string) []choice {
	out := []choice{{Value: "", Label: cohort.Band("").Name(lang)}}
	for _, b := range cohort.BandsFor(sector) {
		out = append(out, choice{Value: string(b), Label: b.Name(lang)})
	}
	return out
}

// groupView is one row group of the overview's per-sector distributions.
type groupView struct {
	cohort.Group
	Name  string
	Boxes []boxView
}

func groupViews(gs []cohort.Group, l tr) []groupView {
	var out []groupView
	for _, g := range gs {
		name := l.Sector(g.Sector) + " — " + l.T("cmp.allbands")
		if g.Band != "" {
			name = g.Band.Name(l.Lang)
		}
		out = append(out, groupView{Group: g, Name: name, Boxes: boxes(g.Level, g.Domains, l)})
	}
	return out
}

// bandGroup names the size-band groups for the tokens form: population
// bands for communes, host bands for the other sectors.
type bandGroup struct {
	Label string
	Bands []choice
}

func tokenBandGroups(lang string) []bandGroup {
	pop := bandGroup{Label: T(lang, "cmp.bypopulation")}
	hosts := bandGroup{Label: T(lang, "cmp.byhosts")}
	for _, b := range cohort.Bands {
		c := choice{Value: string(b), Label: b.Name(lang)}
		if b.Scale() == cohort.Population {
			pop.Bands = append(pop.Bands, c)
		} else {
			hosts.Bands = append(hosts.Bands, c)
		}
	}
	return []bandGroup{pop, hosts}
}

// entitySizeBand is the admin's change of an entity's size band
// (app.SetSizeBand: audited), back to the entity page's comparison.
func (s *Server) entitySizeBand(q *req) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	_, err = s.app.SetSizeBand(q.R.Context(), id, q.R.PostForm.Get("size_band"), q.User.Email)
	switch {
	case err == nil:
		http.Redirect(q.W, q.R, "/entity/"+strconv.FormatInt(id, 10)+"#comparison", http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
	case errors.Is(err, app.ErrBadInput):
		s.entityPage(q, id, entityData{Err: q.L.F("badinput", strings.TrimPrefix(err.Error(), app.ErrBadInput.Error()+" : "))}, http.StatusBadRequest)
	default:
		s.fail(q, err)
	}
}

// bandAudit says a size band change in words ("none -> pop-lt-1000").
func bandAudit(detail, lang string) string {
	from, to, ok := strings.Cut(detail, " -> ")
	if !ok {
		return detail
	}
	name := func(b string) string {
		if b == "none" {
			b = ""
		}
		return cohort.Band(b).Name(lang)
	}
	return fmt.Sprintf("%s → %s", name(from), name(to))
}
