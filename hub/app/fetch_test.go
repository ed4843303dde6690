package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/app"
)

// CERTFRServer serves testdata's advisories and alert in the layout of
// CERT-FR's JSON API (/avis/json/, /alerte/json/, /avis/REF/json/), over
// HTTPS; extra entries are added to the advisories' index as given.
func certfrServer(t *testing.T, extra ...map[string]string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	docs := map[string][]byte{}
	index := map[string][]map[string]string{}
	for kind, dir := range map[string]string{"avis": "docs", "alerte": "alerte"} {
		files, _ := filepath.Glob(filepath.Join(advisoryData, dir, "*.json"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := advisory.Parse(f, data)
			if err != nil {
				t.Fatal(err)
			}
			path := "/" + kind + "/" + d.Reference + "/json/"
			docs[path] = data
			index[kind] = append(index[kind], map[string]string{"reference": d.Reference, "json_url": path,
				"last_revision_date": d.Revised().Format("2006-01-02T15:04:05.000000")})
		}
	}
	index["avis"] = append(index["avis"], extra...)
	var docGets atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := strings.Trim(r.URL.Path, "/")
		if strings.HasSuffix(kind, "/json") && strings.Count(kind, "/") == 1 {
			json.NewEncoder(w).Encode(index[strings.TrimSuffix(kind, "/json")])
			return
		}
		data, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		docGets.Add(1)
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv, &docGets
}

// TestFetch: fetch reads both indexes over HTTPS and imports every
// document; a second fetch asks for none; a document the server does not
// have and an entry pointing at another host are reported by name and the
// rest imported; --since leaves older documents out; plain http is refused.
func TestFetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, gets := certfrServer(t,
		map[string]string{"reference": "CERTFR-2025-AVI-9998", "json_url": "/avis/CERTFR-2025-AVI-9998/json/", "last_revision_date": "2025-12-01T00:00:00.000000"},
		map[string]string{"reference": "CERTFR-2025-AVI-9999", "json_url": "https://evil.example/x.json", "last_revision_date": "2025-12-01T00:00:00.000000"})
	a, st := newApp(t)
	m, err := a.NewAdvisories(app.AdvisoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	res, err := m.Fetch(ctx, app.FetchConfig{BaseURL: srv.URL, Since: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Client: srv.Client()}, "cli",
		func(err error) { named = append(named, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	since := res.Added
	if since == 0 || since >= 18 || len(named) != 2 || !strings.Contains(named[0], "CERTFR-2025-AVI-9998") || !strings.Contains(named[1], "evil.example") {
		t.Fatalf("fetch since December: %+v %v", res, named)
	}
	res, err = m.Fetch(ctx, app.FetchConfig{BaseURL: srv.URL, Client: srv.Client()}, "cli", nil)
	if err != nil || res.Added != 18-since || res.Unchanged != since || len(res.Errors) != 2 {
		t.Fatalf("full fetch: %+v %v", res, err)
	}
	all, _ := st.AdvisoriesSince(ctx, time.Time{})
	if len(all) != 18 {
		t.Errorf("stored %d advisories, want 17 and the alert", len(all))
	}
	before := gets.Load()
	res, err = m.Fetch(ctx, app.FetchConfig{BaseURL: srv.URL + "/", Client: srv.Client()}, "cli", nil)
	if err != nil || res.Added+res.Replaced != 0 || res.Unchanged != 18 || gets.Load() != before {
		t.Errorf("repeated fetch: %+v %v, %d documents asked (none expected: the missing one is not served)", res, err, gets.Load()-before)
	}
	if _, err := m.Fetch(ctx, app.FetchConfig{BaseURL: strings.Replace(srv.URL, "https", "http", 1), Client: srv.Client()}, "cli", nil); err == nil {
		t.Error("plain http accepted")
	}
}
