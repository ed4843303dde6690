package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/store"
)

// Accounts, sessions, audit, entity answers, links and token uses.

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, err := s.CreateUser(ctx, store.User{Email: " Conseiller@CSIRT.example ", Role: store.RoleAdviser, PasswordHash: "$argon2id$x"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "conseiller@csirt.example" || u.ID == 0 {
		t.Errorf("created %+v", u)
	}
	if _, err := s.CreateUser(ctx, store.User{Email: "conseiller@csirt.example", Role: store.RoleAdmin, PasswordHash: "h"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate e-mail: %v", err)
	}
	if _, err := s.CreateUser(ctx, store.User{Email: "x@y", Role: "boss", PasswordHash: "h"}); err == nil {
		t.Error("unknown role accepted")
	}
	got, err := s.UserByEmail(ctx, "CONSEILLER@csirt.example")
	if err != nil || got.ID != u.ID || got.Role != store.RoleAdviser {
		t.Errorf("UserByEmail = %+v, %v", got, err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	s.CreateUser(ctx, store.User{Email: "admin@csirt.example", Role: store.RoleAdmin, PasswordHash: "h"})
	us, err := s.Users(ctx)
	if err != nil || len(us) != 2 || us[0].Email != "admin@csirt.example" {
		t.Errorf("Users = %+v, %v", us, err)
	}
	if err := s.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByEmail(ctx, u.Email); !got.Disabled {
		t.Error("not disabled")
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	u, err := s.CreateUser(ctx, store.User{Email: "a@b.fr", Role: store.RoleAdmin, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	se := store.Session{Hash: Hash("cookie"), UserID: u.ID, CSRF: "csrf123", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	gs, gu, err := s.SessionUser(ctx, Hash("cookie"), t0.Add(time.Minute))
	if err != nil || gu.Email != "a@b.fr" || gs.CSRF != "csrf123" {
		t.Errorf("SessionUser = %+v %+v %v", gs, gu, err)
	}
	if _, _, err := s.SessionUser(ctx, Hash("cookie"), t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if _, _, err := s.SessionUser(ctx, Hash("other"), t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
	if err := s.DeleteSession(ctx, Hash("cookie")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, Hash("cookie"), t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	s.CreateSession(ctx, store.Session{Hash: Hash("c2"), UserID: u.ID, CSRF: "x", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	s.SetUserDisabled(ctx, u.ID, true)
	if _, _, err := s.SessionUser(ctx, Hash("c2"), t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session of disabled user: %v", err)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, a := range []string{"login", "token_create", "agent_revoke"} {
		if err := s.Audit(ctx, store.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "admin@x", Action: a, Target: "t", Detail: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AuditLog(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"agent_revoke", "token_create"}, []string{log[0].Action, log[1].Action}); diff != "" || len(log) != 2 {
		t.Errorf("audit log newest first: %s", diff)
	}
	if !log[0].At.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("audit time %v", log[0].At)
	}
	// Pages: the entries before the last one seen; texts cut, so an old
	// row with megabytes in it does not make a page of megabytes.
	page, err := s.AuditPage(ctx, log[1].ID, 10)
	if err != nil || len(page) != 1 || page[0].Action != "login" {
		t.Errorf("page before %d: %+v %v", log[1].ID, page, err)
	}
	if err := s.Audit(ctx, store.AuditEntry{At: t0, Actor: strings.Repeat("é", 100_000), Action: "login_failed", Detail: "d"}); err != nil {
		t.Fatal(err)
	}
	page, err = s.AuditPage(ctx, 0, 1)
	if err != nil || len(page) != 1 || page[0].Action != "login_failed" || utf8.RuneCountInString(page[0].Actor) != store.MaxAuditField || !utf8.ValidString(page[0].Actor) {
		t.Errorf("long actor: %d characters, %v", utf8.RuneCountInString(page[0].Actor), err)
	}
}

func testAnswers(t *testing.T, s store.Store) {
	ctx := context.Background()
	a1 := Enrolled(t, s, "Mairie A", "a1")
	b1 := Enrolled(t, s, "Port B", "b1")
	if err := s.SetAnswers(ctx, 9999, []store.Answer{{Question: "org.inventory", Value: "yes", By: "x", At: t0}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("answers for an unknown entity: %v", err)
	}
	if got, err := s.Answers(ctx, a1.EntityID); err != nil || len(got) != 0 {
		t.Errorf("no answers yet = %v, %v", got, err)
	}
	adviser := []store.Answer{
		{Question: "org.offline-backup", Value: "no", By: "conseiller@region.fr", At: t0},
		{Question: "org.inventory", Value: "unknown", By: "conseiller@region.fr", At: t0},
	}
	if err := s.SetAnswers(ctx, a1.EntityID, adviser); err != nil {
		t.Fatal(err)
	}
	// The agent's answers replace the adviser's on the same question and
	// leave the others; they are marked with the agent.
	later := t0.Add(time.Hour + 123*time.Microsecond)
	agentAnswers := []store.Answer{{Question: "org.offline-backup", Value: "yes", By: "agent:a1", At: later}}
	id, out, err := s.SaveAgentAnswers(ctx, "a1", later, agentAnswers)
	if err != nil || out != store.Stored || id != a1.EntityID {
		t.Fatalf("SaveAgentAnswers = %d, %v, %v", id, out, err)
	}
	want := []store.Answer{
		{Question: "org.inventory", Value: "unknown", By: "conseiller@region.fr", At: t0},
		{Question: "org.offline-backup", Value: "yes", By: "agent:a1", At: later},
	}
	got, err := s.Answers(ctx, a1.EntityID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	// Replays: the same time or an earlier one writes nothing.
	for _, at := range []time.Time{later, t0} {
		_, out, err := s.SaveAgentAnswers(ctx, "a1", at, []store.Answer{{Question: "org.offline-backup", Value: "no", By: "agent:a1", At: at}})
		if err != nil || out != store.Replayed {
			t.Errorf("answers of %v again = %v, %v; want replayed", at, out, err)
		}
	}
	if got, _ := s.Answers(ctx, a1.EntityID); !cmp.Equal(want, got) {
		t.Errorf("a replay changed the answers: %v", got)
	}
	// A cleared answer is kept as cleared, with who cleared it.
	if err := s.SetAnswers(ctx, a1.EntityID, []store.Answer{{Question: "org.inventory", Value: "", By: "autre@region.fr", At: later}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveAgentAnswers(ctx, "ghost", later.Add(time.Hour), nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	if _, _, err := s.SaveAgentAnswers(ctx, "b1", later, []store.Answer{{Question: "org.awareness", Value: "partial", By: "agent:b1", At: later}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAgent(ctx, "a1", "admin", later); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveAgentAnswers(ctx, "a1", later.Add(time.Hour), agentAnswers); !errors.Is(err, store.ErrRevoked) {
		t.Errorf("revoked agent: %v", err)
	}
	all, err := s.AllAnswers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := map[int64][]store.Answer{
		a1.EntityID: {{Question: "org.inventory", Value: "", By: "autre@region.fr", At: later}, want[1]},
		b1.EntityID: {{Question: "org.awareness", Value: "partial", By: "agent:b1", At: later}},
	}
	if diff := cmp.Diff(wantAll, all); diff != "" {
		t.Errorf("AllAnswers (-want +got):\n%s", diff)
	}
}

// testLink: an agent re-keyed after a revocation continues the old one's
// history once linked.
func testLink(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie", "old1")
	Enrolled(t, s, "Mairie", "new1")
	for seq := uint64(1); seq <= 3; seq++ {
		if _, err := s.SaveScorecard(ctx, Card("old1", seq)); err != nil {
			t.Fatal(err)
		}
	}
	c := Card("new1", 4)
	c.ReceivedAt = t0.Add(10 * time.Hour)
	if _, err := s.SaveScorecard(ctx, c); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.History(ctx, "new1", 10); len(h) != 1 {
		t.Fatalf("history before the link: %d points", len(h))
	}
	if err := s.LinkAgent(ctx, "old1", "new1"); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkAgent(ctx, "old1", "new1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second link: %v", err)
	}
	if err := s.LinkAgent(ctx, "new1", "old1"); err != nil {
		t.Fatal(err) // a cycle, as an edited database could hold: History stops
	}
	h, err := s.History(ctx, "new1", 10)
	var got []string
	for _, p := range h {
		got = append(got, p.AgentID+"/"+fmt.Sprint(p.Sequence))
	}
	if diff := cmp.Diff([]string{"old1/1", "old1/2", "old1/3", "new1/4"}, got); err != nil || diff != "" {
		t.Errorf("linked history oldest first: %v %s", err, diff)
	}
	if a, _ := s.Agent(ctx, "new1"); a.PreviousID != "old1" {
		t.Errorf("PreviousID = %q", a.PreviousID)
	}
	if h, _ := s.History(ctx, "new1", 2); len(h) != 2 || h[1].AgentID != "new1" {
		t.Errorf("limit keeps the newest: %+v", h)
	}
}

// testTokenUses: a token made for a fleet enrols that many keys, each use
// recorded with its rank; a retried enrolment is not counted again; one
// more key is refused.
func testTokenUses(t *testing.T, s store.Store) {
	ctx := context.Background()
	e, _ := s.EnsureEntity(ctx, "Mairie de Ploudalmézeau", "commune")
	if err := s.CreateToken(ctx, store.Token{Hash: Hash("fleet"), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Uses: 3}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"pc1", "pc2", "pc1", "pc3"} {
		if _, err := s.Enroll(ctx, Hash("fleet"), store.Agent{ID: id, PublicKey: []byte(id)}, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("enrolment %d (%s): %v", i, id, err)
		}
	}
	if _, err := s.Enroll(ctx, Hash("fleet"), store.Agent{ID: "pc4", PublicKey: []byte("pc4")}, t0); !errors.Is(err, store.ErrTokenUsed) {
		t.Errorf("fourth key on a token for 3: %v", err)
	}
	for id, want := range map[string]int{"pc1": 1, "pc2": 2, "pc3": 3} {
		if n, of, err := s.TokenUse(ctx, Hash("fleet"), id); err != nil || n != want || of != 3 {
			t.Errorf("TokenUse(%s) = %d/%d %v, want %d/3", id, n, of, err, want)
		}
	}
	if _, _, err := s.TokenUse(ctx, Hash("fleet"), "pc4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenUse(pc4): %v", err)
	}
	toks, _ := s.Tokens(ctx)
	if len(toks) != 1 || toks[0].Uses != 3 || toks[0].UsedCount != 3 || toks[0].UsedBy != "pc3" {
		t.Errorf("token %+v", toks)
	}
}
