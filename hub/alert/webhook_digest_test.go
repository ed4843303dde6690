package alert_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
)

// A burst of 1,000 regressions to a webhook gives one signed delivery of
// type "digest" carrying the 1,000 events (nothing lost, one ticket), sent
// at the end of the overflow window; the next event within the hour is
// immediate again. The body follows docs/alerts.md's schema.
func TestWebhookBurstGivesOneDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 hosts")
	}
	f := newFixture(t, func(c *alert.Config) { c.WebhookCapPerHour = 20 })
	agents := make([]*agentT, 1000)
	for i := range agents {
		agents[i] = f.enroll(uint64(2000 + i))
	}
	for _, a := range agents {
		f.upload(a, "1.0.0", nil, nil)
	}
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 { // the enrolments: a burst of their own, held too
		t.Fatalf("%d enrolments sent at once", len(got))
	}
	for _, a := range agents {
		f.upload(a, "1.0.0", []string{"hygiene.ssh", "hygiene.smb1", "tls.hsts"}, nil) // a drop, no critical
	}
	f.detect()
	f.deliver()
	if got := f.hook.take(); len(got) != 0 {
		t.Fatalf("%d webhooks sent at once, want none before the digest", len(got))
	}
	f.clock.Add(16 * time.Minute)
	f.deliver()
	got := f.hook.take()
	var digests []alert.Body
	for _, b := range got {
		if b.Type != "digest" {
			t.Fatalf("after the window, a %q delivery, want digests only", b.Type)
		}
		digests = append(digests, b)
	}
	// The enrolments and the regressions fell in the same window: one
	// digest for both bursts.
	if len(digests) != 1 {
		t.Fatalf("%d digests, want one", len(digests))
	}
	d := digests[0]
	if d.Data != nil || d.EventID != 0 || d.Timestamp.IsZero() {
		t.Errorf("digest body carries %+v", d)
	}
	kinds := map[string]int{}
	for _, ev := range d.Events {
		kinds[ev.Type]++
		if ev.EventID == 0 || ev.Data == nil || ev.Data.Entity == nil || ev.Data.Host == nil || ev.Data.URL == "" {
			t.Fatalf("digest event %+v", ev)
		}
		if lv := ev.Data.Level; ev.Type == "regression" && (lv == nil || lv.From <= lv.To) {
			t.Errorf("regression in the digest: %+v", lv)
		}
	}
	if kinds["regression"] != 1000 || kinds["agent-enrolled"] != 1000 || len(kinds) != 2 {
		t.Fatalf("digest of %v, want 1,000 enrolments and 1,000 regressions", kinds)
	}
	// The next event within the hour is immediate again.
	f.upload(agents[0], "1.0.0", []string{"hygiene.ssh", "hygiene.smb1", "tls.hsts", "backup.recent"}, nil)
	f.detect()
	f.deliver()
	after := f.hook.take()
	if len(after) == 0 {
		t.Fatal("after the burst, the next event was not sent")
	}
	for _, b := range after {
		if b.Type == "digest" {
			t.Errorf("after the burst, a digest again")
		}
	}
}

// The digest body, as a receiver reads it: type, timestamp and events
// with the members docs/alerts.md documents.
func TestWebhookDigestSchema(t *testing.T) {
	f := newFixture(t, func(c *alert.Config) { c.WebhookCapPerHour = 1 })
	a, b := f.enroll(31), f.enroll(32)
	f.detect()
	f.clock.Add(16 * time.Minute)
	f.deliver()
	raw := f.hook.raw()
	if len(raw) != 1 {
		t.Fatalf("%d deliveries for two enrolments beyond a cap of 1, want one digest", len(raw))
	}
	var doc map[string]any
	if err := json.Unmarshal(raw[0], &doc); err != nil {
		t.Fatal(err)
	}
	if doc["type"] != "digest" {
		t.Fatalf("type %v", doc["type"])
	}
	if _, err := time.Parse(time.RFC3339, doc["timestamp"].(string)); err != nil {
		t.Errorf("timestamp %v", doc["timestamp"])
	}
	evs, _ := doc["events"].([]any)
	if len(evs) != 2 || len(doc) != 3 {
		t.Fatalf("digest %v", doc)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		ev := e.(map[string]any)
		data := ev["data"].(map[string]any)
		host := data["host"].(map[string]any)
		if ev["type"] != "agent-enrolled" || ev["event_id"] == nil || ev["timestamp"] == nil || data["entity"].(map[string]any)["name"] != "Mairie de Plouguerneau" {
			t.Errorf("event %v", ev)
		}
		seen[host["agent_id"].(string)] = true
	}
	if !seen[a.ID] || !seen[b.ID] {
		t.Errorf("digest events name %v", seen)
	}
}
