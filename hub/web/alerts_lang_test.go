package web_test

import (
	"html"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/web"
)

// TestAlertEventNamesFollowLanguage: the alert pages name the events in
// the reader's language (the identifiers, used by configuration and
// webhooks, beside them), never French words on an English page.
func TestAlertEventNamesFollowLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, filepath.Join(t.TempDir(), "hub.db"), 1, func(c *web.Config) {
		eng, err := alert.New(alert.Config{Store: c.Store})
		if err != nil {
			t.Fatal(err)
		}
		c.Alerts = eng
	})
	c, _ := e.login(t, "admin@csirt.example")
	other := map[string]string{"fr": "en", "en": "fr"}
	for _, lang := range []string{"fr", "en"} {
		for page, kinds := range map[string][]alert.Kind{"/alerts": alert.Subscribable, "/admin/alerts": alert.Kinds} {
			resp, body := get(t, c, e.srv.URL+page+"?lang="+lang)
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d", lang, page, resp.StatusCode)
			}
			body = html.UnescapeString(body)
			for _, k := range kinds {
				if !strings.Contains(body, k.Name(lang)+" <code>"+string(k)+"</code>") {
					t.Errorf("%s %s: %s not named %q", lang, page, k, k.Name(lang))
				}
				if w := k.Name(other[lang]); w != k.Name(lang) && strings.Contains(body, w) {
					t.Errorf("%s %s: %s named in %s too (%q)", lang, page, k, other[lang], w)
				}
			}
		}
	}
}
