package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/national"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/protocol"
)

// region is a regional hub of the federation test: its database, data
// folder and signing key.
type region struct {
	name, db, key string
}

func newRegion(t *testing.T, name string) region {
	t.Helper()
	r := region{name: name, db: filepath.Join(t.TempDir(), "hub.db")}
	mustInit(t, r.db)
	code, out, stderr := cli(t, "", "keys", "--db", r.db, "--format", "json")
	var k protocol.HubKeys
	if code != 0 || json.Unmarshal([]byte(out), &k) != nil || k.SigningKey == "" {
		t.Fatalf("keys: %d %q %q", code, out, stderr)
	}
	r.key = k.SigningKey
	return r
}

// populate enrols one agent per entity through the real serve and
// uploads one scorecard each: entities[sector] entities per sector.
func (r region) populate(t *testing.T, entities map[string]int) {
	t.Helper()
	type ent struct{ name, sector, token string }
	var es []ent
	for sector, n := range entities {
		for i := range n {
			name := fmt.Sprintf("%s %s %d", sector, r.name, i)
			args := []string{"token", "create", "--db", r.db, "--entity", name, "--sector", sector}
			if sector == "commune" {
				args = append(args, "--size-band", "pop-lt-1000")
			}
			code, out, stderr := cli(t, "", args...)
			tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
			if code != 0 || tok == nil {
				t.Fatalf("token create: %d %q %q", code, out, stderr)
			}
			es = append(es, ent{name, sector, tok[1]})
		}
	}
	h := runServe(t, r.db)
	defer h.stop()
	c := pinnedClient(h.spki)
	ctx := context.Background()
	for i, e := range es {
		a := hubtest.NewAgent(uint64(1000*len(r.name)+i), 0.4+0.1*float64(i%5))
		if resp, err := a.Enroll(ctx, c, "https://"+h.addr, e.token); err != nil || resp.Status != 201 {
			t.Fatalf("enrol %s: %v %v", e.name, resp, err)
		}
		if resp, err := a.Upload(ctx, c, "https://"+h.addr, a.Sign(a.Next(time.Now()))); err != nil || resp.Status != 201 {
			t.Fatalf("upload %s: %v %v", e.name, resp, err)
		}
	}
}

func pinnedClient(spki string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(spki, func(seen string) error {
		return fmt.Errorf("pin mismatch: %s", seen)
	})}}
}

