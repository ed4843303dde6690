package web_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

// region loads a region of `entities` entities with 1-2 hosts each and
// `cards` scorecards in total (history), through Import (one transaction
// per 5,000). History envelopes are 1 KiB placeholders: the overview never
// reads them, and 200,000 real ones would take gigabytes.
func region(tb testing.TB, st store.Store, entities, cards int) {
	tb.Helper()
	ctx := context.Background()
	var agents []string
	for i := range entities {
		e, err := st.EnsureEntity(ctx, fmt.Sprintf("Commune %04d", i), sectors[i%3])
		if err != nil {
			tb.Fatal(err)
		}
		for h := range 1 + i%2 {
			id := fmt.Sprintf("%032x", i*4+h)
			tok := "t" + id
			st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: id, PublicKey: make([]byte, 32), Hostname: fmt.Sprintf("srv-%d-%d", i, h), OS: "linux"}, now); err != nil {
				tb.Fatal(err)
			}
			agents = append(agents, id)
		}
	}
	env := make([]byte, 1024)
	imp := st.(store.Importer)
	var batch []*store.Scorecard
	for c := range cards {
		a := agents[c%len(agents)]
		seq := uint64(c/len(agents) + 1)
		at := now.Add(-time.Duration(cards-c) * time.Minute)
		if c%len(agents) == 7 {
			at = now.AddDate(0, -3, 0) // a few silent agents
		}
		batch = append(batch, &store.Scorecard{AgentID: a, ID: fmt.Sprintf("%s-%d", a, seq), Sequence: seq, ReceivedAt: at, StartedAt: at, FinishedAt: at,
			Score: (c * 7) % 101, Level: c % 5, DomainScores: store.DomainScores{protocol.DomainPatch: c % 101, protocol.DomainBackup: (c * 3) % 101, protocol.DomainHygiene: (c * 5) % 101,
				protocol.DomainTLS: -1, protocol.DomainDNS: (c * 11) % 101, protocol.DomainOrganisation: 50},
			Failed: []string{"patch.security-pending", fmt.Sprintf("hygiene.check-%d", c%17)}, Hostname: "srv", OS: "linux", Envelope: env})
		if len(batch) == 5000 || c == cards-1 {
			if _, err := imp.Import(ctx, batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func overviewRequest(tb testing.TB, st store.Store) (*http.Request, http.Handler) {
	ctx := context.Background()
	h, _ := auth.Hash("x", auth.Fast)
	u, err := st.CreateUser(ctx, store.User{Email: "bench@csirt.example", Role: store.RoleAdviser, PasswordHash: h})
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256([]byte("bench-cookie"))
	st.CreateSession(ctx, store.Session{Hash: sum[:], UserID: u.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	ui, err := web.New(web.Config{Store: st, Now: func() time.Time { return now }, Argon2: auth.Fast})
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-vigie_session", Value: "bench-cookie"})
	return req, ui.Handler()
}

// BenchmarkOverview renders the region overview (session check, query of
// the latest-scorecard table, aggregation, HTML) for 2,000 entities with
// 200,000 scorecards stored. Target: <= 200 ms.
func BenchmarkOverview(b *testing.B) {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	region(b, st, 2000, 200_000)
	req, h := overviewRequest(b, st)
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "html-bytes")
}

// TestOverviewScale is the benchmark's small sibling run with the tests: a
// region of 300 entities renders well within the budget.
func TestOverviewScale(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	region(t, st, 300, 6000)
	req, h := overviewRequest(t, st)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("overview of 300 entities took %v", d)
	}
}
