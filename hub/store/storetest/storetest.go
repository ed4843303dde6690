// Package storetest is the one behavioural test suite every store.Store
// implementation passes (SQLite and PostgreSQL).
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// NewDSN returns the DSN of a fresh empty database for one test.
type NewDSN func(t *testing.T) string

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Open opens dsn and closes it when the test ends.
func Open(t *testing.T, dsn string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Run runs the whole suite.
func Run(t *testing.T, newDSN NewDSN) {
	tests := map[string]func(t *testing.T, s store.Store){
		"Entities":        testEntities,
		"Enroll":          testEnroll,
		"Scorecards":      testScorecards,
		"ConcurrentSaves": testConcurrentSaves,
		"OneAgentAtOnce":  testOneAgentAtOnce,
		"Users":           testUsers,
		"Sessions":        testSessions,
		"Audit":           testAudit,
		"Answers":         testAnswers,
		"Link":            testLink,
		"TokenUses":       testTokenUses,
		"Advisories":      testAdvisories,
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, Open(t, newDSN(t)))
		})
	}
	t.Run("MigrateTwice", func(t *testing.T) {
		t.Parallel()
		dsn := newDSN(t)
		s := Open(t, dsn)
		if _, err := s.EnsureEntity(context.Background(), "Mairie de Brest", "commune"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s2 := Open(t, dsn)
		es, err := s2.Entities(context.Background())
		if err != nil || len(es) != 1 {
			t.Fatalf("after reopen: %v %v", es, err)
		}
	})
	t.Run("OpenExisting", func(t *testing.T) {
		t.Parallel()
		testOpenExisting(t, newDSN(t))
	})
}

// testOpenExisting: OpenExisting neither creates nor migrates a database
// (a mistyped --db must not start an empty hub), and opens one Open made.
func testOpenExisting(t *testing.T, dsn string) {
	ctx := context.Background()
	if s, err := store.OpenExisting(ctx, dsn); err == nil {
		s.Close()
		t.Fatal("OpenExisting accepted a database never initialised")
	} else if !errors.Is(err, store.ErrNoDatabase) && !errors.Is(err, store.ErrNotMigrated) {
		t.Fatalf("OpenExisting on a fresh database: %v", err)
	}
	// Still not initialised: the failed open created no schema.
	if s, err := store.OpenExisting(ctx, dsn); err == nil {
		s.Close()
		t.Fatal("the first OpenExisting initialised the database")
	}
	s := Open(t, dsn)
	if _, err := s.EnsureEntity(ctx, "Mairie de Lanildut", "commune"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatalf("OpenExisting after Open: %v", err)
	}
	defer s2.Close()
	if es, err := s2.Entities(ctx); err != nil || len(es) != 1 {
		t.Errorf("OpenExisting reads %v, %v", es, err)
	}
}

// Hash is the token hash the API stores.
func Hash(token string) []byte { h := sha256.Sum256([]byte(token)); return h[:] }

