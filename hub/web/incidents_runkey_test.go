package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

var rowRE = regexp.MustCompile(`(?s)<tr class="([^"]*)">(.*?)</tr>`)

// TestIncidentPageWindowsRunKey: a Windows town hall's bundle, made of
// what the agent's collectors give from the Windows fixtures
// (testdata/incident/windows-bundle, kept equal to the collectors' output
// by agent/incident's TestWindowsBundleGolden), carries a Run key whose
// program was written three days before the declaration; the incident
// page shows it highlighted as recent, with the scheduled task and the
// service of the same planted binary, and the old Run key, task and
// service not.
func TestIncidentPageWindowsRunKey(t *testing.T) {
	t.Parallel()
	var x *app.Incidents
	keys, err := hubkeys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) {
		var err error
		x, err = app.NewIncidents(app.IncidentConfig{Store: c.Store, Dir: filepath.Join(t.TempDir(), "incidents"), Keys: keys, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		c.Incidents = x
	})
	ctx := context.Background()
	a := hubtest.NewAgent(12, 0.5)
	ent, _ := e.st.EnsureEntity(ctx, "Mairie de Landerneau", "commune")
	h := sha256.Sum256([]byte("tok-win"))
	e.st.CreateToken(ctx, store.Token{Hash: h[:], EntityID: ent.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), CreatedBy: "t"})
	if _, err := e.st.Enroll(ctx, h[:], store.Agent{ID: a.ID, PublicKey: []byte(a.Key.Public().(ed25519.PublicKey)), Hostname: "mairie-win1", OS: "windows"}, now); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, name := range []string{"persistence.json", "events.json", "recent-executables.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "incident", "windows-bundle", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	// The fixtures' host clock: the collection ran then, the incident is
	// declared then.
	declared := checkstest.Clock
	m, arch, err := hubtest.IncidentBundle(a.Key, a.ID, keys.Age.Recipient(), files, declared,
		protocol.IncidentAnswers{Kind: protocol.IncidentCompromise, AwareAt: declared.Add(-2 * time.Hour), Summary: "Fenêtres PowerShell au démarrage"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Ingest(ctx, m, bytes.NewReader(arch), "upload")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.login(t, "conseiller@csirt.example")
	resp, body := get(t, c, e.srv.URL+"/incidents/"+itoa(got.Incident.ID))
	if resp.StatusCode != 200 {
		t.Fatalf("incident page: %d", resp.StatusCode)
	}
	start := strings.Index(body, `id="persistence"`)
	end := strings.Index(body, `id="events"`)
	if start < 0 || end < start {
		t.Fatalf("no persistence section:\n%s", body)
	}
	recent := map[string]bool{}
	for _, r := range rowRE.FindAllStringSubmatch(body[start:end], -1) {
		for _, name := range []string{"OneDriveSync", "SecurityHealth", "Updater", "ScheduledDefrag", "svchelper", "Spooler"} {
			if strings.Contains(r[2], " "+name+"</td>") {
				recent[name] = r[1] == "recent"
			}
		}
		if strings.Contains(r[2], "OneDriveSync") && !strings.Contains(html.UnescapeString(r[2]), `HKCU:\SOFTWARE\Microsoft\Windows\CurrentVersion\Run`) {
			t.Errorf("Run key row without its key: %s", r[2])
		}
	}
	want := map[string]bool{"OneDriveSync": true, "Updater": true, "svchelper": true, "SecurityHealth": false, "ScheduledDefrag": false, "Spooler": false}
	for name, w := range want {
		if r, ok := recent[name]; !ok || r != w {
			t.Errorf("%s: shown %v, recent %v, want recent %v", name, ok, r, w)
		}
	}
}
