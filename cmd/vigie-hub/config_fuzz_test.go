package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/alert"
)

// FuzzConfigFile: the hub's configuration file (TOML). Property: a file
// refused gives a configError naming the file and a line within it (or
// none); a file accepted holds only what serve can use: each webhook with
// a URL CheckWebhookURL accepts, a valid secret and known events, an
// [smtp] that passes Check, and top-level keys that are serve's options
// (or the few other commands take), which apply to the flags or give a
// configError.
func FuzzConfigFile(f *testing.F) {
	dir := f.TempDir()
	secret := filepath.Join(dir, "webhook.secret")
	os.WriteFile(secret, []byte(alert.NewSecret()+"\n"), 0o600)
	pw := filepath.Join(dir, "smtp.pass")
	os.WriteFile(pw, []byte("mot de passe\n"), 0o600)
	for _, s := range []string{
		"db = \"/var/lib/vigie-hub/hub.db\"\nlisten = \":8443\"\nsilent_days = 20\nsan = [\"hub.example\", \"10.0.0.1\"]\n",
		fmt.Sprintf("[smtp]\naddr = \"smtp.region.example:587\"\nfrom = \"vigie@csirt.example\"\nuser = \"vigie\"\npassword_file = %q\ntls = \"starttls\"\n", pw),
		fmt.Sprintf("[[webhook]]\nurl = \"https://tickets.example/hooks/vigie\"\nsecret_file = %q\nevents = [\"exposure\", \"regression\", \"critical\", \"fixed\"]\n", secret),
		fmt.Sprintf("[[webhook]]\nurl = \"http://tickets.example/h\"\nsecret_file = %q\nevents = [\"critical\"]\n", secret),
		"[smtp]\naddr = \"smtp.example:25\"\nfrom = \"v@x.example\"\ntls = \"none\"\n",
		"[webhook]\nurl = \"https://x.example/\"\n",
		"alerts_per_hour = \"beaucoup\"\n", "listen = \n", "[[webhook]]\nevents = [1, 2]\n", "config = \"x\"\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(t.TempDir(), "hub.toml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		o := newServe()
		cf, err := loadConfig(path, o.c.fs)
		lines := strings.Count(text, "\n") + 1
		checkErr := func(err error) {
			var ce configError
			if !errors.As(err, &ce) || ce.path != path || ce.line < 0 || ce.line > lines || !strings.HasPrefix(err.Error(), path) || ce.msg == "" {
				t.Fatalf("error %v (%#v) for\n%s", err, err, text)
			}
		}
		if err != nil {
			checkErr(err)
			return
		}
		for i, w := range cf.Hook {
			if alert.CheckWebhookURL(w.URL) != nil || len(w.Events) == 0 {
				t.Fatalf("webhook %d accepted: %+v", i, w)
			}
			if _, err := alert.DecodeSecret(w.Secret); err != nil {
				t.Fatalf("webhook %d secret: %v", i, err)
			}
			for _, e := range w.Events {
				if _, err := alert.ParseKind(e); err != nil {
					t.Fatalf("webhook %d event: %v", i, err)
				}
			}
		}
		if cf.SMTP != nil {
			c := *cf.SMTP
			if err := c.Check(); err != nil {
				t.Fatalf("[smtp] accepted: %v", err)
			}
		}
		for k := range cf.top {
			if o.c.fs.Lookup(strings.ReplaceAll(k, "_", "-")) == nil && !fileOnlyKeys[k] || k == "config" {
				t.Fatalf("key %q accepted", k)
			}
		}
		if err := cf.apply(o.c.fs); err != nil {
			checkErr(err)
		}
	})
}
