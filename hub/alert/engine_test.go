package alert_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
)

// A host's life: enrolled (alert), first scorecard (baseline, silent), a
// critical check failing (critical + regression), the same failure again
// (nothing: one alert until it changes), fixed (fixed, once).
func TestHostEventsAndBaseline(t *testing.T) { hostEvents(t, newFixture(t, nil)) }

// The same on PostgreSQL, whose scorecards are read in commit order by
// their ingest_id column.
func TestHostEventsAndBaselinePostgres(t *testing.T) {
	hostEvents(t, makeFixtureDSN(t, pgtest.DSN(t), nil, false))
}

func hostEvents(t *testing.T, f *fixture) {
	a := f.enroll(1)
	f.detect()
	f.deliver()
	if got := f.hook.types(); !cmp.Equal(got, []string{"agent-enrolled"}) {
		t.Fatalf("after enrolment: %v", got)
	}
	f.hook.take()

	// First scorecard: already failing a critical check, yet silent.
	f.upload(a, "1.0.0", []string{"hygiene.exposed-ports"}, nil)
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("first scorecard alerted: %+v", got)
	}
	// Same failure, nothing new: nothing.
	f.upload(a, "1.0.0", []string{"hygiene.exposed-ports"}, nil)
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("unchanged scorecard alerted: %+v", got)
	}
	// Fixed, but it never alerted: no "fixed"; the level rises: nothing.
	f.upload(a, "1.0.0", nil, nil)
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("a failure that never alerted said fixed: %+v", got)
	}
	// A new critical failure: critical (naming it) and the level drop.
	f.upload(a, "1.0.0", []string{"backup.recent", "hygiene.ssh"}, nil)
	f.detect()
	f.deliver()
	got := f.hook.take()
	slices.SortFunc(got, func(x, y alert.Body) int { return strings.Compare(y.Type, x.Type) })
	if len(got) != 2 || got[0].Type != "regression" || got[1].Type != "critical" {
		t.Fatalf("new critical failure gave %+v", got)
	}
	if lv := got[0].Data.Level; lv == nil || lv.To != 1 || lv.From <= 1 {
		t.Errorf("regression level %+v, want a drop to 1", lv)
	}
	if c := got[1].Data.Checks; !cmp.Equal(c, []string{"backup.recent"}) {
		t.Errorf("critical checks %v, want only backup.recent (hygiene.ssh is medium)", c)
	}
	if got[1].Data.Host == nil || got[1].Data.Host.AgentID != a.ID || got[1].Data.Entity == nil || got[1].Data.Entity.Name != "Mairie de Plouguerneau" {
		t.Errorf("critical names %+v %+v", got[1].Data.Host, got[1].Data.Entity)
	}
	if got[1].Data.URL != "https://hub.example:8443/host/"+a.ID {
		t.Errorf("link %q", got[1].Data.URL)
	}
	// Still failing (and another medium failure): nothing.
	f.upload(a, "1.0.0", []string{"backup.recent", "hygiene.smb1"}, nil)
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("a failure already alerted alerted again: %+v", got)
	}
	// Fixed: one "fixed" naming it.
	f.upload(a, "1.0.0", nil, nil)
	f.detect()
	f.deliver()
	got = f.hook.take()
	if len(got) != 1 || got[0].Type != "fixed" || !cmp.Equal(got[0].Data.Checks, []string{"backup.recent"}) || got[0].Data.Fixes != alert.Critical {
		t.Fatalf("fix gave %+v", got)
	}
	// Failing again: a new alert (it changed).
	f.upload(a, "1.0.0", []string{"backup.recent"}, nil)
	f.detect()
	f.deliver()
	if got := f.hook.types(); !slices.Contains(got, "critical") {
		t.Fatalf("a failure back after its fix: %v", got)
	}
}

// A level drop or a critical failure that comes with a new agent version
// (the scoring rules ship with it) or a check's new version moves the
// baseline silently; it is listed in the daily digest, once.
func TestVersionChangeRebaselinesQuietly(t *testing.T) {
	f := newFixture(t, nil)
	a := f.enroll(2)
	f.upload(a, "1.0.0", nil, nil)
	f.detect()
	f.deliver()
	f.hook.take()

	// Agent 1.1.0 runs backup.recent at version 2, which now fails.
	f.upload(a, "1.1.0", []string{"backup.recent"}, map[string]int{"backup.recent": 2})
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("a version change alerted: %+v", got)
	}
	// The quiet events are stored for the digest.
	evs := quietEvents(t, f)
	if len(evs) != 2 {
		t.Fatalf("quiet events %v, want the regression and the critical failure", evs)
	}
	// Then a real failure with the same version alerts.
	f.upload(a, "1.1.0", []string{"backup.recent", "patch.os-support"}, map[string]int{"backup.recent": 2})
	f.detect()
	f.deliver()
	got := f.hook.take()
	if len(got) != 1 || got[0].Type != "critical" || !cmp.Equal(got[0].Data.Checks, []string{"patch.os-support"}) {
		t.Fatalf("a real failure after the version change: %+v", got)
	}

	// A new agent version with a check of unchanged version failing: the
	// host's doing, it alerts.
	f.upload(a, "1.2.0", []string{"backup.recent", "patch.os-support", "hygiene.exposed-ports"}, map[string]int{"backup.recent": 2})
	f.detect()
	f.deliver()
	got = f.hook.take()
	if len(got) != 1 || got[0].Type != "critical" || !cmp.Equal(got[0].Data.Checks, []string{"hygiene.exposed-ports"}) {
		t.Fatalf("an unchanged check failing under a new agent: %+v", got)
	}
}

