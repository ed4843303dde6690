package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// BenchmarkImportOffline measures « vigie-hub import » of 10,000 offline
// scorecards (target: 10 s or less, issue 21): 500 hosts of a hospital
// with 20 scans each on one stick, workstations' scorecards with a small
// inventory (about 10 KB signed), into a fresh SQLite hub each time:
// read, age-decrypt, verify, apply per agent in order, commit (WAL,
// synchronous=FULL). Run with -benchtime=1x -cpu 2.
//
// Measured on the shared 2-CPU development host under a load average of
// 16 to 23 (other jobs): 21.5 to 28 s wall, 8.7 to 11 CPU-seconds for the
// 10,000 files (870 to 1,100 µs of CPU a file: one X25519 for age, one
// Ed25519 verification, the summary's JSON, compression and the write),
// about 4.5 to 5.5 s of work for two free cores: the 10 s target is met in
// CPU, not shown in wall time on that loaded host.
func BenchmarkImportOffline(b *testing.B) {
	const hosts, perHost = 500, 20
	keys, err := hubkeys.Generate()
	if err != nil {
		b.Fatal(err)
	}
	stick := b.TempDir()
	agents := make([]*hubtest.Agent, hosts)
	for i := range agents {
		a := hubtest.NewAgent(uint64(i+1), 0.6)
		agents[i] = a
		for seq := uint64(1); seq <= perHost; seq++ {
			var buf bytes.Buffer
			w, err := age.Encrypt(&buf, keys.Age.Recipient())
			if err != nil {
				b.Fatal(err)
			}
			w.Write(a.Sign(a.Build(seq, time.Now().Add(time.Duration(seq)*time.Hour))))
			w.Close()
			if err := os.WriteFile(filepath.Join(stick, protocol.OfflineScorecardName(a.ID, seq)), buf.Bytes(), 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
		if err != nil {
			b.Fatal(err)
		}
		e, _ := st.EnsureEntity(ctx, "CHU", "sante")
		now := time.Now()
		for _, a := range agents {
			tok := "t" + a.ID
			st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, now); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start, cpu := time.Now(), processCPU()
		sum, err := api.ImportOffline(ctx, st, api.OfflineConfig{Keys: keys, By: "bench"}, stick)
		d := time.Since(start)
		b.StopTimer()
		if err != nil || sum.Stored != hosts*perHost {
			b.Fatalf("import: %+v, %v", sum, err)
		}
		b.ReportMetric(d.Seconds(), "s/10k-files")
		b.ReportMetric((processCPU() - cpu).Seconds(), "cpu-s/10k-files")
		b.ReportMetric(float64(hosts*perHost)/d.Seconds(), "files/s")
		st.Close()
		b.StartTimer()
	}
}
