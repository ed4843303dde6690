package web_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
	vreport "github.com/vigie-cyber/vigie/report"
)

// enrolHost enrols a in the entity and stores one signed scorecard of it.
func enrolHost(t testing.TB, st store.Store, entity string, a *hubtest.Agent) (store.Agent, *protocol.Scorecard) {
	t.Helper()
	ctx := context.Background()
	e, err := st.EnsureEntity(ctx, entity, "commune")
	if err != nil {
		t.Fatal(err)
	}
	tok := "tok-" + a.ID
	st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now.AddDate(0, -1, 0), ExpiresAt: now})
	ag, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey), Hostname: a.Host.Hostname, OS: a.Host.OS, Platform: a.Host.Platform, AgentVersion: "1.0.0"}, now.AddDate(0, -1, 0))
	if err != nil {
		t.Fatal(err)
	}
	sc := a.Next(now)
	if o, err := st.SaveScorecard(ctx, api.Record(sc.Summary(), a.Sign(sc), now)); err != nil || o != store.Stored {
		t.Fatalf("save: %v %v", o, err)
	}
	return ag, sc
}

func allYes() url.Values {
	v := url.Values{}
	for _, q := range organisation.Questions() {
		v.Set(q.ID, "yes")
	}
	return v
}

var (
	capReasonRE = regexp.MustCompile(`(?s)id="capreason">(.*?)</p>`)
	levelNameRE = regexp.MustCompile(`id="entitylevelname">(.*?)</strong>`)
)

