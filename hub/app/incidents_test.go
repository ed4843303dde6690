package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

var declared = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

type incidentFixture struct {
	st    store.Store
	x     *app.Incidents
	dir   string
	keys  *hubkeys.Keys
	agent *hubtest.Agent
	now   time.Time
}

// enrolAgent enrols a test agent with its real key for entity.
func enrolAgent(t testing.TB, st store.Store, a *hubtest.Agent, entity, sector string) {
	t.Helper()
	ctx := context.Background()
	e, err := st.EnsureEntity(ctx, entity, sector)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("tok-" + a.ID))
	if err := st.CreateToken(ctx, store.Token{Hash: h[:], EntityID: e.ID, CreatedAt: declared, ExpiresAt: declared.Add(time.Hour), CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(ctx, h[:], store.Agent{ID: a.ID, PublicKey: []byte(a.Key.Public().(ed25519.PublicKey)), Hostname: "mairie-pc1", OS: "linux"}, declared); err != nil {
		t.Fatal(err)
	}
}

func newIncidents(t testing.TB) *incidentFixture {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := hubkeys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	f := &incidentFixture{st: st, keys: keys, dir: filepath.Join(t.TempDir(), app.IncidentDir), agent: hubtest.NewAgent(7, 0.5), now: declared.Add(3 * time.Hour)}
	f.x, err = app.NewIncidents(app.IncidentConfig{Store: st, Dir: f.dir, Keys: keys, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	enrolAgent(t, st, f.agent, "Mairie de Plouguerneau", "commune")
	return f
}

func (f *incidentFixture) bundle(t testing.TB, answers protocol.IncidentAnswers) (manifest, archive []byte) {
	t.Helper()
	m, a, err := hubtest.IncidentBundle(f.agent.Key, f.agent.ID, f.keys.Age.Recipient(), hubtest.IncidentFiles(declared), declared, answers)
	if err != nil {
		t.Fatal(err)
	}
	return m, a
}

// files lists what the archives' folder holds.
func (f *incidentFixture) files(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestIncidentIngest: a declared incident is filed for the agent's entity,
// its archive kept encrypted (0600) in the incidents folder; the same
// upload again finds it; the page's view decrypts it, with the planted
// cron entry and systemd unit recent and first, the old unit not.
func TestIncidentIngest(t *testing.T) {
	f := newIncidents(t)
	ctx := context.Background()
	yes := true
	m, a := f.bundle(t, protocol.IncidentAnswers{Kind: protocol.IncidentRansomware, AwareAt: declared.Add(-time.Hour), Summary: "fichiers chiffrés", PersonalData: &yes})
	got, err := f.x.Ingest(ctx, m, bytes.NewReader(a), "upload")
	if err != nil {
		t.Fatal(err)
	}
	in := got.Incident
	if got.Duplicate || in.Entity != "Mairie de Plouguerneau" || in.Kind != "ransomware" || !in.PersonalData || in.Status != store.IncidentOpen {
		t.Fatalf("ingested %+v", got)
	}
	files := f.files(t)
	if len(files) != 1 || files[0] != in.ArchiveFile {
		t.Fatalf("incidents folder: %v", files)
	}
	onDisk, _ := os.ReadFile(filepath.Join(f.dir, in.ArchiveFile))
	if !bytes.Equal(onDisk, a) || !bytes.HasPrefix(onDisk, []byte("age-encryption.org/")) {
		t.Error("the archive at rest is not the encrypted archive received")
	}
	if st, _ := os.Stat(filepath.Join(f.dir, in.ArchiveFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v", st.Mode().Perm())
	}
	again, err := f.x.Ingest(ctx, m, bytes.NewReader(a), "upload")
	if err != nil || !again.Duplicate || again.Incident.ID != in.ID || len(f.files(t)) != 1 {
		t.Fatalf("same upload again: %+v, %v, files %v", again, err, f.files(t))
	}
	v, err := f.x.Incident(ctx, in.ID, "conseil@region.fr")
	if err != nil {
		t.Fatal(err)
	}
	if v.ContentsErr != "" || v.Contents == nil {
		t.Fatalf("contents: %q", v.ContentsErr)
	}
	c := v.Contents
	if len(c.Persistence) != 3 || !c.Persistence[0].Recent || !c.Persistence[1].Recent || c.Persistence[2].Recent ||
		c.Persistence[2].Location != "/etc/systemd/system/ssh.service" || c.Recent != 3 {
		t.Errorf("persistence %+v, recent %d", c.Persistence, c.Recent)
	}
	if len(c.Processes) != 2 || !c.Processes[1].Deleted || len(c.Connections) != 1 || len(c.Listeners) != 1 || len(c.Events) != 1 {
		t.Errorf("contents %+v", c)
	}
	// Commune: NIS2 clock (24 h, 72 h, one month after) and the CNIL.
	kinds := []string{}
	for _, d := range v.Clock.Deadlines {
		kinds = append(kinds, d.Kind)
	}
	if strings.Join(kinds, ",") != "nis2-early-warning,nis2-notification,nis2-final-report,gdpr-cnil" {
		t.Fatalf("deadlines %v", kinds)
	}
	ew := v.Clock.Deadlines[0]
	if !ew.Due.Equal(declared.Add(23*time.Hour)) || ew.Remaining != 20*time.Hour || !strings.Contains(ew.Draft, "fichiers chiffrés") || !strings.Contains(ew.Draft, "dont 2 créés ou modifiés") {
		t.Errorf("early warning %+v", ew)
	}
	if fr := v.Clock.Deadlines[2]; !fr.Due.Equal(declared.Add(71*time.Hour).AddDate(0, 1, 0)) {
		t.Errorf("final report due %v", fr.Due)
	}
	log, _ := f.st.AuditLog(ctx, 10)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "incident_declared") || !strings.Contains(strings.Join(actions, ","), "view_incident") {
		t.Errorf("audit %v", actions)
	}
}

// TestIncidentRefused: a tampered archive, one cut short or longer, a
// manifest signed by another key or naming another agent, an archive not
// encrypted to this hub, an unknown or revoked agent: each refused with
// its reason, and nothing left in the incidents folder.
func TestIncidentRefused(t *testing.T) {
	f := newIncidents(t)
	ctx := context.Background()
	ans := protocol.IncidentAnswers{Kind: protocol.IncidentCompromise}
	m, a := f.bundle(t, ans)
	flipped := bytes.Clone(a)
	flipped[len(flipped)-10] ^= 1
	other := hubtest.NewAgent(8, 0.5)
	forged, _, _ := hubtest.IncidentBundle(other.Key, f.agent.ID, f.keys.Age.Recipient(), hubtest.IncidentFiles(declared), declared, ans)
	// The forger names our agent as the signer.
	env, _ := protocol.ParseEnvelope(forged)
	env.Signatures[0].KeyID = f.agent.ID
	forged, _ = json.Marshal(env)
	otherHub, _ := hubkeys.Generate()
	notOurs, notOursArchive, _ := hubtest.IncidentBundle(f.agent.Key, f.agent.ID, otherHub.Age.Recipient(), hubtest.IncidentFiles(declared), declared, ans)
	unknown, unknownArchive, _ := hubtest.IncidentBundle(other.Key, other.ID, f.keys.Age.Recipient(), hubtest.IncidentFiles(declared), declared, ans)
	for _, tc := range []struct {
		name     string
		manifest []byte
		archive  []byte
		want     error
	}{
		{"tampered archive", m, flipped, app.ErrIncidentMismatch},
		{"cut short", m, a[:len(a)-1], app.ErrIncidentMismatch},
		{"longer", m, append(bytes.Clone(a), 0), app.ErrIncidentMismatch},
		{"signed by another key", forged, a, app.ErrIncidentSignature},
		{"not for this hub", notOurs, notOursArchive, app.ErrIncidentNotForHub},
		{"unknown agent", unknown, unknownArchive, store.ErrNotFound},
		{"unsigned", []byte(`{"version":1}`), a, app.ErrIncidentMalformed},
	} {
		if _, err := f.x.Ingest(ctx, tc.manifest, bytes.NewReader(tc.archive), "upload"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if files := f.files(t); len(files) != 0 {
			t.Errorf("%s: left %v in the incidents folder", tc.name, files)
		}
	}
	if err := f.st.RevokeAgent(ctx, f.agent.ID, "admin", declared); err != nil {
		t.Fatal(err)
	}
	if _, err := f.x.Ingest(ctx, m, bytes.NewReader(a), "upload"); !errors.Is(err, store.ErrRevoked) {
		t.Errorf("revoked agent: %v", err)
	}
	if list, _ := f.st.ListIncidents(ctx, store.IncidentFilter{}); len(list) != 0 {
		t.Errorf("refused incidents stored: %+v", list)
	}
}

// TestIncidentFollowUpAndLifecycle: an adviser takes the incident (in
// progress), notes and toggles are kept as notes; an unknown adviser is
// refused; export writes the decrypted files 0600; retention and deletion
// remove the archive and the rows, audited.
func TestIncidentFollowUpAndLifecycle(t *testing.T) {
	f := newIncidents(t)
	ctx := context.Background()
	if _, err := f.st.CreateUser(ctx, store.User{Email: "conseil@region.fr", Role: store.RoleAdviser, PasswordHash: "x", CreatedAt: declared}); err != nil {
		t.Fatal(err)
	}
	m, a := f.bundle(t, protocol.IncidentAnswers{Kind: protocol.IncidentMailbox})
	got, err := f.x.Ingest(ctx, m, bytes.NewReader(a), "upload")
	if err != nil {
		t.Fatal(err)
	}
	id := got.Incident.ID
	adv, yes := "conseil@region.fr", true
	if err := f.x.Update(ctx, id, adv, app.IncidentChange{Adviser: &adv, PersonalData: &yes, Note: "Mairie rappelée"}); err != nil {
		t.Fatal(err)
	}
	nobody := "inconnu@x"
	if err := f.x.Update(ctx, id, adv, app.IncidentChange{Adviser: &nobody}); !errors.Is(err, app.ErrBadInput) {
		t.Errorf("unknown adviser: %v", err)
	}
	v, _ := f.x.Incident(ctx, id, adv)
	if v.Status != store.IncidentInProgress || v.Adviser != adv || !v.PersonalData || len(v.Notes) != 1 || !strings.Contains(v.Notes[0].Text, "Mairie rappelée") {
		t.Errorf("after update: %+v notes %+v", v.Incident, v.Notes)
	}
	out := filepath.Join(t.TempDir(), "export")
	written, err := f.x.ExportIncident(ctx, id, out, "cli")
	if err != nil || len(written) != len(hubtest.IncidentFiles(declared))+1 {
		t.Fatalf("export: %v %v", written, err)
	}
	b, _ := os.ReadFile(filepath.Join(out, "persistence.json"))
	if !bytes.Equal(b, hubtest.IncidentFiles(declared)["persistence.json"]) {
		t.Error("exported persistence.json differs from the agent's")
	}
	if st, _ := os.Stat(filepath.Join(out, "persistence.json")); st.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v", st.Mode().Perm())
	}
	// 89 days: kept; 91 days: purged with its archive.
	f.now = declared.AddDate(0, 0, 89)
	if n, err := f.x.Purge(ctx, 90); err != nil || n != 0 {
		t.Fatalf("purge at 89 days: %d %v", n, err)
	}
	f.now = declared.AddDate(0, 0, 91)
	if n, err := f.x.Purge(ctx, 90); err != nil || n != 1 {
		t.Fatalf("purge at 91 days: %d %v", n, err)
	}
	if files := f.files(t); len(files) != 0 {
		t.Errorf("archive left after purge: %v", files)
	}
	if _, err := f.st.Incident(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("incident after purge: %v", err)
	}
	log, _ := f.st.AuditLog(ctx, 20)
	found := false
	for _, e := range log {
		found = found || (e.Action == "incident_delete" && strings.Contains(e.Detail, "90 jours"))
	}
	if !found {
		t.Error("purge not audited")
	}
}

// TestIncidentClockSectors: hospitals, ports and communes get the NIS2
// clock, "other" does not; without aware_at the clock starts at the
// declaration and says so; a recorded notification moves the final
// report.
func TestIncidentClockSectors(t *testing.T) {
	for sector, nis2 := range map[string]bool{"hospital": true, "port": true, "commune": true, "other": false} {
		c := app.IncidentClock(store.Incident{Sector: sector, AwareAt: declared}, declared)
		if c.NIS2 != nis2 || (len(c.Deadlines) == 3) != nis2 {
			t.Errorf("%s: NIS2 %v, %d deadlines", sector, c.NIS2, len(c.Deadlines))
		}
	}
	c := app.IncidentClock(store.Incident{Sector: "other", DeclaredAt: declared, PersonalData: true}, declared.Add(80*time.Hour))
	if !c.Estimated || len(c.Deadlines) != 1 || c.Deadlines[0].Kind != app.DeadlineCNIL || !c.Deadlines[0].Overdue() || c.Deadlines[0].Remaining != -8*time.Hour {
		t.Errorf("other sector with personal data: %+v", c)
	}
	notified := declared.Add(30 * time.Hour)
	c = app.IncidentClock(store.Incident{Sector: "port", AwareAt: declared, NotifiedAt: notified}, declared)
	if !c.Deadlines[2].Due.Equal(notified.AddDate(0, 1, 0)) {
		t.Errorf("final report after a notification on %v: %v", notified, c.Deadlines[2].Due)
	}
}

// TestIncidentAlertedOnce: an incident `vigie-hub import` files (no alert
// engine in that process) is alerted by the serve's detection pass, once;
// one uploaded to the serve is alerted at upload and never again by the
// pass. The advisers following communes get one delivery each.
func TestIncidentAlertedOnce(t *testing.T) {
	f := newIncidents(t)
	ctx := context.Background()
	eng, err := alert.New(alert.Config{Store: f.st, SMTP: &alert.SMTPConfig{Addr: "127.0.0.1:1", From: "vigie@csirt.example", TLS: alert.TLSNone},
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.st.CreateUser(ctx, store.User{Email: "conseil@region.fr", Role: store.RoleAdviser, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Alerts(f.st).SetSubscription(ctx, store.Subscription{UserID: u.ID, Mode: "now", Events: []string{"incident"}, Sectors: []string{"commune"}}); err != nil {
		t.Fatal(err)
	}
	incidentAlerts := func() []string {
		t.Helper()
		ds, err := store.Alerts(f.st).Deliveries(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			ev, err := store.Alerts(f.st).AlertEvent(ctx, d.EventID)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind == "incident" {
				out = append(out, d.Address+" "+string(ev.Data))
			}
		}
		return out
	}
	// The CLI's import: the same service without an alert engine.
	m, a := f.bundle(t, protocol.IncidentAnswers{Kind: protocol.IncidentCompromise, Summary: "compte admin inconnu"})
	imp, err := f.x.Ingest(ctx, m, bytes.NewReader(a), "import")
	if err != nil {
		t.Fatal(err)
	}
	if got := incidentAlerts(); len(got) != 0 {
		t.Fatalf("alert queued by the import itself: %v", got)
	}
	// The serve's pass alerts it; later passes do not again.
	for range 3 {
		if err := eng.Detect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := incidentAlerts()
	if len(got) != 1 || !strings.HasPrefix(got[0], "conseil@region.fr ") || !strings.Contains(got[0], "compte admin inconnu") || !strings.Contains(got[0], "(lot importé)") {
		t.Fatalf("after the passes: %v", got)
	}
	if in, _ := f.st.Incident(ctx, imp.Incident.ID); !in.AlertedAt.Equal(f.now) {
		t.Errorf("imported incident alerted at %v", in.AlertedAt)
	}
	// Online: the serve's service has the engine; the upload alerts, the
	// pass finds nothing left.
	online, err := app.NewIncidents(app.IncidentConfig{Store: f.st, Dir: f.dir, Keys: f.keys, Alerts: eng, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	other := hubtest.NewAgent(8, 0.5)
	enrolAgent(t, f.st, other, "Mairie de Landéda", "commune")
	m2, a2, err := hubtest.IncidentBundle(other.Key, other.ID, f.keys.Age.Recipient(), hubtest.IncidentFiles(declared), declared, protocol.IncidentAnswers{Kind: protocol.IncidentRansomware, Summary: "rançon"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := online.Ingest(ctx, m2, bytes.NewReader(a2), "upload"); err != nil {
		t.Fatal(err)
	}
	if got := incidentAlerts(); len(got) != 2 {
		t.Fatalf("after the upload: %v", got)
	}
	if err := eng.Detect(ctx); err != nil {
		t.Fatal(err)
	}
	// The same upload again is a duplicate: no alert either.
	if _, err := online.Ingest(ctx, m2, bytes.NewReader(a2), "upload"); err != nil {
		t.Fatal(err)
	}
	if got := incidentAlerts(); len(got) != 2 || strings.Count(strings.Join(got, "\n"), "rançon") != 1 {
		t.Fatalf("uploaded incident alerted again: %v", got)
	}
}