// Enrolled creates an entity, a token and an agent with id.
func Enrolled(t testing.TB, s store.Store, entity, id string) store.Agent {
	t.Helper()
	ctx := context.Background()
	e, err := s.EnsureEntity(ctx, entity, "commune")
	if err != nil {
		t.Fatal(err)
	}
	tok := "tok-" + entity + "-" + id
	if err := s.CreateToken(ctx, store.Token{Hash: Hash(tok), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(72 * time.Hour), CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	a, err := s.Enroll(ctx, Hash(tok), store.Agent{ID: id, PublicKey: []byte("pk-" + id), Hostname: "srv-" + id, OS: "linux", Platform: "debian"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Card returns a scorecard record for agent with sequence seq. Its domain
// scores hold every domain this hub knows and one it does not ("ad", as a
// newer agent sends): both come back.
func Card(agent string, seq uint64) *store.Scorecard {
	return &store.Scorecard{
		AgentID: agent, ID: fmt.Sprintf("%s-%d", agent, seq), Sequence: seq,
		ReceivedAt: t0.Add(time.Duration(seq) * time.Hour), StartedAt: t0, FinishedAt: t0.Add(time.Minute),
		Score: int(seq % 100), Level: int(seq % 5), DomainScores: store.DomainScores{
			protocol.DomainPatch: 10, protocol.DomainBackup: 20, protocol.DomainHygiene: 30, protocol.DomainTLS: -1,
			protocol.DomainDNS: 50, protocol.DomainOrganisation: 60, "ad": 55, // "ad": a domain from a newer agent
		},
		Failed: []string{"patch.security-pending", "backup.recent"}, Hostname: "srv", OS: "linux", Platform: "debian",
		AgentVersion: "1.0.0", Envelope: []byte(`{"payloadType":"x"}`),
	}
}

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
	if _, err := s.EnsureEntity(ctx, "CH de Morlaix", "hospital"); err != nil {
		t.Fatal(err)
	}
	es, err := s.Entities(ctx)
	if err != nil {
		t.Fatal(err)
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

func testScorecards(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie A", "a1")
	Enrolled(t, s, "Mairie A", "a2")
	Enrolled(t, s, "Port B", "b1")
	for _, seq := range []uint64{1, 2, 5} {
		if o, err := s.SaveScorecard(ctx, Card("a1", seq)); err != nil || o != store.Stored {
			t.Fatalf("save a1/%d = %v, %v", seq, o, err)
		}
	}
	if o, err := s.SaveScorecard(ctx, Card("a1", 5)); err != nil || o != store.Duplicate {
		t.Errorf("same ID again = %v, %v; want duplicate", o, err)
	}
	replay := Card("a1", 4)
	if o, err := s.SaveScorecard(ctx, replay); err != nil || o != store.Replayed {
		t.Errorf("lower sequence = %v, %v; want replayed", o, err)
	}
	if ok, _ := s.HasScorecard(ctx, "a1", replay.ID); ok {
		t.Error("replayed scorecard stored")
	}
	if ok, _ := s.HasScorecard(ctx, "a1", "a1-2"); !ok {
		t.Error("HasScorecard(a1-2) = false")
	}
	if _, err := s.SaveScorecard(ctx, Card("ghost", 1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
	// A stored ID under a new, higher sequence (a faulty agent): a
	// duplicate, and the agent's sequence does not move.
	reused := Card("a1", 6)
	reused.ID = "a1-5"
	if o, err := s.SaveScorecard(ctx, reused); err != nil || o != store.Duplicate {
		t.Errorf("stored ID with a higher sequence = %v, %v; want duplicate", o, err)
	}
	got, err := s.Scorecard(ctx, "a1", "a1-2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Card("a1", 2), got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	latest, err := s.LatestScorecard(ctx, "a1")
	if err != nil || latest.Sequence != 5 {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	if _, err := s.LatestScorecard(ctx, "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("latest of silent agent: %v", err)
	}
	if a, _ := s.Agent(ctx, "a1"); a.LastSequence != 5 || !a.LastSeen.Equal(Card("a1", 5).ReceivedAt) {
		t.Errorf("agent after saves: seq %d seen %v", a.LastSequence, a.LastSeen)
	}
	hist, err := s.History(ctx, "a1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{2, 5}, []uint64{hist[0].Sequence, hist[1].Sequence}); diff != "" || len(hist) != 2 {
		t.Errorf("history (last 2, oldest first): %s", diff)
	}
	rows, err := s.Hosts(ctx, store.HostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d hosts, want 3", len(rows))
	}
	byID := map[string]store.HostRow{}
	for _, r := range rows {
		byID[r.Agent.ID] = r
	}
	if r := byID["a1"]; r.Latest == nil || r.Latest.Sequence != 5 || r.Agent.Entity != "Mairie A" || len(r.Latest.Failed) != 2 || r.Latest.Envelope != nil {
		t.Errorf("host a1 = %+v latest %+v", r.Agent, r.Latest)
	}
	if r := byID["a1"]; r.Latest != nil && (r.Latest.DomainScores.Get("ad") != 55 || r.Latest.DomainScores.Get(protocol.DomainDNS) != 50 || r.Latest.DomainScores.Get(protocol.DomainTLS) != store.NoScore) {
		t.Errorf("host a1's latest domain scores = %v", r.Latest.DomainScores)
	}
	if byID["a2"].Latest != nil {
		t.Error("a2 never reported but has a latest scorecard")
	}
	e, _ := s.EnsureEntity(ctx, "Port B", "")
	rows, _ = s.Hosts(ctx, store.HostFilter{EntityID: e.ID})
	if len(rows) != 1 || rows[0].Agent.ID != "b1" {
		t.Errorf("filtered hosts = %v", rows)
	}
	s.RevokeAgent(ctx, "b1", "x", t0)
	if rows, _ = s.Hosts(ctx, store.HostFilter{}); len(rows) != 2 {
		t.Errorf("revoked agent listed: %d rows", len(rows))
	}
	if rows, _ = s.Hosts(ctx, store.HostFilter{IncludeRevoked: true}); len(rows) != 3 {
		t.Errorf("IncludeRevoked: %d rows", len(rows))
	}
}

// testConcurrentSaves drives the group committer: many agents saving at
// once, several scorecards per agent, every one acknowledged as stored.
func testConcurrentSaves(t *testing.T, s store.Store) {
	ctx := context.Background()
	const agents, per = 20, 10
	for i := range agents {
		Enrolled(t, s, fmt.Sprintf("Entité %02d", i), fmt.Sprintf("ag%02d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, agents*per)
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= per; seq++ {
				o, err := s.SaveScorecard(ctx, Card(fmt.Sprintf("ag%02d", i), seq))
				if err == nil && o != store.Stored {
					err = fmt.Errorf("ag%02d/%d: %v", i, seq, o)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rows, err := s.Hosts(ctx, store.HostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Latest == nil || r.Latest.Sequence != per {
			t.Errorf("%s latest = %+v", r.Agent.ID, r.Latest)
		}
	}
}

// testOneAgentAtOnce: one agent's scorecards sent all at once (they share
// group commits, in any order) are each stored or refused as replayed,
// never both, and the agent's last sequence, latest scorecard and history
// agree afterwards.
func testOneAgentAtOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrolled(t, s, "Mairie", "c1")
	const n = 16
	outs := make([]store.Outcome, n+1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for seq := uint64(1); seq <= n; seq++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			o, err := s.SaveScorecard(ctx, Card("c1", seq))
			if err != nil {
				t.Error(err)
			}
			outs[seq] = o
		}()
	}
	close(start)
	wg.Wait()
	stored, maxSeq := 0, uint64(0)
	for seq := uint64(1); seq <= n; seq++ {
		switch outs[seq] {
		case store.Stored:
			stored++
			maxSeq = seq
		case store.Replayed:
		default:
			t.Errorf("seq %d: %v", seq, outs[seq])
		}
	}
	a, err := s.Agent(ctx, "c1")
	if err != nil || a.LastSequence != maxSeq || outs[n] != store.Stored {
		t.Errorf("last sequence %d, highest stored %d, last one %v (%v)", a.LastSequence, maxSeq, outs[n], err)
	}
	hist, err := s.History(ctx, "c1", n)
	if err != nil || len(hist) != stored {
		t.Errorf("history holds %d scorecards, %d stored (%v)", len(hist), stored, err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Sequence <= hist[i-1].Sequence {
			t.Errorf("history out of order: %v", hist)
		}
	}
	if latest, err := s.LatestScorecard(ctx, "c1"); err != nil || latest.Sequence != maxSeq {
		t.Errorf("latest %+v, %v; want sequence %d", latest, err, maxSeq)
	}
}

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

// testAdvisories: one copy per reference, the newest revision kept whatever
// the order of the puts, the document kept byte for byte, the list by
// revision date.
func testAdvisories(t *testing.T, s store.Store) {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	if _, _, ok, err := s.AdvisoryStamp(ctx, "CERTFR-2025-AVI-0001"); ok || err != nil {
		t.Fatalf("stamp of nothing: %v %v", ok, err)
	}
	if _, err := s.Advisory(ctx, "CERTFR-2025-AVI-0001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing advisory: %v", err)
	}
	rec := func(ref string, rev time.Time, n int, raw string) store.AdvisoryRecord {
		return store.AdvisoryRecord{Reference: ref, Kind: "avis", Title: "Vulnérabilité dans " + ref, Published: day(1),
			Revised: rev, Revisions: n, Raw: []byte(raw), ImportedAt: day(20)}
	}
	put := func(r store.AdvisoryRecord, want bool) {
		t.Helper()
		got, err := s.PutAdvisory(ctx, r)
		if err != nil || got != want {
			t.Fatalf("put %s rev %v/%d: stored=%v err=%v, want stored=%v", r.Reference, r.Revised, r.Revisions, got, err, want)
		}
	}
	put(rec("CERTFR-2025-AVI-0001", day(2), 1, `{"v":1}`), true)
	put(rec("CERTFR-2025-AVI-0001", day(2), 1, `{"v":"same"}`), false) // same revision: kept as is
	put(rec("CERTFR-2025-AVI-0001", day(5), 2, `{"v":2}`), true)
	put(rec("CERTFR-2025-AVI-0001", day(3), 3, `{"v":"older"}`), false) // older date, more revisions: still older
	put(rec("CERTFR-2025-AVI-0001", day(5), 3, "{\"v\":\t3}"), true)    // same day, one revision more
	put(rec("CERTFR-2025-ALE-0002", day(4), 1, `{"a":1}`), true)
	if _, err := s.PutAdvisory(ctx, store.AdvisoryRecord{}); err == nil {
		t.Error("an advisory without reference was stored")
	}
	rev, n, ok, err := s.AdvisoryStamp(ctx, "CERTFR-2025-AVI-0001")
	if err != nil || !ok || !rev.Equal(day(5)) || n != 3 {
		t.Fatalf("stamp: %v %d %v %v", rev, n, ok, err)
	}
	got, err := s.Advisory(ctx, "CERTFR-2025-AVI-0001")
	if err != nil || string(got.Raw) != "{\"v\":\t3}" || got.Kind != "avis" || !got.Published.Equal(day(1)) || !got.ImportedAt.Equal(day(20)) {
		t.Fatalf("advisory: %+v %v", got, err)
	}
	all, err := s.AdvisoriesSince(ctx, time.Time{})
	if err != nil || len(all) != 2 || all[0].Reference != "CERTFR-2025-AVI-0001" || all[1].Reference != "CERTFR-2025-ALE-0002" {
		t.Fatalf("all: %+v %v", all, err)
	}
	imported, err := s.AdvisoriesImported(ctx, day(19))
	if err != nil || len(imported) != 2 {
		t.Fatalf("imported after day 19: %+v %v", imported, err)
	}
	if imported, err := s.AdvisoriesImported(ctx, day(20)); err != nil || len(imported) != 0 {
		t.Fatalf("imported after day 20: %+v %v", imported, err)
	}
	recent, err := s.AdvisoriesSince(ctx, day(5))
	if err != nil || len(recent) != 1 || recent[0].Reference != "CERTFR-2025-AVI-0001" {
		t.Fatalf("since: %+v %v", recent, err)
	}
}
