package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// inventoryHost enrols a host of "Mairie de Plouguerneau" through the real
// API and uploads two scorecards with different inventories (the second
// declaring a FortiGate), as an agent does; it returns the agent and the
// entity.
func inventoryHost(t testing.TB, e *env) (*hubtest.Agent, store.Entity) {
	t.Helper()
	ctx := context.Background()
	ent, err := e.st.EnsureEntity(ctx, "Mairie de Plouguerneau", "commune")
	if err != nil {
		t.Fatal(err)
	}
	tok := app.NewToken()
	e.st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: ent.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	a := hubtest.NewAgent(77, 0.5)
	c := e.srv.Client()
	if r, err := a.Enroll(ctx, c, e.srv.URL, tok); err != nil || r.Status != 201 {
		t.Fatalf("enrol: %v %v", r, err)
	}
	v1 := []protocol.Package{
		{Name: "openssl", Version: "3.0.15-1~deb12u1", Arch: "amd64", Source: "dpkg"},
		{Name: "telnet", Version: "0.17-44", Arch: "amd64", Source: "dpkg"},
		{Name: "linux-image-6.1.0-40-amd64", Version: "6.1.153-1", Arch: "amd64", Source: "dpkg", SourcePackage: "linux-signed-amd64", SourceVersion: "6.1.153+1"},
		{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64", Source: "dpkg"},
	}
	v2 := []protocol.Package{v1[0], v1[2], v1[3], {Name: "Mozilla Firefox", Version: "128.10.0", Arch: "x64", Source: "windows-registry", Publisher: "Mozilla"}}
	v2[0].Version = "3.0.16-1~deb12u1"
	for i, sw := range [][]protocol.Package{v1, v2} {
		sc := a.Next(now.Add(time.Duration(i-2) * time.Hour))
		sc.Software = protocol.SortPackages(sw)
		sc.SoftwareSHA256 = protocol.SoftwareSHA256(sw)
		if i == 1 {
			sc.Assets = []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu <mairie>"}}
		}
		if r, err := a.Upload(ctx, c, e.srv.URL, a.Sign(sc)); err != nil || r.Status != 201 {
			t.Fatalf("upload: %v %v", r, err)
		}
	}
	return a, ent
}

// elementText returns the text of the element with id in body, tags removed
// and entities decoded (it ends at the first closing tag of its kind).
func elementText(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<")
	tag := strings.Fields(body[start+1 : i])[0]
	rest := body[start:]
	if j := strings.Index(rest, "</"+tag+">"); j >= 0 {
		rest = rest[:j]
	}
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(rest, " "))), " ")
}

// TestHostSoftware: the host page lists the host's software, filtered and
// sorted by the form's query, with what changed since the previous
// inventory.
func TestHostSoftware(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 1)
	a, _ := inventoryHost(t, e)
	c, _ := e.login(t, "conseiller@csirt.example")
	resp, body := get(t, c, e.srv.URL+"/host/"+a.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("host page: %d", resp.StatusCode)
	}
	list := elementText(body, "sw-list")
	for _, want := range []string{"Mozilla Firefox 128.10.0 x64 Mozilla windows-registry", "openssl 3.0.16-1~deb12u1", "linux-signed-amd64 6.1.153+1"} {
		if !strings.Contains(list, want) {
			t.Errorf("software list lacks %q: %s", want, list)
		}
	}
	if strings.Contains(list, "telnet") {
		t.Error("software list shows a package removed since")
	}
	if got := elementText(body, "sw-count"); !strings.Contains(got, "4 logiciels sur 4") {
		t.Errorf("count: %q", got)
	}
	changes := elementText(body, "sw-changes")
	for _, want := range []string{"Mozilla Firefox x64 ajouté 128.10.0", "openssl amd64 version changée 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1", "telnet amd64 retiré 0.17-44"} {
		if !strings.Contains(changes, want) {
			t.Errorf("changes lack %q: %s", want, changes)
		}
	}
	if strings.Contains(changes, "zlib1g") {
		t.Error("an unchanged package listed as changed")
	}
	if got := elementText(body, "sw-changes-summary"); !strings.HasPrefix(got, "1 ajouté(s), 1 retiré(s), 1 version(s) changée(s)") {
		t.Errorf("summary: %q", got)
	}
	// Filter (name, publisher or source package, any case) and sort.
	_, body = get(t, c, e.srv.URL+"/host/"+a.ID+"?q=LINUX-SIGNED")
	if list = elementText(body, "sw-list"); !strings.Contains(list, "linux-image") || strings.Contains(list, "openssl") {
		t.Errorf("filtered by source package: %s", list)
	}
	if got := elementText(body, "sw-count"); !strings.Contains(got, "1 logiciels sur 4") {
		t.Errorf("filtered count: %q", got)
	}
	_, body = get(t, c, e.srv.URL+"/host/"+a.ID+"?sort=version&dir=desc")
	list = elementText(body, "sw-list")
	if i, j := strings.Index(list, "Mozilla Firefox"), strings.Index(list, "zlib1g"); i < 0 || j < 0 || i > strings.Index(list, "linux-image") || strings.Index(list, "linux-image") > strings.Index(list, "openssl") {
		t.Errorf("by version descending (128, 6.1, 3.0, 1:1.2): %s", list)
	}
	// As of the first scorecard: its inventory, nothing to compare.
	hist, _ := e.st.History(context.Background(), a.ID, 10)
	_, body = get(t, c, e.srv.URL+"/host/"+a.ID+"?sc="+url.QueryEscape(hist[0].ID))
	if list = elementText(body, "sw-list"); !strings.Contains(list, "telnet") || strings.Contains(list, "Firefox") || !strings.Contains(body, "Aucun inventaire précédent") {
		t.Errorf("first scorecard's inventory: %s", list)
	}
	if !strings.Contains(body, `name="sc" value="`+hist[0].ID+`"`) {
		t.Error("the filter form forgets which scorecard is shown")
	}
}

