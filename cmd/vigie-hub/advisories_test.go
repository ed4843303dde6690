package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/protocol"
)

const advisoryData = "../../testdata/advisory"

// pinned is an agent's client to the hub: the SPKI pinned, as `vigie
// install --fingerprint` does.
func pinned(spki string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // pinned below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
			if hex.EncodeToString(h[:]) != spki {
				return errors.New("SPKI pin mismatch")
			}
			return nil
		}}}}
}

// win10 is a Windows 10 22H2 workstation with Firefox ESR, as the agent
// reports it.
func win10(seed uint64, hostname, build, esr string) *hubtest.Agent {
	a := hubtest.NewAgent(seed, 0.8)
	a.Host = protocol.HostInfo{Hostname: hostname, OS: "windows", Platform: "Microsoft Windows 10 Professionnel",
		PlatformFamily: "Standalone Workstation", PlatformVersion: "10.0.19045 Build 19045", Arch: "amd64",
		OSBuild: build, OSRelease: "22H2", OSEdition: "Professional", OSInstallation: "Client"}
	a.Software = []protocol.Package{
		{Name: "Mozilla Firefox ESR (x64 fr)", Version: esr, Publisher: "Mozilla", Source: protocol.SourceWindowsRegistry, Arch: "x64"},
	}
	return a
}

type exposureRow struct {
	Advisory         string `json:"advisory"`
	Title            string `json:"title"`
	Entity           string `json:"entity"`
	Sector           string `json:"sector"`
	AgentID          string `json:"agent_id"`
	Hostname         string `json:"hostname"`
	Product          string `json:"product"`
	InstalledVersion string `json:"installed_version"`
	FixedVersion     string `json:"fixed_version"`
	Affected         string `json:"affected"`
	Confidence       string `json:"confidence"`
}

func exposures(t *testing.T, db string, args ...string) []exposureRow {
	t.Helper()
	code, out, stderr := cli(t, "", append([]string{"exposure", "--db", db, "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exposure: %d %q", code, stderr)
	}
	var rows []exposureRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("exposure JSON: %v\n%s", err, out)
	}
	for _, key := range []string{`"advisory"`, `"title"`, `"entity"`, `"sector"`, `"agent_id"`, `"hostname"`, `"product"`,
		`"installed_version"`, `"fixed_version"`, `"affected"`, `"confidence"`} {
		if len(rows) > 0 && !strings.Contains(out, key) {
			t.Errorf("exposure JSON lacks %s", key)
		}
	}
	return rows
}

func summary(rows []exposureRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Advisory+"|"+r.Entity+"|"+r.Hostname+"|"+r.InstalledVersion+"|"+r.FixedVersion+"|"+r.Confidence)
	}
	return out
}

// TestAdvisoriesEndToEnd: real agents' signed scorecards uploaded to the
// real `serve` over HTTPS, CERT-FR advisories imported with the command
// line: a host that reported before the import and one that reports after
// are both in `exposure`; the running hub matches the import too (its
// advisory page, checked in hub/web); a host that upgrades leaves the
// list; malformed documents are named and the rest imported; list and
// review give their columns.
func TestAdvisoriesEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	token := func(entity string) string {
		code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", entity, "--sector", "commune")
		tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
		if code != 0 || tok == nil {
			t.Fatalf("token create: %d %q %q", code, out, stderr)
		}
		return tok[1]
	}
	h := runServe(t, db)
	client, hub := pinned(h.spki), "https://"+h.addr
	upload := func(a *hubtest.Agent) {
		t.Helper()
		r, err := a.Upload(ctx, client, hub, a.Sign(a.Next(time.Now())))
		if err != nil || r.Status != 201 {
			t.Fatalf("upload: %v %v", r, err)
		}
	}

	early := win10(61, "PC-ACCUEIL", "10.0.19045.6575", "140.5.0")
	if r, err := early.Enroll(ctx, client, hub, token("Mairie de Plouguerneau")); err != nil || r.Status != 201 {
		t.Fatalf("enrol: %v %v", r, err)
	}
	upload(early)

	code, out, stderr := cli(t, "", "advisories", "import", "--db", db, filepath.Join(advisoryData, "docs.tar.zst"), filepath.Join(advisoryData, "bad"))
	if code != exitFail || !strings.Contains(out, "17 ajouté(s)") || !strings.Contains(stderr, "truncated.json") || !strings.Contains(stderr, "bad-date.json") {
		t.Fatalf("import: %d %q %q", code, out, stderr)
	}
	code, out, _ = cli(t, "", "advisories", "import", "--db", db, filepath.Join(advisoryData, "docs"))
	if code != 0 || !strings.Contains(out, "0 ajouté(s), 0 remplacé(s) par une révision plus récente, 17 déjà à jour") {
		t.Fatalf("import again: %d %q", code, out)
	}
	want := []string{
		"CERTFR-2025-AVI-1099|Mairie de Plouguerneau|PC-ACCUEIL|140.5.0|140.6|certain",
		"CERTFR-2025-AVI-1099|Mairie de Plouguerneau|PC-ACCUEIL|140.5.0|146|certain",
		"CERTFR-2025-AVI-1092|Mairie de Plouguerneau|PC-ACCUEIL|10.0.19045.6575|10.0.19045.6691|certain",
	}
	if got := summary(exposures(t, db, "--entity", "MAIRIE DE PLOUGUERNEAU")); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exposure after import:\n%s", strings.Join(got, "\n"))
	}

	// A host that reports after the advisories are in.
	late := win10(62, "PC-ELUS", "10.0.19045.6600", "146.0")
	if r, err := late.Enroll(ctx, client, hub, token("Port du Légué")); err != nil || r.Status != 201 {
		t.Fatalf("enrol: %v %v", r, err)
	}
	upload(late)
	got := summary(exposures(t, db, "--advisory", "CERTFR-2025-AVI-1092"))
	if rows := exposures(t, db, "--entity", "port du légué"); len(rows) != 1 || rows[0].AgentID != late.ID || rows[0].Sector != "commune" ||
		rows[0].Product != "Windows 10 Version 22H2" || !strings.Contains(rows[0].Affected, "10.0.19045.6691") || rows[0].Title == "" {
		t.Errorf("late host's exposure: %+v", rows)
	}
	if len(got) != 2 || got[1] != "CERTFR-2025-AVI-1092|Port du Légué|PC-ELUS|10.0.19045.6600|10.0.19045.6691|certain" {
		t.Errorf("exposure to AVI-1092:\n%s", strings.Join(got, "\n"))
	}

	code, out, _ = cli(t, "", "advisories", "list", "--db", db, "--exposed", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "reference,title,kind,published,revised,exposed_entities,exposed_hosts\n") ||
		!strings.Contains(out, "CERTFR-2025-AVI-1092,") || !strings.Contains(out, ",avis,2025-12-10,2025-12-10,2,2\n") || strings.Count(out, "\n") != 3 {
		t.Errorf("list --exposed: %d\n%s", code, out)
	}
	code, out, _ = cli(t, "", "advisories", "list", "--db", db)
	if code != 0 || !strings.HasPrefix(out, "reference") || strings.Count(out, "\n") != 18 {
		t.Errorf("list: %d\n%s", code, out)
	}
	code, out, _ = cli(t, "", "advisories", "review", "--db", db, "--format", "json")
	var review []map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &review) != nil || len(review) == 0 || review[0]["reason"] == "" || review[0]["text"] == "" || review[0]["advisory"] == "" {
		t.Errorf("review: %d %.300s", code, out)
	}

	// The early host upgrades: it leaves the list with its next scorecard.
	early.Host.OSBuild = "10.0.19045.6691"
	early.Software[0].Version = "146.0"
	upload(early)
	if got := summary(exposures(t, db, "--entity", "Mairie de Plouguerneau")); len(got) != 0 {
		t.Errorf("upgraded host still exposed: %v", got)
	}
	// The running hub matched the import and the uploads too.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.log.String(), "avis du CERT-FR importés rapprochés") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(h.log.String(), "avis du CERT-FR importés rapprochés") {
		t.Errorf("serve did not match the command line's import:\n%s", h.log.String())
	}
}