func quietEvents(t *testing.T, f *fixture) []string {
	t.Helper()
	var out []string
	for id := int64(1); ; id++ {
		ev, err := store.Alerts(f.st).AlertEvent(f.ctx, id)
		if err != nil {
			break
		}
		if ev.Quiet {
			out = append(out, ev.Kind+":"+string(ev.Data))
		}
	}
	return out
}

// A hub that meets alerts for the first time with hosts already
// reporting (an upgrade) sets every baseline silently: no storm.
func TestFirstRunIsSilent(t *testing.T) {
	f := makeFixture(t, func(c *alert.Config) { c.SilentDays = 1 }, true)
	var agents = []uint64{10, 11, 12}
	for _, s := range agents {
		a := f.enroll(s)
		f.upload(a, "1.0.0", []string{"backup.recent"}, nil)
	}
	// One entity silent for days already.
	quiet, _ := f.st.EnsureEntity(f.ctx, "Port de Brest", "port")
	f.ent = quiet
	f.enroll(13)
	f.clock.Add(72 * time.Hour)
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("first run alerted: %+v", got)
	}
	// Then a new enrolment does alert.
	f.enroll(14)
	f.detect()
	f.deliver()
	if got := f.hook.types(); !cmp.Equal(got, []string{"agent-enrolled"}) {
		t.Fatalf("after first run: %v", got)
	}
}

