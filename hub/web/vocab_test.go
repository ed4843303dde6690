package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestVocabulary: the pages and the CSV export name domains, statuses,
// severities, sectors and levels with protocol's words, the ones the
// agent's reports use, in both languages; the hub's former words for them
// ("Patching", "Hygiene") appear nowhere.
func TestVocabulary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 1)
	seed(t, e.st, 3, 1, 2)
	c, _ := e.login(t, "admin@csirt.example")
	rows, err := e.st.Hosts(context.Background(), store.HostFilter{})
	if err != nil || len(rows) != 3 {
		t.Fatalf("hosts: %d %v", len(rows), err)
	}
	host, entity := rows[0].Agent.ID, rows[0].Agent.EntityID
	for _, lang := range []string{"fr", "en"} {
		get(t, c, e.srv.URL+"/?lang="+lang)
		pages := map[string]string{}
		for _, p := range []string{"/", "/host/" + host, fmt.Sprintf("/entity/%d", entity), "/admin/tokens"} {
			resp, body := get(t, c, e.srv.URL+p)
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d", lang, p, resp.StatusCode)
			}
			pages[p] = body
			for _, old := range []string{"Patching", ">Hygiene<", ">Hygiène<"} {
				if strings.Contains(body, old) {
					t.Errorf("%s %s: former word %q", lang, p, old)
				}
			}
		}
		for _, d := range protocol.Domains {
			if !strings.Contains(pages["/"], ">"+d.Name(lang)+"<") {
				t.Errorf("%s overview: no heat-map column %q", lang, d.Name(lang))
			}
		}
		if want := map[string]string{"fr": "Mises à jour", "en": "Updates"}[lang]; !strings.Contains(pages["/"], want) || protocol.DomainPatch.Name(lang) != want {
			t.Errorf("%s overview: patch domain not named %q", lang, want)
		}
		for _, s := range protocol.Sectors {
			if !strings.Contains(pages["/admin/tokens"], `<option value="`+string(s)+`">`+s.Name(lang)+"</option>") {
				t.Errorf("%s tokens page: sector %s not offered as %q", lang, s, s.Name(lang))
			}
		}
		if !strings.Contains(pages["/"], ">"+protocol.SectorHospital.Name(lang)+"</option>") {
			t.Errorf("%s overview: sector filter does not name %q", lang, protocol.SectorHospital.Name(lang))
		}
		hostPage := pages["/host/"+host]
		for _, st := range []protocol.Status{protocol.Fail, protocol.Pass} {
			if !strings.Contains(hostPage, `<span class="st st-`+string(st)+`">`+st.Label(lang)+"</span>") {
				t.Errorf("%s host page: status %s not labelled %q", lang, st, st.Label(lang))
			}
		}
		if !strings.Contains(hostPage, `<span class="sev sev-critical">`+protocol.Critical.Name(lang)+"</span>") {
			t.Errorf("%s host page: severity not named %q", lang, protocol.Critical.Name(lang))
		}
		// Results in protocol's order: every status's first row after the
		// previous status's last.
		last := -1
		for _, st := range protocol.Statuses {
			first := strings.Index(hostPage, `<tr class="r-`+string(st)+`">`)
			if first < 0 {
				continue
			}
			if first < last {
				t.Errorf("%s host page: %s results before the previous status's", lang, st)
			}
			last = strings.LastIndex(hostPage, `<tr class="r-`+string(st)+`">`)
		}

		resp, body := get(t, c, e.srv.URL+"/export.csv")
		if resp.StatusCode != 200 {
			t.Fatalf("csv: %d", resp.StatusCode)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 4 {
			t.Fatalf("csv: %d records, %v", len(recs), err)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for i, d := range protocol.Domains {
			if recs[0][col["level_name"]+1+i] != "score_"+string(d) {
				t.Errorf("csv column %d = %q, want score_%s (protocol.Domains order)", col["level_name"]+1+i, recs[0][col["level_name"]+1+i], d)
			}
		}
		for _, r := range recs[1:] {
			lv, err := strconv.Atoi(r[col["level"]])
			if err != nil || r[col["level_name"]] != protocol.Level(lv).Name(lang) {
				t.Errorf("%s csv: level %q named %q, want %q", lang, r[col["level"]], r[col["level_name"]], protocol.Level(lv).Name(lang))
			}
		}
	}
}