// TestAdvisoriesFetch: `advisories fetch` reads CERT-FR's JSON layout from
// a local HTTPS server (its certificate given with --ca) and imports the
// advisories and the alert; --since leaves the older ones out; a second
// fetch has nothing to do.
func TestAdvisoriesFetch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	docs := map[string][]byte{}
	index := map[string][]map[string]string{}
	for kind, sub := range map[string]string{"avis": "docs", "alerte": "alerte"} {
		files, _ := filepath.Glob(filepath.Join(advisoryData, sub, "*.json"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
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
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := strings.TrimSuffix(strings.Trim(r.URL.Path, "/"), "/json"); index[k] != nil {
			json.NewEncoder(w).Encode(index[k])
			return
		}
		if d, ok := docs[r.URL.Path]; ok {
			w.Write(d)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)

	code, out, stderr := cli(t, "", "advisories", "fetch", "--db", db, "--base-url", srv.URL)
	if code != exitFail || !strings.Contains(stderr, "certificate") {
		t.Errorf("fetch from an untrusted server: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, "", "advisories", "fetch", "--db", db, "--base-url", srv.URL, "--ca", ca, "--since", "2025-12-01")
	if code != 0 || !strings.Contains(out, "ajouté(s)") || strings.Contains(out, "18 ajouté(s)") {
		t.Errorf("fetch --since: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, "", "advisories", "fetch", "--db", db, "--base-url", srv.URL, "--ca", ca)
	if code != 0 || strings.Contains(out, " 0 déjà à jour") {
		t.Errorf("fetch: %d %q %q", code, out, stderr)
	}
	code, out, _ = cli(t, "", "advisories", "fetch", "--db", db, "--base-url", srv.URL, "--ca", ca)
	if code != 0 || !strings.Contains(out, "0 ajouté(s), 0 remplacé(s) par une révision plus récente, 18 déjà à jour") {
		t.Errorf("fetch again: %d %q", code, out)
	}
	code, out, _ = cli(t, "", "advisories", "list", "--db", db, "--format", "json")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 18 {
		t.Fatalf("list after fetch: %d %.200s", code, out)
	}
	kinds := map[any]int{}
	for _, l := range list {
		kinds[l["kind"]]++
	}
	if kinds["avis"] != 17 || kinds["alerte"] != 1 {
		t.Errorf("kinds: %v", kinds)
	}
	for _, bad := range [][]string{{"--since", "hier"}, {"--base-url", "http://x"}, {"--format", "xml"}} {
		args := append([]string{"advisories", "fetch", "--db", db}, bad...)
		if bad[0] == "--format" {
			args = append([]string{"advisories", "list", "--db", db}, bad...)
		}
		if code, _, stderr := cli(t, "", args...); code == 0 {
			t.Errorf("%v accepted: %q", bad, stderr)
		}
	}
}