// Revocation alerts once; an entity silent for N days alerts once.
func TestRevokedAndSilent(t *testing.T) {
	f := newFixture(t, func(c *alert.Config) { c.SilentDays = 2; c.AgentScan = time.Millisecond })
	a := f.enroll(20)
	f.upload(a, "1.0.0", nil, nil)
	f.detect()
	f.hook.take()
	f.deliver()
	f.hook.take()
	if err := f.st.RevokeAgent(f.ctx, a.ID, "admin@x", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	b := f.enroll(21)
	f.upload(b, "1.0.0", nil, nil)
	f.clock.Add(time.Minute)
	f.detect()
	f.deliver()
	if got := f.hook.types(); !cmp.Equal(sorted(got), []string{"agent-enrolled", "agent-revoked"}) {
		t.Fatalf("revocation: %v", got)
	}
	f.hook.take()
	f.clock.Add(3 * 24 * time.Hour)
	f.detect()
	f.clock.Add(2 * time.Minute)
	f.detect()
	f.deliver()
	got := f.hook.take()
	if len(got) != 1 || got[0].Type != "silent" || got[0].Data.SilentDays != 2 {
		t.Fatalf("silence: %+v", got)
	}
}

// The advisory matching's interface, driven by a fake producer: a recent
// advisory alerts once per (advisory, entity) with its hosts; an old one
// is recorded silently; gone, the alerted one says fixed, the other
// nothing; the same report twice changes nothing.
func TestExposures(t *testing.T) {
	f := newFixture(t, nil)
	a := f.enroll(30)
	f.detect()
	f.deliver()
	f.hook.take()
	now := f.clock.Now()
	recent := alert.Found{EntityID: f.ent.ID, Advisory: alert.AdvisoryRef{ID: "CERTFR-2026-AVI-0210", Title: "Vulnérabilité dans OpenSSH", URL: "https://www.cert.ssi.gouv.fr/avis/CERTFR-2026-AVI-0210/", Published: now.Add(-48 * time.Hour)},
		Exposed: []alert.ExposedHost{{AgentID: a.ID, Hostname: a.Host.Hostname, Product: "openssh-server", Version: "1:9.2p1-2+deb12u3"}}}
	old := alert.Found{EntityID: f.ent.ID, Advisory: alert.AdvisoryRef{ID: "CERTFR-2024-AVI-0001", Title: "Ancien", Published: now.AddDate(-1, 0, 0)},
		Exposed: recent.Exposed}
	revised := alert.Found{EntityID: f.ent.ID, Advisory: alert.AdvisoryRef{ID: "CERTFR-2025-AVI-0999", Title: "Révisé", Published: now.AddDate(-1, 0, 0), Revised: now.Add(-time.Hour)},
		Exposed: recent.Exposed}
	for range 2 {
		if err := f.eng.Exposures(f.ctx, []int64{f.ent.ID}, []alert.Found{recent, old, revised}); err != nil {
			t.Fatal(err)
		}
	}
	f.deliver()
	got := f.hook.take()
	var ids []string
	for _, b := range got {
		if b.Type != "exposure" || b.Data.Advisory == nil || len(b.Data.Exposed) != 1 {
			t.Fatalf("exposure body %+v", b)
		}
		ids = append(ids, b.Data.Advisory.ID)
	}
	slices.Sort(ids)
	if !cmp.Equal(ids, []string{"CERTFR-2025-AVI-0999", "CERTFR-2026-AVI-0210"}) {
		t.Fatalf("exposures alerted %v, want the recent and the revised", ids)
	}
	// All gone.
	if err := f.eng.Exposures(f.ctx, []int64{f.ent.ID}, nil); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	got = f.hook.take()
	ids = nil
	for _, b := range got {
		if b.Type != "fixed" || b.Data.Fixes != alert.Exposure {
			t.Fatalf("gone: %+v", b)
		}
		ids = append(ids, b.Data.Advisory.ID)
	}
	slices.Sort(ids)
	if !cmp.Equal(ids, []string{"CERTFR-2025-AVI-0999", "CERTFR-2026-AVI-0210"}) {
		t.Fatalf("fixed %v, want only those that alerted", ids)
	}
	// A report naming an entity outside its scope is refused, nothing written.
	if err := f.eng.Exposures(f.ctx, nil, []alert.Found{recent}); err == nil {
		t.Fatal("exposure outside the report's entities accepted")
	}
}

// A webhook that fails is retried with backoff, same webhook-id, until it
// acknowledges; the log shows every attempt; a delivery never
// acknowledged expires after 3 days.
func TestRetryAndExpiry(t *testing.T) {
	f := newFixture(t, nil)
	f.hook.fail = 2
	f.enroll(40)
	f.detect()
	f.deliver()
	if f.hook.posts != 1 || len(f.hook.types()) != 0 {
		t.Fatalf("first attempt: %d posts", f.hook.posts)
	}
	f.deliver() // not due yet
	if f.hook.posts != 1 {
		t.Fatalf("retried before its backoff: %d posts", f.hook.posts)
	}
	f.clock.Add(31 * time.Second)
	f.deliver()
	f.clock.Add(61 * time.Second)
	f.deliver()
	if got := f.hook.types(); !cmp.Equal(got, []string{"agent-enrolled"}) || f.hook.posts != 3 {
		t.Fatalf("after retries: %v in %d posts", got, f.hook.posts)
	}
	ds := f.deliveries()
	if len(ds) != 1 || ds[0].State != store.DeliverySent || ds[0].Attempts != 3 {
		t.Fatalf("delivery %+v", ds)
	}
	_, log, err := store.Alerts(f.st).DeliveryLog(f.ctx, ds[0].ID)
	if err != nil || len(log) != 3 || log[0].OK || !log[2].OK || !strings.Contains(log[0].Detail, "503") {
		t.Fatalf("log %+v %v", log, err)
	}

	// Never acknowledged: expired after 3 days, no attempt after.
	f.hook.mu.Lock()
	f.hook.fail = 1 << 30
	f.hook.mu.Unlock()
	f.enroll(41)
	f.detect()
	for range 200 {
		f.deliver()
		f.clock.Add(time.Hour)
	}
	ds = f.deliveries()
	if ds[0].State != store.DeliveryExpired {
		t.Fatalf("after 3 days: %+v", ds[0])
	}
	if ds[0].Attempts > 80 {
		t.Errorf("%d attempts in 3 days: backoff not growing", ds[0].Attempts)
	}
}

func TestWebhookURLAndSecret(t *testing.T) {
	for _, ok := range []string{"https://tickets.example/hooks", "http://127.0.0.1:8080/x", "http://[::1]/x", "http://localhost:9/x"} {
		if err := alert.CheckWebhookURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://tickets.example/hooks", "http://10.0.0.1/x", "ftp://x/y", "https://user:pw@x/y", "//x/y", ""} {
		if err := alert.CheckWebhookURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, bad := range []string{"", "secret", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := alert.DecodeSecret(bad); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
	// The Standard Webhooks specification's example.
	key, err := alert.DecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	sig := alert.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("signature %s differs from the specification's example", sig)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Every event has a French and an English name, different (the English
// page must not show French), and the identifier stays for the unknown.
func TestKindNames(t *testing.T) {
	for _, k := range append(slices.Clone(alert.Kinds), alert.DigestType) {
		fr, en := k.Name("fr"), k.Name("en")
		if fr == string(k) || en == string(k) || fr == en {
			t.Errorf("%s: fr %q, en %q", k, fr, en)
		}
		if k.Name("") != fr {
			t.Errorf("%s: default language is not French", k)
		}
	}
	if got := alert.Kind("nouveau").Name("en"); got != "nouveau" {
		t.Errorf("unknown event named %q", got)
	}
}
