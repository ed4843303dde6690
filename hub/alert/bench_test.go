package alert_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
)

// BenchmarkIngestAlerts is hub/api's BenchmarkIngest (64 agents uploading
// signed workstation scorecards concurrently to SQLite) without and with
// the alert engine running beside it (bench/hub.sh): the target is at most
// 5 % fewer scorecards/s with detection on. "random" scorecards change at
// every scan (hubtest's agents: the worst case, every scorecard has new
// failures and most a new critical one); "stable" ones repeat their
// results, as real hosts mostly do. catchup-ms is how long detection still
// ran after the last upload was acknowledged.
func BenchmarkIngestAlerts(b *testing.B) {
	for _, profile := range []string{"random", "stable"} {
		b.Run(profile+"/off", func(b *testing.B) { benchIngestAlerts(b, profile == "stable", false) })
		b.Run(profile+"/on", func(b *testing.B) { benchIngestAlerts(b, profile == "stable", true) })
	}
}

func benchAgents() int {
	if n, err := strconv.Atoi(os.Getenv("VIGIE_BENCH_AGENTS")); err == nil && n > 0 {
		return n
	}
	return 64
}

// benchHub makes a store with workers enrolled agents and their envelopes.
func benchHub(b *testing.B, workers, n int, stable bool) (store.Store, []*hubtest.Agent, [][][]byte) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e, _ := st.EnsureEntity(ctx, "Mairie", "commune")
	agents := make([]*hubtest.Agent, workers)
	t0 := time.Now()
	for i := range agents {
		a := hubtest.NewAgent(uint64(1000+i), 0.6)
		tok := fmt.Sprint("bench-", i)
		st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, t0); err != nil {
			b.Fatal(err)
		}
		agents[i] = a
	}
	bodies := make([][][]byte, workers)
	for i := 0; i < n; i++ {
		w := i % workers
		a := agents[w]
		if stable {
			// Same results every scan: the same random stream each time.
			fresh := hubtest.NewAgent(uint64(1000+w), 0.6)
			fresh.Seq = a.Seq
			a.Seq++
			bodies[w] = append(bodies[w], a.Sign(fresh.Build(a.Seq, t0.Add(time.Duration(i)*time.Second))))
			continue
		}
		bodies[w] = append(bodies[w], a.Sign(a.Next(t0.Add(time.Duration(i)*time.Second))))
	}
	return st, agents, bodies
}

// upload sends every body through the ingestion handler, workers at once.
func upload(b *testing.B, h http.Handler, agents []*hubtest.Agent, bodies [][][]byte) {
	var wg sync.WaitGroup
	var failed atomic.Value
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
					failed.Store(fmt.Sprintf("status %d: %s", rec.Code, rec.Body))
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
}

func benchIngestAlerts(b *testing.B, stable, detect bool) {
	st, agents, bodies := benchHub(b, benchAgents(), b.N, stable)
	h := api.New(api.Config{Store: st, UploadsPerHour: -1, MaxUploadsPerAddress: -1}).Handler()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var eng *alert.Engine
	done := make(chan struct{})
	if detect {
		var err error
		if eng, err = alert.New(alert.Config{Store: st, PublicURL: "https://hub.example"}); err != nil {
			b.Fatal(err)
		}
		if err := eng.Detect(ctx); err != nil { // first run: baselines
			b.Fatal(err)
		}
		go func() { eng.Run(ctx); close(done) }()
	} else {
		close(done)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	upload(b, h, agents, bodies)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scorecards/s")
	if detect {
		defer func() {
			// CPU per scorecard, detection's catch-up included: less
			// sensitive than the rate to other work on the machine.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/scorecard")
		}()
	} else {
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/scorecard")
	}
	if detect {
		// Detection must keep up: measure how long it still runs.
		as := store.Alerts(st)
		head, _ := as.IngestHead(ctx)
		start := time.Now()
		for {
			cur, _, _ := as.AlertCursor(ctx)
			if cur >= head {
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("detection behind by %d scorecards after a minute", head-cur)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "catchup-ms")
	}
	cancel()
	<-done
}