// TestEntityAssets: the entity page lists the appliances the agents
// declare and those advisers declare with its form or a CSV import (CSRF,
// audited); a faulty import changes nothing and keeps what was pasted.
func TestEntityAssets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 1)
	_, ent := inventoryHost(t, e)
	c, csrf := e.login(t, "conseiller@csirt.example")
	page := fmt.Sprintf("%s/entity/%d", e.srv.URL, ent.ID)
	_, body := get(t, c, page)
	if got := elementText(body, "assets-list"); !strings.Contains(got, "Fortinet FortiGate 7.4.5 pare-feu <mairie> agent de") {
		t.Errorf("agent's asset not listed: %q", got)
	}
	if strings.Contains(body, "pare-feu <mairie>") {
		t.Error("asset name not escaped")
	}
	post := func(path string, v url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := c.PostForm(e.srv.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	base := fmt.Sprintf("/entity/%d/assets", ent.ID)
	if resp, _ := post(base, url.Values{"csrf": {"wrong"}, "vendor": {"QNAP"}, "product": {"QTS"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", resp.StatusCode)
	}
	resp, _ := post(base, url.Values{"csrf": {csrf}, "vendor": {" QNAP "}, "product": {"QTS"}, "version": {"5.1.8"}, "name": {"NAS"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "assets=1") {
		t.Fatalf("add: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = get(t, c, e.srv.URL+resp.Header.Get("Location"))
	if got := elementText(body, "assets-msg"); !strings.Contains(got, "1 équipement(s) ajouté(s)") {
		t.Errorf("message after adding: %q", got)
	}
	if got := elementText(body, "assets-list"); !strings.Contains(got, "QNAP QTS 5.1.8 NAS conseiller@csirt.example") {
		t.Errorf("added asset: %q", got)
	}
	resp, _ = post(base, url.Values{"csrf": {csrf}, "vendor": {"QNAP"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("asset without product: %d", resp.StatusCode)
	}
	// Import: a faulty file is refused whole, its text kept.
	bad := "éditeur;produit;version;nom\nCitrix;NetScaler;14.1;passerelle VPN\nVMware;;8.0;\n"
	resp, body = post(base+"/import", url.Values{"csrf": {csrf}, "csv": {bad}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(elementText(body, "assets-err"), "ligne 3") || !strings.Contains(body, "Citrix;NetScaler;14.1;passerelle VPN") {
		t.Errorf("faulty import: %d, error %q", resp.StatusCode, elementText(body, "assets-err"))
	}
	if list, _ := e.st.DeclaredAssets(context.Background(), ent.ID); len(list) != 2 {
		t.Errorf("a faulty import added something: %d assets", len(list))
	}
	good := "éditeur;produit;version;nom\nCitrix;NetScaler;14.1;passerelle VPN\nVMware;ESXi;8.0;\nQNAP;QTS;5.1.8;NAS\n"
	resp, _ = post(base+"/import", url.Values{"csrf": {csrf}, "csv": {good}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "assets=2") {
		t.Errorf("import: %d %s (want 2 added, the QNAP declared already)", resp.StatusCode, resp.Header.Get("Location"))
	}
	list, _ := e.st.DeclaredAssets(context.Background(), ent.ID)
	if len(list) != 4 {
		t.Fatalf("after import: %+v", list)
	}
	var del int64
	for _, d := range list {
		if d.Product == "ESXi" {
			del = d.ID
		}
	}
	if resp, _ = post(fmt.Sprintf("%s/%d/delete", base, del), url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ = post(fmt.Sprintf("/entity/%d/assets/%d/delete", ent.ID+1, list[1].ID), url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete through another entity: %d", resp.StatusCode)
	}
	_, body = get(t, c, page)
	if got := elementText(body, "assets-list"); strings.Contains(got, "ESXi") || !strings.Contains(got, "NetScaler") {
		t.Errorf("after delete: %q", got)
	}
	log, _ := e.st.AuditLog(context.Background(), 50)
	seen := map[string]bool{}
	for _, l := range log {
		if l.Actor == "conseiller@csirt.example" && l.Target == "Mairie de Plouguerneau" {
			seen[l.Action] = true
		}
	}
	for _, want := range []string{"asset_add", "asset_import", "asset_delete"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s: %v", want, seen)
		}
	}
}
