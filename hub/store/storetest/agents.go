package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Entities, tokens, enrolment.

func testEntities(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.EnsureEntity(ctx, "Mairie de Plouguerneau", "commune")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureEntity(ctx, "Mairie de Plouguerneau", "")
	if err != nil || b != a {
		t.Fatalf("second EnsureEntity = %+v, %v; want %+v", b, err, a)
	}
	// Another sector does not move the entity: only SetEntitySector does.
	c, err := s.EnsureEntity(ctx, "Mairie de Plouguerneau", "port")
	if err != nil || c != a {
		t.Fatalf("EnsureEntity with another sector = %+v, %v; want %+v", c, err, a)
	}
	if err := s.SetEntitySector(ctx, a.ID, "port"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Entity(ctx, a.ID); err != nil || c.Sector != "port" {
		t.Fatalf("after SetEntitySector: %+v, %v", c, err)
	}
	if err := s.SetEntitySector(ctx, 9999, "port"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetEntitySector(9999) = %v, want ErrNotFound", err)
	}
	// The size band: kept, read back by every entity read, cleared.
	if a.SizeBand != "" {
		t.Errorf("new entity has size band %q", a.SizeBand)
	}
	if err := s.SetEntitySizeBand(ctx, a.ID, "hosts-20-99"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEntitySizeBand(ctx, 9999, "hosts-20-99"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetEntitySizeBand(9999) = %v, want ErrNotFound", err)
	}
	if c, err := s.Entity(ctx, a.ID); err != nil || c.SizeBand != "hosts-20-99" || c.Sector != "port" {
		t.Fatalf("after SetEntitySizeBand: %+v, %v", c, err)
	}
	if c, err := s.EnsureEntity(ctx, "Mairie de Plouguerneau", "port"); err != nil || c.SizeBand != "hosts-20-99" {
		t.Fatalf("EnsureEntity after SetEntitySizeBand: %+v, %v", c, err)
	}
	if _, err := s.EnsureEntity(ctx, "CH de Morlaix", "hospital"); err != nil {
		t.Fatal(err)
	}
	es, err := s.Entities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if es[1].SizeBand != "hosts-20-99" || es[0].SizeBand != "" {
		t.Errorf("Entities: size bands %q, %q", es[0].SizeBand, es[1].SizeBand)
	}
	if err := s.SetEntitySizeBand(ctx, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Entity(ctx, a.ID); c.SizeBand != "" {
		t.Errorf("size band not cleared: %q", c.SizeBand)
	}
	if diff := cmp.Diff([]string{"CH de Morlaix", "Mairie de Plouguerneau"}, []string{es[0].Name, es[1].Name}); diff != "" {
		t.Error(diff)
	}
	if _, err := s.Entity(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Entity(9999) err = %v, want ErrNotFound", err)
	}
	if _, err := s.EnsureEntity(ctx, "  ", ""); err == nil {
		t.Error("empty entity name accepted")
	}
}

func testEnroll(t *testing.T, s store.Store) {
	ctx := context.Background()
	e, _ := s.EnsureEntity(ctx, "Mairie A", "commune")
	other, _ := s.EnsureEntity(ctx, "Mairie B", "commune")
	mk := func(tok string, ent int64, expires time.Time) {
		t.Helper()
		if err := s.CreateToken(ctx, store.Token{Hash: Hash(tok), EntityID: ent, CreatedAt: t0, ExpiresAt: expires, CreatedBy: "admin@x"}); err != nil {
			t.Fatal(err)
		}
	}
	mk("good", e.ID, t0.Add(time.Hour))
	mk("old", e.ID, t0.Add(-time.Minute))
	mk("fresh", e.ID, t0.Add(time.Hour))
	mk("elsewhere", other.ID, t0.Add(time.Hour))
	agent := store.Agent{ID: "aaaa", PublicKey: []byte("pub"), Hostname: "mairie-pc1", OS: "windows", AgentVersion: "1.0"}

	if _, err := s.Enroll(ctx, Hash("nope"), agent, t0); !errors.Is(err, store.ErrTokenUnknown) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := s.Enroll(ctx, Hash("old"), agent, t0); !errors.Is(err, store.ErrTokenExpired) {
		t.Errorf("expired token: %v", err)
	}
	a, err := s.Enroll(ctx, Hash("good"), agent, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Entity != "Mairie A" || a.Sector != "commune" || a.Hostname != "mairie-pc1" || string(a.PublicKey) != "pub" || !a.EnrolledAt.Equal(t0) {
		t.Errorf("enrolled agent = %+v", a)
	}
	if _, err := s.Enroll(ctx, Hash("good"), agent, t0); err != nil {
		t.Errorf("retried enrolment with the same key: %v", err)
	}
	if _, err := s.Enroll(ctx, Hash("good"), store.Agent{ID: "bbbb", PublicKey: []byte("p2")}, t0); !errors.Is(err, store.ErrTokenUsed) {
		t.Errorf("reused token: %v", err)
	}
	if _, err := s.Enroll(ctx, Hash("elsewhere"), agent, t0); !errors.Is(err, store.ErrKeyEnrolled) {
		t.Errorf("move to another entity: %v", err)
	}
	// The refused move did not consume the token.
	if _, err := s.Enroll(ctx, Hash("elsewhere"), store.Agent{ID: "cccc", PublicKey: []byte("p3")}, t0); err != nil {
		t.Errorf("token after refused move: %v", err)
	}
	if err := s.RevokeAgent(ctx, "aaaa", "admin@x", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Agent(ctx, "aaaa"); !a.Revoked() || a.RevokedBy != "admin@x" {
		t.Errorf("after revoke: %+v", a)
	}
	if err := s.RevokeAgent(ctx, "zzzz", "x", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	if _, err := s.SaveScorecard(ctx, Card("aaaa", 1)); !errors.Is(err, store.ErrRevoked) {
		t.Errorf("save for revoked agent: %v", err)
	}
	// Protocol v2: a revoked key stays revoked, whatever the token (and
	// the token stays unused); the same token enrols a new key.
	if _, err := s.Enroll(ctx, Hash("fresh"), agent, t0.Add(2*time.Minute)); !errors.Is(err, store.ErrRevoked) {
		t.Errorf("revoked key with a fresh token: %v, want ErrRevoked", err)
	}
	if _, err := s.Enroll(ctx, Hash("good"), agent, t0.Add(2*time.Minute)); !errors.Is(err, store.ErrRevoked) {
		t.Errorf("revoked key retrying its own token: %v, want ErrRevoked", err)
	}
	if a, _ := s.Agent(ctx, "aaaa"); !a.Revoked() {
		t.Errorf("revocation lifted by an enrolment: %+v", a)
	}
	if err := s.ReinstateAgent(ctx, "aaaa"); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Agent(ctx, "aaaa"); a.Revoked() || a.RevokedBy != "" {
		t.Errorf("after reinstate: %+v", a)
	}
	if err := s.ReinstateAgent(ctx, "zzzz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reinstate unknown: %v", err)
	}
	a, err = s.Enroll(ctx, Hash("fresh"), agent, t0.Add(2*time.Minute))
	if err != nil || a.Revoked() {
		t.Errorf("re-enrolment of a reinstated key: %+v %v", a, err)
	}
	toks, err := s.Tokens(ctx)
	if err != nil || len(toks) != 4 {
		t.Fatalf("Tokens = %d, %v", len(toks), err)
	}
	used := 0
	for _, tk := range toks {
		if !tk.UsedAt.IsZero() {
			used++
		}
	}
	if used != 3 {
		t.Errorf("%d tokens used, want 3", used)
	}
	if _, err := s.Agent(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Agent(nobody): %v", err)
	}
}
