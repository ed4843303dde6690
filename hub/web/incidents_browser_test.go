package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

// incidentEnv is a hub with the incidents service and the alert engine,
// and one hospital incident declared 20 hours ago (aware 21 hours ago).
func incidentEnv(t *testing.T) (*env, *alert.Engine, store.Incident) {
	t.Helper()
	var x *app.Incidents
	var eng *alert.Engine
	keys, _ := hubkeys.Generate()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5, func(c *web.Config) {
		var err error
		eng, err = alert.New(alert.Config{Store: c.Store, SMTP: &alert.SMTPConfig{Addr: "127.0.0.1:1", From: "vigie@csirt.example", TLS: alert.TLSNone}})
		if err != nil {
			t.Fatal(err)
		}
		x, err = app.NewIncidents(app.IncidentConfig{Store: c.Store, Dir: filepath.Join(t.TempDir(), "incidents"), Keys: keys, Alerts: eng, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		c.Alerts, c.Incidents = eng, x
	})
	ctx := context.Background()
	// The adviser follows hospitals: the incident alerts them.
	u, _ := e.st.UserByEmail(ctx, "conseiller@csirt.example")
	if err := store.Alerts(e.st).SetSubscription(ctx, store.Subscription{UserID: u.ID, Mode: "now", Events: []string{"incident"}, Sectors: []string{"hospital"}}); err != nil {
		t.Fatal(err)
	}
	a := hubtest.NewAgent(11, 0.5)
	ent, _ := e.st.EnsureEntity(ctx, "CH de Morlaix", "hospital")
	h := sha256.Sum256([]byte("tok"))
	e.st.CreateToken(ctx, store.Token{Hash: h[:], EntityID: ent.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), CreatedBy: "t"})
	if _, err := e.st.Enroll(ctx, h[:], store.Agent{ID: a.ID, PublicKey: []byte(a.Key.Public().(ed25519.PublicKey)), Hostname: "ch-pc1", OS: "linux"}, now); err != nil {
		t.Fatal(err)
	}
	declared := now.Add(-20 * time.Hour)
	m, arch, err := hubtest.IncidentBundle(a.Key, a.ID, keys.Age.Recipient(), hubtest.IncidentFiles(declared), declared,
		protocol.IncidentAnswers{Kind: protocol.IncidentRansomware, AwareAt: declared.Add(-time.Hour), Summary: "Écran de rançon sur le poste des admissions", Contact: "M. Y, 02 98 00 00 00"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Ingest(ctx, m, bytes.NewReader(arch), "upload")
	if err != nil {
		t.Fatal(err)
	}
	return e, eng, got.Incident
}

// TestBrowserIncident drives Chromium through an incident: the list by
// entity with its next deadline, the page with the answers, the NIS2
// deadlines and their remaining time (early warning: 3 h left; the
// notification 51 h), the drafts, the planted cron entry and systemd unit
// highlighted as recent; the adviser takes the incident, ticks the
// personal-data breach (the CNIL deadline appears) and leaves a note. The
// new incident queued an alert to the adviser who follows hospitals.
func TestBrowserIncident(t *testing.T) {
	t.Parallel()
	chromium := checkstest.Need(t, "chromium")
	e, _, in := incidentEnv(t)
	ds, err := store.Alerts(e.st).Deliveries(context.Background(), 10)
	if err != nil || len(ds) != 1 || ds[0].Address != "conseiller@csirt.example" {
		t.Fatalf("incident alert deliveries %+v %v", ds, err)
	}
	b := newBrowser(t, chromium, 1200)
	base := e.srv.URL
	b.do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "conseiller@csirt.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "mot de passe très long"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#heatmap`)))
	b.do("open incidents", chromedp.Click(chromedp.CSS(`nav a[href="/incidents"]`)), chromedp.WaitVisible(chromedp.CSS(`.incident-entity`)))
	list := b.text(`.incident-entity`)
	for _, want := range []string{"CH de Morlaix", "entité NIS2", "rançongiciel", "Écran de rançon", "Alerte précoce au CSIRT (24 h) : reste 3 h 0 min", "personne"} {
		if !strings.Contains(list, want) {
			t.Errorf("incidents list lacks %q:\n%s", want, list)
		}
	}
	b.shot("incidents-list")
	b.do("open the incident", chromedp.Click(chromedp.CSS(`.incident-row a`)), chromedp.WaitVisible(chromedp.CSS(`#clock`)))
	clock := b.text(`#clock`)
	for _, want := range []string{"Alerte précoce au CSIRT (24 h)", "reste 3 h 0 min", "Notification d'incident (72 h)", "reste 2 j 3 h", "Rapport final", "NIS2, art. 23(4)(a)"} {
		if !strings.Contains(clock, want) {
			t.Errorf("clock lacks %q:\n%s", want, clock)
		}
	}
	if strings.Contains(clock, "CNIL") {
		t.Error("CNIL deadline without a personal-data breach")
	}
	draft, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#dl-nis2-early-warning textarea`)))
	if err != nil || !strings.Contains(draft, "Écran de rançon") || !strings.Contains(draft, "CH de Morlaix") || !strings.Contains(draft, "dont 2 créés ou modifiés") {
		t.Errorf("early warning draft: %q %v", draft, err)
	}
	recent, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#persistence tr.recent code')].map(c => c.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(recent, " ")
	if !strings.Contains(joined, "/etc/cron.d/sysupdate") || !strings.Contains(joined, "/etc/systemd/system/dbus-helper.service") || strings.Contains(joined, "ssh.service") {
		t.Errorf("recent persistence rows: %v", recent)
	}
	b.shot("incident-page")
	b.do("take it, personal data, note",
		chromedp.SetValue(chromedp.CSS(`#iadviser`), "conseiller@csirt.example"),
		chromedp.Click(chromedp.CSS(`#ipersonal`)),
		chromedp.SendKeys(chromedp.CSS(`#inote`), "Rappelé M. Y : postes isolés."),
		chromedp.Click(chromedp.CSS(`#isave`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if s := b.text(`#status`); s != "en cours" {
		t.Errorf("status after taking it: %q", s)
	}
	if s := b.text(`#clock`); !strings.Contains(s, "Notification à la CNIL (72 h)") {
		t.Errorf("no CNIL deadline after the toggle:\n%s", s)
	}
	if s := b.text(`#notes`); !strings.Contains(s, "Rappelé M. Y") || !strings.Contains(s, "en charge : conseiller@csirt.example") {
		t.Errorf("notes: %q", s)
	}
	got, _ := e.st.Incident(context.Background(), in.ID)
	if got.Adviser != "conseiller@csirt.example" || !got.PersonalData || got.Status != store.IncidentInProgress {
		t.Errorf("stored follow-up %+v", got)
	}
	b.do("english", chromedp.Navigate(base+"/incidents/"+itoa(in.ID)+"?lang=en"), chromedp.WaitVisible(chromedp.CSS(`#clock`)))
	if s := b.text(`#clock`); !strings.Contains(s, "Early warning to the CSIRT (24 h)") || !strings.Contains(s, "3 h 0 min left") {
		t.Errorf("English clock:\n%s", s)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
