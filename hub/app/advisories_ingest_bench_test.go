package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
)

// BenchmarkIngestMatching: scorecards of 64 agents (1,000 packages each,
// the inventory carried in every scorecard as an agent does weekly: the
// worst case for the matcher, which reads each stored scorecard) uploaded
// through the ingestion handler, with the advisories matcher off and on
// (api.Config.Stored queueing each agent, RunMatcher matching beside
// ingestion, the advisories of testdata or BENCH_ADVISORIES). The issue
// asks ingestion's speed unchanged by matching: compare scorecards/s and
// cpu-µs/scorecard (the matcher's catch-up included) between off and on.
func BenchmarkIngestMatching(b *testing.B) {
	b.Run("off", func(b *testing.B) { benchIngestMatching(b, false) })
	b.Run("on", func(b *testing.B) { benchIngestMatching(b, true) })
}

func benchIngestMatching(b *testing.B, matching bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e, _ := st.EnsureEntity(ctx, "Mairie de Lannion", "commune")
	const workers = 64
	now := time.Now()
	agents := make([]*hubtest.Agent, workers)
	bodies := make([][][]byte, workers)
	for i := range agents {
		a := hubtest.NewAgent(uint64(5000+i), 0.7)
		a.Packages = 1000
		if i%3 == 0 {
			a.Host = workstation(uint64(i), "10.0.19045.6575", "140.5.0").Host
		}
		tok := fmt.Sprint("bench-", i)
		st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, now); err != nil {
			b.Fatal(err)
		}
		agents[i] = a
	}
	for i := range b.N {
		w := i % workers
		bodies[w] = append(bodies[w], agents[w].Sign(agents[w].Next(now.Add(time.Duration(i)*time.Second))))
	}
	cfg := api.Config{Store: st, UploadsPerHour: -1, MaxUploadsPerAddress: workers}
	var m *app.Advisories
	if matching {
		a := app.New(app.Config{Store: st})
		if m, err = a.NewAdvisories(app.AdvisoryConfig{Window: 100 * 365 * 24 * time.Hour}); err != nil {
			b.Fatal(err)
		}
		src := filepath.Join(advisoryData, "docs")
		if v := os.Getenv("BENCH_ADVISORIES"); v != "" {
			src = v
		}
		if _, err := m.Import(ctx, "bench", nil, src); err != nil {
			b.Fatal(err)
		}
		if _, err := m.LoadAdvisories(ctx); err != nil {
			b.Fatal(err)
		}
		cfg.Stored = m.HostChanged
		go m.RunMatcher(ctx)
	}
	h := api.New(cfg).Handler()
	b.ResetTimer()
	cpu := processCPU()
	var wg sync.WaitGroup
	var failed sync.Once
	for w := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, body := range bodies[w] {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/scorecards", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Vigie-Agent", agents[w].ID)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					failed.Do(func() { b.Errorf("status %d: %s", rec.Code, rec.Body) })
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	rate := float64(b.N) / b.Elapsed().Seconds()
	start := time.Now()
	if m != nil {
		for m.Pending() > 0 && time.Since(start) < time.Minute {
			time.Sleep(2 * time.Millisecond)
		}
	}
	b.ReportMetric(rate, "scorecards/s")
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/scorecard")
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "catchup-ms")
}