func between(re *regexp.Regexp, body string) string {
	if m := re.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// TestEntityAnswersForm: an adviser fills the entity's answers on its page
// (CSRF like every form, audited); the entity level and its cap reason
// follow; who answered and when is shown, « ne sait pas » as « non
// renseigné »; an agent's answers are shown as the agent's.
func TestEntityAnswersForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	h1, h2 := hubtest.NewAgent(41, 1), hubtest.NewAgent(44, 1)
	ag, sc := enrolHost(t, e.st, "Mairie de Landerneau", h1)
	enrolHost(t, e.st, "Mairie de Landerneau", h2)
	if sc.Level != protocol.MaxLevel {
		t.Fatalf("test setup: host level %d", sc.Level)
	}
	c, csrf := e.login(t, "conseiller@csirt.example")
	page := fmt.Sprintf("%s/entity/%d", e.srv.URL, ag.EntityID)
	_, body := get(t, c, page)
	if r := between(capReasonRE, body); !strings.Contains(r, "questions d'organisation ne sont pas renseignées") {
		t.Errorf("no answers: cap reason %q", r)
	}
	if lv := between(levelNameRE, body); lv != "Intermédiaire" {
		t.Errorf("no answers: entity level %q, want Intermédiaire (each host is Optimal)", lv)
	}
	if !strings.Contains(body, "Optimal") || !strings.Contains(body, "déclaré\u00a0: non renseigné") || !strings.Contains(body, "Les 6 mesures prioritaires") {
		t.Error("entity page lacks the host levels, « non renseigné » answers or the priority measures")
	}

	post := func(v url.Values) *http.Response {
		t.Helper()
		resp, err := c.PostForm(page+"/answers", v)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := post(allYes()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("answers without CSRF: %d", resp.StatusCode)
	}
	if got, _ := e.st.Answers(context.Background(), ag.EntityID); len(got) != 0 {
		t.Fatalf("answers stored without CSRF: %v", got)
	}
	v := allYes()
	v.Set("csrf", csrf)
	resp := post(v)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), fmt.Sprintf("/entity/%d?saved=%d", ag.EntityID, len(organisation.Questions()))) {
		t.Fatalf("answers: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = get(t, c, page)
	if lv := between(levelNameRE, body); lv != "Optimal" || strings.Contains(body, `id="capreason"`) {
		t.Errorf("all yes: entity level %q, cap reason %q", lv, between(capReasonRE, body))
	}
	if !strings.Contains(body, "conseiller@csirt.example") {
		t.Error("who answered is not shown")
	}

	v = url.Values{"csrf": {csrf}, "org.offline-backup": {"unknown"}}
	if resp := post(v); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer « ne sait pas »: %d", resp.StatusCode)
	}
	_, body = get(t, c, page)
	if r := between(capReasonRE, body); !strings.Contains(r, "org.offline-backup") || between(levelNameRE, body) != "Émergent" {
		t.Errorf("offline backup « ne sait pas »: level %q, cap reason %q", between(levelNameRE, body), r)
	}
	if !strings.Contains(body, "déclaré\u00a0: non renseigné (ne sait pas)") {
		t.Error("« ne sait pas » not shown as « non renseigné »")
	}
	if resp := post(url.Values{"csrf": {csrf}, "org.offline-backup": {"peut-être"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid answer: %d", resp.StatusCode)
	}

	// The agent sends its questionnaire: its answer replaces the adviser's
	// and is shown as the agent's.
	r, err := h1.SendAnswers(context.Background(), e.srv.Client(), e.srv.URL, h1.SignAnswers(map[string]string{"org.offline-backup": "yes"}, now))
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("agent answers: %+v %v", r, err)
	}
	_, body = get(t, c, page)
	if !strings.Contains(body, "agent "+h1.Host.Hostname) || strings.Contains(body, `id="capreason"`) {
		t.Errorf("after the agent's answers: agent not shown or still capped (%q)", between(capReasonRE, body))
	}
	log, _ := e.st.AuditLog(context.Background(), 50)
	seen := map[string]bool{}
	for _, x := range log {
		seen[x.Action+" "+x.Actor] = true
	}
	if !seen["answers_set conseiller@csirt.example"] || !seen["answers_agent agent:"+h1.ID] {
		t.Errorf("answers not audited: %v", seen)
	}
}

// TestHostTopMeasures: the host page opens with its 6 priority measures in
// vreport.Prioritise's order with the catalogue's ranks, each with only the
// host's own OS steps.
func TestHostTopMeasures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 5)
	win, deb := hubtest.NewAgent(45, 0), hubtest.NewAgent(46, 0) // 45: Windows, 46: Debian
	if win.Host.OS != "windows" || deb.Host.OS != "linux" {
		t.Fatalf("test setup: %s, %s", win.Host.OS, deb.Host.OS)
	}
	c, _ := e.login(t, "conseiller@csirt.example")
	for _, a := range []*hubtest.Agent{win, deb} {
		_, sc := enrolHost(t, e.st, "Port du Légué", a)
		_, body := get(t, c, e.srv.URL+"/host/"+a.ID)
		want := vreport.Prioritise(sc.Results, func(id string) int { return guidance[id].Rank })
		if len(want) < vreport.TopActions {
			t.Fatalf("test setup: %d measures", len(want))
		}
		top := body[strings.Index(body, `id="top6"`):]
		top = top[:strings.Index(top, "</ol>")]
		items := regexp.MustCompile(`id="m-([^"]+)"`).FindAllStringSubmatch(top, -1)
		if len(items) != vreport.TopActions {
			t.Fatalf("%s: %d measures on top, want %d", a.Host.OS, len(items), vreport.TopActions)
		}
		for i, m := range items {
			if m[1] != want[i].ID {
				t.Errorf("%s: measure %d is %s, want %s", a.Host.OS, i+1, m[1], want[i].ID)
			}
		}
		other := map[string]string{"windows": "debian", "linux": "windows"}[a.Host.OS]
		checked := 0
		for _, w := range want[:vreport.TopActions] {
			g := guidance[w.ID]
			own := g.FixFor("fr", a.Host.OS, a.Host.PlatformFamily)
			var foreign string
			if other == "windows" {
				foreign = g.FR.FixWindows
			} else {
				foreign = g.FR.FixDebian
			}
			if !strings.Contains(html.UnescapeString(top), own) {
				t.Errorf("%s: %s lacks its own steps %q", a.Host.OS, w.ID, own)
			}
			if foreign != "" && !strings.Contains(own, foreign) {
				checked++
				if strings.Contains(html.UnescapeString(top), foreign) {
					t.Errorf("%s: %s shows the %s steps", a.Host.OS, w.ID, other)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no measure with another OS's steps to leave out: the test proves nothing", a.Host.OS)
		}
	}
}
