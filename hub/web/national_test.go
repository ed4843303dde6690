package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/auth"
	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/national"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/web"
	"github.com/vigie-cyber/vigie/protocol"
)

// nationalHub fills st with regions × days of daily aggregates, each built
// by federation.Build from perRegion synthetic entities over four sectors
// and their bands, with 60 advisories; region i stops pushing silentFrom
// days before now when i is in silent.
func nationalHub(tb testing.TB, st store.Store, regions, days, perRegion int, silent map[int]int) {
	tb.Helper()
	ctx := context.Background()
	bands := map[string][]string{"commune": {"pop-lt-1000", "pop-1000-3499", "pop-3500-9999", "pop-10000-49999"}, "hopital": {"hosts-lt-20", "hosts-20-99"},
		"port": {"hosts-lt-20"}, "autre": {""}}
	sectors := []string{"commune", "hopital", "port", "autre"}
	for r := range regions {
		name := fmt.Sprintf("Région %02d", r)
		if err := st.AddRegion(ctx, store.Region{Name: name, SigningKey: fmt.Sprint("k", r), KeyID: fmt.Sprint("id", r), AddedAt: now.AddDate(-2, 0, 0)}); err != nil {
			tb.Fatal(err)
		}
		for d := days - 1; d >= silent[r]; d-- {
			day := now.AddDate(0, 0, -d)
			var ms []federation.Member
			for e := range perRegion {
				s := sectors[e%len(sectors)]
				if s == "port" && e%60 != 2 {
					s = "commune" // ports are few: withheld in some regions
				}
				lv := (e + r + (days-d)/60) % 5
				ms = append(ms, federation.Member{Sector: s, Band: cohort.Band(bands[s][e%len(bands[s])]), Level: lv,
					Domains: map[protocol.Domain]int{protocol.DomainPatch: (e * 7) % 101, protocol.DomainBackup: (e * 13) % 101, protocol.DomainTLS: (e * 3) % 101},
					Failed:  []string{"patch.security-pending", fmt.Sprintf("hygiene.check-%d", e%7)}})
			}
			var xs []federation.Exposure
			for e := range perRegion / 2 {
				xs = append(xs, federation.Exposure{Advisory: fmt.Sprintf("CERTFR-2026-AVI-%04d", e%60), EntityID: int64(e), AgentID: fmt.Sprint(e)})
			}
			a := federation.Build(federation.Input{Region: name, Day: federation.Day(day), AsOf: day, GeneratedAt: day, Members: ms, Exposures: xs, ExposuresIncluded: true})
			doc, _ := json.Marshal(a)
			rec := store.AggregateRecord{Region: name, Day: a.Day, ReceivedAt: day, GeneratedAt: day, SHA256: federation.Digest(a), Document: doc, Envelope: []byte("{}")}
			rec.Entities, rec.LevelN, rec.LevelSum, rec.WithheldCells = national.Figures(a)
			if _, err := st.PutAggregate(ctx, rec); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func nationalRequest(tb testing.TB, st store.Store) (*http.Request, http.Handler) {
	tb.Helper()
	ctx := context.Background()
	h, _ := auth.Hash("x", auth.Fast)
	u, err := st.CreateUser(ctx, store.User{Email: "anssi@csirt.example", Role: store.RoleAdviser, PasswordHash: h})
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256([]byte("nat-cookie"))
	st.CreateSession(ctx, store.Session{Hash: sum[:], UserID: u.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	ui, err := web.New(web.Config{Store: st, Now: func() time.Time { return now }, Argon2: auth.Fast})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.RegisterNational(mux)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-vigie_session", Value: "nat-cookie"})
	return req, mux
}

// TestNationalPage: the national overview shows each region's last day, a
// silent region as such, withheld bands marked, the advisories summed
// nationally; the regional pages are not served.
func TestNationalPage(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nationalHub(t, st, 3, 10, 200, map[int]int{2: 5}) // Région 02 silent for 5 days
	req, h := nationalRequest(t, st)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	for _, want := range []string{"Vue nationale", "Région 00", "Région 02", "silencieuse depuis 5 jours", "tranche(s) retenue(s)", "CERTFR-2026-AVI-0059", "<polyline"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Count(body, "silencieuse depuis") != 1 {
		t.Errorf("only Région 02 is silent")
	}
	for _, path := range []string{"/admin/tokens", "/entity/1", "/export.csv", "/advisories"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.AddCookie(&http.Cookie{Name: "__Host-vigie_session", Value: "nat-cookie"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusNotFound {
			t.Errorf("national hub serves %s: %d", path, rec.Code)
		}
	}
}

// BenchmarkNationalOverview renders the national overview (session check,
// each region's latest document, a year of trend points, HTML) for 18
// regions with a year of daily aggregates (6,570 documents of 300
// entities each). Target: <= 200 ms.
func BenchmarkNationalOverview(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "hub.db")
			if backend == "postgres" {
				dsn = pgtest.DSN(b)
			}
			st, err := store.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			nationalHub(b, st, 18, 365, 300, map[int]int{5: 9})
			req, h := nationalRequest(b, st)
			var size int
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB/page")
		})
	}
}