// TestFederation (issue 22): three regional hubs on SQLite federate to a
// national hub on PostgreSQL, each through the real commands: Bretagne by
// serve --federate-to, with 3 ports (withheld) beside 6 communes;
// Normandie by federate, twice (counted once); Corse, revoked, refused.
// The national report and page show what was published, withheld cells
// marked, and never an entity's or a host's name.
func TestFederation(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	mustInit(t, dsn)
	nat := runServe(t, dsn, "--national", "--data-dir", t.TempDir())

	bzh, nor, cor := newRegion(t, "Bretagne"), newRegion(t, "Normandie"), newRegion(t, "Corse")
	for _, r := range []region{bzh, nor, cor} {
		if code, out, stderr := cli(t, "", "region", "add", r.name, "--db", dsn, "--key", r.key); code != 0 || !strings.Contains(out, "enregistrée") {
			t.Fatalf("region add %s: %d %q %q", r.name, code, out, stderr)
		}
	}
	if code, _, stderr := cli(t, "", "region", "add", "Bretagne", "--db", dsn, "--key", nor.key); code != exitFail || !strings.Contains(stderr, "déjà enregistrée") {
		t.Errorf("region added twice: %d %q", code, stderr)
	}
	if code, _, stderr := cli(t, "", "region", "add", "Bourgogne", "--db", dsn, "--key", "pas une clé"); code != exitUsage || !strings.Contains(stderr, "--key") {
		t.Errorf("bad key: %d %q", code, stderr)
	}
	bzh.populate(t, map[string]int{"commune": 6, "port": 3})
	nor.populate(t, map[string]int{"commune": 5})
	cor.populate(t, map[string]int{"commune": 5})

	to := "https://" + nat.addr
	// Normandie: federate twice; the second is the same day with the same
	// figures.
	for i, want := range []string{"reçu", "déjà reçu à l'identique"} {
		code, out, stderr := cli(t, "", "federate", "--db", nor.db, "--to", to, "--fingerprint", nat.spki, "--region", "Normandie")
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("federate %d: %d %q %q", i, code, out, stderr)
		}
	}
	// A wrong pin: nothing sent.
	code, _, stderr := cli(t, "", "federate", "--db", nor.db, "--to", to, "--fingerprint", strings.Repeat("ab", 32), "--region", "Normandie")
	if code != exitFail || !strings.Contains(stderr, "se fait passer") {
		t.Errorf("wrong pin: %d %q", code, stderr)
	}
	// Another region's name: refused with its code.
	code, _, stderr = cli(t, "", "federate", "--db", nor.db, "--to", to, "--fingerprint", nat.spki, "--region", "Bretagne")
	if code != exitFail || !strings.Contains(stderr, "region_mismatch") {
		t.Errorf("region mismatch: %d %q", code, stderr)
	}
	// Corse, revoked: refused.
	if code, out, stderr := cli(t, "", "region", "revoke", "Corse", "--db", dsn); code != 0 || !strings.Contains(out, "révoquée") {
		t.Fatalf("region revoke: %d %q %q", code, out, stderr)
	}
	code, _, stderr = cli(t, "", "federate", "--db", cor.db, "--to", to, "--fingerprint", nat.spki, "--region", "Corse")
	if code != exitFail || !strings.Contains(stderr, "region_revoked") || !strings.Contains(stderr, "403") {
		t.Errorf("revoked region: %d %q", code, stderr)
	}
	// Bretagne: serve pushes at start.
	runServe(t, bzh.db, "--federate-to", to, "--federate-fingerprint", nat.spki, "--federate-region", "Bretagne")
	st, err := store.OpenExisting(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var latest []store.AggregateRecord
	for i := 0; i < 200; i++ {
		if latest, err = st.LatestAggregates(context.Background()); err == nil && len(latest) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(latest) != 2 || latest[0].Region != "Bretagne" || latest[1].Region != "Normandie" {
		t.Fatalf("national aggregates: %+v %v", latest, err)
	}
	if latest[1].Pushes != 2 || latest[1].Entities != 5 {
		t.Errorf("Normandie pushed twice, counted once: %d pushes, %d entities", latest[1].Pushes, latest[1].Entities)
	}
	if latest[0].Entities != 6 || latest[0].WithheldCells != 1 {
		t.Errorf("Bretagne: 6 communes published, ports withheld: %+v", latest[0])
	}

	code, out, stderr := cli(t, "", "national", "report", "--db", dsn, "--format", "json")
	var rows []national.ReportRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("national report: %d %q %q", code, out, stderr)
	}
	got := map[string]national.ReportRow{}
	for _, r := range rows {
		got[r.Region+"/"+r.Sector] = r
	}
	if len(rows) != 3 || !got["Bretagne/port"].Withheld || !got["Bretagne/port"].Entities.Withheld ||
		got["Bretagne/commune"].Entities.N != 6 || got["Bretagne/commune"].SizeBand != "pop-lt-1000" || got["Normandie/commune"].Entities.N != 5 || len(got["Normandie/commune"].Medians) == 0 {
		t.Errorf("national report: %s", out)
	}
	if strings.Contains(out, "commune Bretagne") || strings.Contains(out, "port Bretagne") {
		t.Errorf("the report names an entity: %s", out)
	}
	code, out, _ = cli(t, "", "national", "report", "--db", dsn)
	if code != 0 || !regexp.MustCompile(`Bretagne\t\d{4}-\d\d-\d\d\tport\t-\tretenu`).MatchString(out) {
		t.Errorf("national report (text): %q", out)
	}
	code, out, _ = cli(t, "", "region", "list", "--db", dsn)
	if code != 0 || !strings.Contains(out, "Corse") || !strings.Contains(out, "révoquée") || !strings.Contains(out, "aucun envoi") {
		t.Errorf("region list: %q", out)
	}
	log, _ := st.AuditLog(context.Background(), 50)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	for _, want := range []string{"cli region_add", "cli region_revoke", "region:Corse aggregate_refused", "region:Normandie aggregate_received", "region:Bretagne aggregate_received"} {
		if !strings.Contains(strings.Join(actions, "\n"), want) {
			t.Errorf("audit lacks %q: %v", want, actions)
		}
	}

	// In national mode, the agents' API and the regional pages are off.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback test
	for _, path := range []string{"/api/v1/enroll", "/admin/tokens", "/export.csv"} {
		resp, err := c.Get(to + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("national hub serves %s: %d", path, resp.StatusCode)
		}
	}
	// An unregistered key: 401 unknown_key.
	resp, err := c.Post(to+"/api/v1/aggregates", "application/json", strings.NewReader(string(hubtest.NewAgent(1, 1).Sign(hubtest.NewAgent(1, 1).Next(time.Now())))))
	if err != nil {
		t.Fatal(err)
	}
	var reply map[string]string
	json.NewDecoder(resp.Body).Decode(&reply)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || reply["status"] != "unknown_key" {
		t.Errorf("unknown key: %d %v", resp.StatusCode, reply)
	}
}
