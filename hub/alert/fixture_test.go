package alert_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// clock is the tests' time, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// receiver is a webhook endpoint that checks every signature, as a
// CSIRT's tool would, and deduplicates by webhook-id.
type receiver struct {
	t      testing.TB
	secret string
	srv    *httptest.Server
	mu     sync.Mutex
	fail   int // answer 503 to this many requests first
	posts  int
	seen   map[string]bool
	bodies []alert.Body
	raws   [][]byte // the bodies as received, deduplicated
	bad    []string
}

func newReceiver(t testing.TB, now func() time.Time) *receiver {
	r := &receiver{t: t, secret: alert.NewSecret(), seen: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(q.Body, 1<<20))
		r.mu.Lock()
		defer r.mu.Unlock()
		r.posts++
		if err := alert.Verify(r.secret, q.Header.Get("webhook-id"), q.Header.Get("webhook-timestamp"), q.Header.Get("webhook-signature"), body, now(), 5*time.Minute); err != nil {
			r.bad = append(r.bad, err.Error())
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if r.fail > 0 {
			r.fail--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		id := q.Header.Get("webhook-id")
		if !r.seen[id] {
			r.seen[id] = true
			var b alert.Body
			if err := json.Unmarshal(body, &b); err != nil {
				r.bad = append(r.bad, "body: "+err.Error())
			}
			r.bodies = append(r.bodies, b)
			r.raws = append(r.raws, body)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// types returns the event types received, in order.
func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		out = append(out, b.Type)
	}
	return out
}

// raw returns the bodies received and forgets them.
func (r *receiver) raw() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.raws
	r.raws, r.bodies = nil, nil
	return out
}

func (r *receiver) take() []alert.Body {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.bodies
	r.bodies, r.raws = nil, nil
	if len(r.bad) > 0 {
		r.t.Errorf("receiver refused: %v", r.bad)
	}
	return out
}

type fixture struct {
	t     testing.TB
	ctx   context.Context
	st    store.Store
	clock *clock
	eng   *alert.Engine
	hook  *receiver
	ent   store.Entity
	n     int
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, tune func(*alert.Config)) *fixture { return makeFixture(t, tune, false) }

func makeFixture(t testing.TB, tune func(*alert.Config), firstRun bool) *fixture {
	return makeFixtureDSN(t, filepath.Join(t.TempDir(), "hub.db"), tune, firstRun)
}

func makeFixtureDSN(t testing.TB, dsn string, tune func(*alert.Config), firstRun bool) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, ctx: ctx, st: st, clock: &clock{t: t0}}
	f.hook = newReceiver(t, f.clock.Now)
	f.ent, err = st.EnsureEntity(ctx, "Mairie de Plouguerneau", "commune")
	if err != nil {
		t.Fatal(err)
	}
	cfg := alert.Config{Store: st, PublicURL: "https://hub.example:8443", Now: f.clock.Now,
		Webhooks: []alert.WebhookConfig{{URL: f.hook.srv.URL + "/hooks/vigie", Secret: f.hook.secret, Events: []string{"exposure", "regression", "critical", "fixed", "agent-enrolled", "agent-revoked", "silent"}}}}
	if tune != nil {
		tune(&cfg)
	}
	if f.eng, err = alert.New(cfg); err != nil {
		t.Fatal(err)
	}
	if !firstRun {
		f.detect() // the hub had alerts before these tests' agents
	}
	return f
}

// enroll enrols a new agent for the fixture's entity.
func (f *fixture) enroll(seed uint64) *hubtest.Agent {
	f.t.Helper()
	a := hubtest.NewAgent(seed, 1)
	f.n++
	tok := fmt.Sprint("tok-", f.n)
	if err := f.st.CreateToken(f.ctx, store.Token{Hash: app.HashToken(tok), EntityID: f.ent.ID, CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Hour)}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.Enroll(f.ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey), Hostname: a.Host.Hostname}, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
	return a
}

// card is a scorecard of a's next scan by agent version `version`: every
// check of hubtest.Catalogue passes but those in fail; versions bumps
// checks' versions (default 1).
func card(a *hubtest.Agent, version string, fail []string, versions map[string]int) *protocol.Scorecard {
	a.Seq++
	cs := make([]checks.Check, len(hubtest.Catalogue))
	rs := make([]protocol.Result, len(hubtest.Catalogue))
	for i, m := range hubtest.Catalogue {
		cs[i] = checks.Func{M: m}
		r := checks.Passed(protocol.Textf("ok", "ok"), nil)
		if slices.Contains(fail, m.ID) {
			r = checks.Failed(protocol.Textf("échec", "failed"), nil)
		}
		r.ID, r.Version, r.Target, r.Declared = m.ID, 1, m.Target, m.Declared
		if v, ok := versions[m.ID]; ok {
			r.Version = v
		}
		rs[i] = r
	}
	at := t0.Add(time.Duration(a.Seq) * time.Hour)
	return report.Build(report.Scan{Checks: cs, Results: rs, Host: a.Host, StartedAt: at.Add(-time.Minute), FinishedAt: at, AgentID: a.ID, AgentVersion: version, Sequence: a.Seq})
}

// upload stores a's next scorecard as the API does.
func (f *fixture) upload(a *hubtest.Agent, version string, fail []string, versions map[string]int) *protocol.Scorecard {
	f.t.Helper()
	sc := card(a, version, fail, versions)
	env := a.Sign(sc)
	out, err := f.st.SaveScorecard(f.ctx, api.Record(sc.Summary(), env, f.clock.Now()))
	if err != nil || out != store.Stored {
		f.t.Fatalf("save: %v %v", out, err)
	}
	return sc
}

// detect runs a detection pass, 5 s (an agent scan) after the last.
func (f *fixture) detect() {
	f.t.Helper()
	f.clock.Add(5 * time.Second)
	if err := f.eng.Detect(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// deliver sends everything due now.
func (f *fixture) deliver() {
	f.t.Helper()
	for {
		busy, err := f.eng.DeliverOnce(f.ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if !busy {
			return
		}
	}
}

func (f *fixture) deliveries() []store.Delivery {
	f.t.Helper()
	ds, err := store.Alerts(f.st).Deliveries(f.ctx, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}
