package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// The host page's software and the entity page's declared appliances
// (issue 15). Filtering and sorting are query parameters of a plain GET
// form: the page works without a script.

// softwareView is the host page's software section.
type softwareView struct {
	app.Software
	Packages []protocol.Package // filtered and sorted
	Total    int                // packages in the inventory
	Q        string             // filter
	Sort     string             // "name" or "version"
	Desc     bool
	// Scorecard is the scorecard shown when not the latest (kept by the
	// filter form).
	Scorecard string
	Added     int
	Removed   int
	Changed   int
}

// software reads the host's inventory for the scorecard shown (sc, or the
// latest) and applies the page's filter and sort. A failure is logged and
// leaves the section out: the rest of the page still shows.
func (s *Server) software(q *req, agentID, sc string) *softwareView {
	sw, err := s.app.HostSoftware(q.R.Context(), agentID, sc)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("host software", "agent", agentID, "err", err)
		}
		return nil
	}
	qs := q.R.URL.Query()
	v := &softwareView{Software: sw, Q: qs.Get("q"), Sort: qs.Get("sort"), Desc: qs.Get("dir") == "desc", Scorecard: sc}
	if len(v.Q) > 200 {
		v.Q = v.Q[:200]
	}
	if v.Sort != "version" {
		v.Sort = "name"
	}
	if c := sw.Current; c != nil {
		v.Total = len(c.Packages)
		v.Packages = app.FilterPackages(slices.Clone(c.Packages), v.Q)
		app.SortPackages(v.Packages, v.Sort, v.Desc)
	}
	for _, c := range sw.Changes {
		switch c.Kind {
		case app.ChangeAdded:
			v.Added++
		case app.ChangeRemoved:
			v.Removed++
		default:
			v.Changed++
		}
	}
	return v
}

// assetsView is the entity page's declared appliances section.
type assetsView struct {
	Assets []store.DeclaredAsset
	// Msg and Err report the last change; CSV keeps a refused import's
	// text so that nothing typed is lost.
	Msg, Err, CSV string
}

func (s *Server) entityID(q *req) (int64, bool) {
	id, err := strconv.ParseInt(q.R.PathValue("id"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return 0, false
	}
	return id, true
}

// assetAdd declares one appliance from the entity page's form.
func (s *Server) assetAdd(q *req) {
	id, ok := s.entityID(q)
	if !ok {
		return
	}
	f := q.R.PostForm
	a := protocol.Asset{Vendor: f.Get("vendor"), Product: f.Get("product"), Version: f.Get("version"), Name: f.Get("name")}
	for _, p := range []*string{&a.Vendor, &a.Product, &a.Version, &a.Name} {
		*p = trimSpace(*p)
	}
	n, err := s.app.AddAssets(q.R.Context(), id, []protocol.Asset{a}, "asset_add", q.User.Email)
	s.assetsDone(q, id, n, err, "")
}

// assetImport declares the appliances of a CSV text pasted in the form.
func (s *Server) assetImport(q *req) {
	id, ok := s.entityID(q)
	if !ok {
		return
	}
	text := q.R.PostForm.Get("csv")
	assets, err := app.ParseAssetsCSV([]byte(text))
	n := 0
	if err == nil && len(assets) == 0 {
		err = fmt.Errorf("%w : %s", app.ErrBadInput, q.L.T("inv.assetsnone"))
	}
	if err == nil {
		n, err = s.app.AddAssets(q.R.Context(), id, assets, "asset_import", q.User.Email)
	}
	s.assetsDone(q, id, n, err, text)
}

func (s *Server) assetDelete(q *req) {
	id, ok := s.entityID(q)
	if !ok {
		return
	}
	aid, err := strconv.ParseInt(q.R.PathValue("asset"), 10, 64)
	if err != nil {
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
		return
	}
	err = s.app.DeleteAsset(q.R.Context(), id, aid, q.User.Email)
	if err == nil {
		http.Redirect(q.W, q.R, fmt.Sprintf("/entity/%d?assets=deleted#assets-h", id), http.StatusSeeOther)
		return
	}
	s.assetsDone(q, id, 0, err, "")
}

// assetsDone answers a change of the declared appliances: back to the
// entity page (POST, redirect, GET) on success, the page again with the
// error and what was typed otherwise.
func (s *Server) assetsDone(q *req, id int64, n int, err error, text string) {
	switch {
	case err == nil:
		http.Redirect(q.W, q.R, fmt.Sprintf("/entity/%d?assets=%d#assets-h", id, n), http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		s.message(q, http.StatusNotFound, q.L.T("notfound"))
	case errors.Is(err, app.ErrBadInput):
		s.entityPage(q, id, entityData{Assets: assetsView{Err: err.Error(), CSV: text}}, http.StatusBadRequest)
	default:
		s.fail(q, err)
	}
}

// assetsFlash is the message after a change, from the redirect's query.
func assetsFlash(q *req) string {
	v := q.R.URL.Query().Get("assets")
	if v == "deleted" {
		return q.L.T("inv.assetdeleted")
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return q.L.F("inv.assetsadded", n)
	}
	return ""
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
