package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

func TestIncidentsSQLite(t *testing.T) {
	t.Parallel()
	testIncidents(t, storetest.Open(t, filepath.Join(t.TempDir(), "hub.db")))
}

func TestIncidentsPostgres(t *testing.T) {
	t.Parallel()
	testIncidents(t, storetest.Open(t, pgtest.DSN(t)))
}

// testIncidents: an incident is filed for its agent's entity, found again
// for a retried upload (same archive), refused for a revoked or unknown
// agent; its follow-up changes, notes and deletion.
func testIncidents(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
	a := storetest.Enrolled(t, s, "CH de Morlaix", "agent-a")
	storetest.Enrolled(t, s, "Mairie de Brest", "agent-b")
	in := store.Incident{AgentID: "agent-a", Hostname: "ch-pc1", Kind: "ransomware", AwareAt: t0, DeclaredAt: t0.Add(time.Hour), ReceivedAt: t0.Add(2 * time.Hour),
		Manifest: []byte(`{"signed":1}`), ArchiveSHA256: "aa", ArchiveSize: 42, ArchiveFile: "1.tar.age", Source: "upload"}
	got, err := s.CreateIncident(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == 0 || got.EntityID != a.EntityID || got.Entity != "CH de Morlaix" || got.Status != store.IncidentOpen || !got.AwareAt.Equal(t0) || string(got.Manifest) != `{"signed":1}` {
		t.Fatalf("created = %+v", got)
	}
	again, err := s.CreateIncident(ctx, in)
	if !errors.Is(err, store.ErrExists) || again.ID != got.ID {
		t.Fatalf("same archive again: %+v, %v; want ErrExists with ID %d", again, err, got.ID)
	}
	in.ArchiveSHA256 = "bb"
	in.AgentID = "agent-b"
	second, err := s.CreateIncident(ctx, in)
	if err != nil || second.Entity != "Mairie de Brest" {
		t.Fatalf("second incident: %+v, %v", second, err)
	}
	in.AgentID = "nobody"
	if _, err := s.CreateIncident(ctx, in); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	if err := s.RevokeAgent(ctx, "agent-b", "admin@x", t0); err != nil {
		t.Fatal(err)
	}
	in.AgentID, in.ArchiveSHA256 = "agent-b", "cc"
	if _, err := s.CreateIncident(ctx, in); !errors.Is(err, store.ErrRevoked) {
		t.Errorf("revoked agent: %v", err)
	}
	st, adv, pd, at := store.IncidentInProgress, "conseil@region.fr", true, t0.Add(20*time.Hour)
	if err := s.UpdateIncident(ctx, got.ID, store.IncidentUpdate{Status: &st, Adviser: &adv, PersonalData: &pd, NotifiedAt: &at}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateIncident(ctx, 9999, store.IncidentUpdate{Status: &st}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}
	u, _ := s.Incident(ctx, got.ID)
	if u.Status != st || u.Adviser != adv || !u.PersonalData || !u.NotifiedAt.Equal(at) {
		t.Errorf("after update: %+v", u)
	}
	closed := store.IncidentClosed
	s.UpdateIncident(ctx, second.ID, store.IncidentUpdate{Status: &closed})
	open, err := s.ListIncidents(ctx, store.IncidentFilter{OpenOnly: true})
	if err != nil || len(open) != 1 || open[0].ID != got.ID || open[0].Manifest != nil {
		t.Errorf("open incidents: %+v, %v", open, err)
	}
	all, _ := s.ListIncidents(ctx, store.IncidentFilter{})
	old, _ := s.ListIncidents(ctx, store.IncidentFilter{ReceivedBefore: t0.Add(3 * time.Hour)})
	none, _ := s.ListIncidents(ctx, store.IncidentFilter{ReceivedBefore: t0})
	if len(all) != 2 || len(old) != 2 || len(none) != 0 {
		t.Errorf("lists: all %d, before +3h %d, before t0 %d", len(all), len(old), len(none))
	}
	// The alert mark: both incidents wait for their alert, oldest first,
	// manifests included; one claim wins, a second finds it taken; a
	// released claim waits again.
	waiting, err := s.UnalertedIncidents(ctx, 10)
	if err != nil || len(waiting) != 2 || waiting[0].ID != got.ID || string(waiting[0].Manifest) != `{"signed":1}` || !waiting[0].AlertedAt.IsZero() {
		t.Fatalf("unalerted: %+v, %v", waiting, err)
	}
	if ok, err := s.ClaimIncidentAlert(ctx, got.ID, t0); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, err := s.ClaimIncidentAlert(ctx, got.ID, t0.Add(time.Minute)); ok || err != nil {
		t.Errorf("second claim: %v %v", ok, err)
	}
	if a, _ := s.Incident(ctx, got.ID); !a.AlertedAt.Equal(t0) {
		t.Errorf("alerted at %v", a.AlertedAt)
	}
	s.ClaimIncidentAlert(ctx, second.ID, t0)
	if w, _ := s.UnalertedIncidents(ctx, 10); len(w) != 0 {
		t.Errorf("still waiting after the claims: %+v", w)
	}
	if err := s.ReleaseIncidentAlert(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.UnalertedIncidents(ctx, 10); len(w) != 1 || w[0].ID != second.ID {
		t.Errorf("after the release: %+v", w)
	}
	s.ClaimIncidentAlert(ctx, second.ID, t0)
	// Born alerted (the upload's claim is the engine's; a store copy may
	// carry the mark).
	in.AgentID, in.ArchiveSHA256, in.AlertedAt = "agent-a", "dd", t0
	third, err := s.CreateIncident(ctx, in)
	if err != nil || !third.AlertedAt.Equal(t0) {
		t.Errorf("created alerted: %+v %v", third, err)
	}
	if w, _ := s.UnalertedIncidents(ctx, 10); len(w) != 0 {
		t.Errorf("an alerted incident waits: %+v", w)
	}
	s.DeleteIncident(ctx, third.ID)
	if err := s.AddIncidentNote(ctx, got.ID, store.IncidentNote{At: t0, Author: adv, Text: "Rappelé la mairie"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddIncidentNote(ctx, 9999, store.IncidentNote{At: t0, Author: adv, Text: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("note on unknown: %v", err)
	}
	notes, err := s.IncidentNotes(ctx, got.ID)
	if err != nil || len(notes) != 1 || notes[0].Text != "Rappelé la mairie" || notes[0].Author != adv {
		t.Errorf("notes: %+v, %v", notes, err)
	}
	if err := s.DeleteIncident(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incident(ctx, got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if n, _ := s.IncidentNotes(ctx, got.ID); len(n) != 0 {
		t.Errorf("notes survive the deletion: %+v", n)
	}
	if err := s.DeleteIncident(ctx, got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
