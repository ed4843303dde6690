package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/hubtest"
)

// hookReceiver is a CSIRT's webhook endpoint on loopback: it checks every
// Standard Webhooks signature and keeps each webhook-id's body once.
type hookReceiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server
	mu     sync.Mutex
	seen   map[string]bool
	bodies []alert.Body
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, secret: alert.NewSecret(), seen: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(q.Body, 1<<20))
		id := q.Header.Get("webhook-id")
		if err := alert.Verify(r.secret, id, q.Header.Get("webhook-timestamp"), q.Header.Get("webhook-signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var b alert.Body
		if err := json.Unmarshal(body, &b); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		r.mu.Lock()
		if !r.seen[id] {
			r.seen[id] = true
			r.bodies = append(r.bodies, b)
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// summary lists the exposures and their fixes that arrived: type,
// advisory, entity, hosts.
func (r *hookReceiver) summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		if b.Type == "fixed" && (b.Data == nil || b.Data.Fixes != alert.Exposure) {
			continue // a critical check fixed (hubtest's agents change results at random)
		}
		line := b.Type
		if b.Data != nil && b.Data.Advisory != nil {
			line += " " + b.Data.Advisory.ID
		}
		if b.Data != nil && b.Data.Entity != nil {
			line += " " + b.Data.Entity.Name
		}
		var hosts []string
		if b.Data != nil {
			for _, h := range b.Data.Exposed {
				hosts = append(hosts, h.Hostname+"="+h.Version)
			}
		}
		if len(hosts) > 0 {
			line += " [" + strings.Join(hosts, " ") + "]"
		}
		out = append(out, line)
	}
	return out
}

// waitFor waits until n bodies arrived, then a little more for any that
// should not.
func (r *hookReceiver) waitFor(n int) []string {
	deadline := time.Now().Add(20 * time.Second)
	for len(r.summary()) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	return r.summary()
}

// recentAdvisory writes CERT-FR's AVI-1092 (Windows, December 2025) into
// dir as if published yesterday: a new exposure to it alerts.
func recentAdvisory(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(advisoryData, "docs", "CERTFR-2025-AVI-1092.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["revisions"] = []map[string]string{{"description": "Version initiale",
		"revision_date": time.Now().Add(-24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000000")}}
	out, _ := json.Marshal(doc)
	p := filepath.Join(dir, "recent", "CERTFR-2025-AVI-1092.json")
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExposureAlertEndToEnd: the real `serve` with a webhook from its
// configuration file; a CERT-FR advisory published yesterday imported by
// the command line; a host whose signed inventory matches it uploads over
// HTTPS: one "exposure" for (advisory, entity), listing the host and its
// version. A second host of the same entity, the same scorecard again, a
// hub restarted: nothing more. Both hosts updated: one "fixed". An old
// advisory (AVI-1099, December 2025) exposing the same hosts alerts
// nothing: the baseline (published or revised within 7 days).
func TestExposureAlertEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--expires", "1h", "--uses", "2")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
	if code != 0 || tok == nil {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	adv := recentAdvisory(t, dir)
	if code, out, stderr := cli(t, "", "advisories", "import", "--db", db, adv, filepath.Join(advisoryData, "docs", "CERTFR-2025-AVI-1099.json")); code != 0 {
		t.Fatalf("import: %d %q %q", code, out, stderr)
	}

	recv := newHookReceiver(t)
	secretFile := filepath.Join(dir, "webhook.secret")
	os.WriteFile(secretFile, []byte(recv.secret+"\n"), 0o600)
	conf := filepath.Join(dir, "hub.toml")
	os.WriteFile(conf, []byte(fmt.Sprintf("[[webhook]]\nurl = %q\nsecret_file = %q\nevents = [\"exposure\", \"fixed\"]\n", recv.srv.URL+"/hook", secretFile)), 0o600)

	h := runServe(t, db, "--config", conf)
	client, hub := pinned(h.spki), "https://"+h.addr
	accueil := win10(71, "PC-ACCUEIL", "10.0.19045.6575", "140.5.0")
	elus := win10(72, "PC-ELUS", "10.0.19045.6600", "140.5.0")
	up := func(a *hubtest.Agent) {
		t.Helper()
		r, err := a.Upload(ctx, client, hub, a.Sign(a.Next(time.Now())))
		if err != nil || r.Status != http.StatusCreated {
			t.Fatalf("upload: %v %+v", err, r)
		}
	}
	if r, err := accueil.Enroll(ctx, client, hub, tok[1]); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("enrol: %v %+v", err, r)
	}
	up(accueil)
	want := []string{"exposure CERTFR-2025-AVI-1092 Mairie de Plouguerneau [PC-ACCUEIL=10.0.19045.6575]"}
	if got := recv.waitFor(len(want)); !slices.Equal(got, want) {
		t.Fatalf("webhooks after the matching upload:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The same inventory again, a second host of the same entity: the
	// (advisory, entity) already alerted.
	up(accueil)
	if r, err := elus.Enroll(ctx, client, hub, tok[1]); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("enrol: %v %+v", err, r)
	}
	up(elus)
	if got := recv.waitFor(len(want)); !slices.Equal(got, want) {
		t.Fatalf("webhooks after re-matches:\n%s", strings.Join(got, "\n"))
	}

	// Restarted: the matcher is rebuilt and every entity reported again;
	// nothing new.
	h.stop()
	h = runServe(t, db, "--config", conf)
	client, hub = pinned(h.spki), "https://"+h.addr
	if got := recv.waitFor(len(want)); !slices.Equal(got, want) {
		t.Fatalf("webhooks after a restart:\n%s", strings.Join(got, "\n"))
	}

	// Both hosts updated Windows: one "fixed" for the entity.
	accueil.Host.OSBuild, elus.Host.OSBuild = "10.0.19045.6691", "10.0.19045.6691"
	up(accueil)
	if got := recv.waitFor(len(want)); !slices.Equal(got, want) {
		t.Fatalf("fixed while a host is still exposed:\n%s", strings.Join(got, "\n"))
	}
	up(elus)
	want = append(want, "fixed CERTFR-2025-AVI-1092 Mairie de Plouguerneau")
	if got := recv.waitFor(len(want)); !slices.Equal(got, want) {
		t.Fatalf("webhooks after the updates:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
