// Package storetest is the one behavioural test suite every store.Store
// implementation passes (SQLite and PostgreSQL).
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

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
		"LateHistory":     testLateHistory,
		"Users":           testUsers,
		"Sessions":        testSessions,
		"Audit":           testAudit,
		"Answers":         testAnswers,
		"Link":            testLink,
		"TokenUses":       testTokenUses,
		"Advisories":      testAdvisories,
		"MatcherReads":    testMatcherReads,
		"Inventories":     testInventories,
		"DeclaredAssets":  testDeclaredAssets,
		"Prune":           testPrune,
		"Federation":      testFederation,
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
