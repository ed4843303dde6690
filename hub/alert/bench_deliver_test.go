package alert_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/store"
)

// BenchmarkDeliverPending: does delivering a backlog block ingestion?
// b.N scorecards ("stable" profile) are uploaded by 64 agents with the
// engine running, once with nothing to deliver ("idle") and once with
// 10,000 alerts pending for a slow webhook on loopback (each answer after
// VIGIE_BENCH_HOOK_MS, default 10 ms, as a ticketing tool might take),
// delivered meanwhile (8 workers). Ingestion's scorecards/s and
// cpu-µs/scorecard in both show what the deliveries cost it; alerts/s and
// all-delivered-ms show the backlog does drain.
func BenchmarkDeliverPending(b *testing.B) {
	b.Run("idle", func(b *testing.B) { benchDeliverPending(b, 0) })
	b.Run("backlog", func(b *testing.B) { benchDeliverPending(b, 10000) })
}

func hookDelay() time.Duration {
	var ms int
	if _, err := fmt.Sscan(os.Getenv("VIGIE_BENCH_HOOK_MS"), &ms); err == nil && ms >= 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return 10 * time.Millisecond
}

func benchDeliverPending(b *testing.B, pending int) {
	st, agents, bodies := benchHub(b, benchAgents(), b.N, true)
	recv := newReceiver(b, time.Now)
	delay := hookDelay()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		recv.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer slow.Close()
	eng, err := alert.New(alert.Config{Store: st, PublicURL: "https://hub.example",
		Webhooks: []alert.WebhookConfig{{URL: slow.URL, Secret: recv.secret, Events: []string{"test"}}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := eng.Detect(ctx); err != nil {
		b.Fatal(err)
	}
	if pending > 0 {
		batch := store.AlertBatch{}
		now := time.Now()
		for i := range pending {
			batch.Events = append(batch.Events, store.AlertEvent{Kind: "test", At: now, Data: []byte(`{"message":"bench"}`),
				Deliveries: []store.NewDelivery{{MsgID: fmt.Sprintf("msg_bench_%d", i), Channel: alert.ChannelWebhook, Target: "file:1", Address: slow.URL, Expires: now.Add(72 * time.Hour)}}})
		}
		if _, err := store.Alerts(st).CommitAlerts(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	h := api.New(api.Config{Store: st, UploadsPerHour: -1, MaxUploadsPerAddress: -1}).Handler()
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	cpu0 := processCPU()
	go func() { eng.Run(ctx); close(done) }()
	upload(b, h, agents, bodies)
	b.StopTimer() // ns/op: ingestion alone
	ingest := time.Since(start)
	cpu := processCPU() - cpu0
	delivered := func() int {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return len(recv.seen)
	}
	during := delivered()
	for delivered() < pending {
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("%d of %d delivered", delivered(), pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
	all := time.Since(start)
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/ingest.Seconds(), "scorecards/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/scorecard")
	if pending > 0 {
		b.ReportMetric(float64(during), "delivered-while-ingesting")
		b.ReportMetric(float64(pending)/all.Seconds(), "alerts/s")
		b.ReportMetric(float64(all.Milliseconds()), "all-delivered-ms")
	}
}
