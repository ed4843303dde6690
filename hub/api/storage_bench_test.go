package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/inventory"
	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// BenchmarkStorageYear estimates what a year of a region costs on disk
// (issue 15: 20,000 hosts scanned daily, 1,000 packages each) from a
// measured sample: VIGIE_STORAGE_HOSTS hosts (default 20) each upload 365
// daily scorecards through the real ingestion into a real SQLite hub, and
// the database's size per host-year is multiplied by 20,000.
//
// Each host's inventory is the captured Debian 12 server's (807 packages,
// testdata/inventory/debian12) completed to 1,000, with a few versions of
// its own; it changes every 30 days (three packages upgraded), at a day
// of the month that differs between hosts. The agent's rule decides what
// each scorecard carries: the full list on a change and when the last full
// one is 7 days old (protocol.InventoryRefresh), the hash alone otherwise;
// so about 61 scorecards a year carry the list and 304 only its name. The
// hub keeps every envelope byte for byte (the full lists in them
// included) and each distinct inventory once. Run it with bench/storage.sh
// (-benchtime 1x: the sample is the measure).
func BenchmarkStorageYear(b *testing.B) {
	hosts := 20
	if n, err := strconv.Atoi(os.Getenv("VIGIE_STORAGE_HOSTS")); err == nil && n > 0 {
		hosts = n
	}
	const days, region, packages = 365, 20000, 1000
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "inventory", "debian12", "dpkg-query.txt"))
	if err != nil {
		b.Fatal(err)
	}
	debian, err := inventory.ParseDpkgQuery(data)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dir := b.TempDir()
	dbPath := filepath.Join(dir, "hub.db")
	for range b.N {
		os.Remove(dbPath)
		st, err := store.Open(ctx, dbPath)
		if err != nil {
			b.Fatal(err)
		}
		e, _ := st.EnsureEntity(ctx, "Mairie", "commune")
		agents := make([]*hubtest.Agent, hosts)
		for i := range agents {
			a := hubtest.NewAgent(uint64(5000+i), 0.6)
			tok := fmt.Sprint("storage-", i)
			st.CreateToken(ctx, store.Token{Hash: app.HashToken(tok), EntityID: e.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
			if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: a.ID, PublicKey: a.Key.Public().(ed25519.PublicKey)}, t0); err != nil {
				b.Fatal(err)
			}
			agents[i] = a
		}
		st.Close()
		empty := fileSize(b, dbPath)
		st, err = store.Open(ctx, dbPath)
		if err != nil {
			b.Fatal(err)
		}
		h := api.New(api.Config{Store: st, UploadsPerHour: -1, MaxUploadsPerAddress: -1, Now: time.Now}).Handler() // hosts share httptest's address
		var full, hashOnly, bytesSent int64
		fullIDs := map[string]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan string, hosts)
		b.ResetTimer()
		for i, a := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pkgs := hostInventory(debian, i, packages)
				lastFull := -1000
				for day := range days {
					changed := day > 0 && (day+i*7)%30 == 0
					if changed {
						for k := range 3 { // three upgrades a month
							p := &pkgs[(day*7+k*131+i)%len(pkgs)]
							p.Version += "+u" + strconv.Itoa(day)
						}
					}
					sc := a.Next(t0.Add(time.Duration(day) * 24 * time.Hour))
					sc.Software = protocol.SortPackages(append([]protocol.Package(nil), pkgs...))
					sc.SoftwareSHA256 = protocol.SoftwareSHA256(sc.Software)
					if changed || day == 0 || day-lastFull >= 7 {
						lastFull = day
						mu.Lock()
						full++
						fullIDs[sc.ID] = true
						mu.Unlock()
					} else {
						sc.Software = nil
						mu.Lock()
						hashOnly++
						mu.Unlock()
					}
					body := a.Sign(sc)
					req := httptest.NewRequest(http.MethodPost, "/api/v1/scorecards", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Vigie-Agent", a.ID)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusCreated || bytes.Contains(rec.Body.Bytes(), []byte("send_inventory")) {
						errs <- fmt.Sprintf("day %d: %d %s", day, rec.Code, rec.Body)
						return
					}
					mu.Lock()
					bytesSent += int64(len(body))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		close(errs)
		for e := range errs {
			b.Fatal(e)
		}
		st.Close() // checkpoints the WAL into the file
		size := fileSize(b, dbPath) - empty
		perHost := float64(size) / float64(hosts)
		env, envFull, inv, invN := breakdown(b, dbPath, fullIDs)
		b.ReportMetric(float64(full)/float64(hosts), "full-scorecards/host-year")
		b.ReportMetric(float64(hashOnly)/float64(hosts), "hash-only/host-year")
		b.ReportMetric(float64(bytesSent)/float64(hosts)/1e6, "MB-uploaded/host-year")
		b.ReportMetric(perHost/1e6, "MB-on-disk/host-year")
		b.ReportMetric(float64(env)/float64(hosts)/1e6, "MB-envelopes/host-year")
		b.ReportMetric(float64(envFull)/float64(full)/1e3, "kB-stored/full-envelope")
		b.ReportMetric(float64(env-envFull)/float64(hashOnly)/1e3, "kB-stored/hash-only-envelope")
		b.ReportMetric(float64(inv)/float64(hosts)/1e6, "MB-inventories/host-year")
		b.ReportMetric(float64(invN)/float64(hosts), "inventories/host-year")
		b.ReportMetric(perHost*region/1e9, "GB-region-year")
	}
}

// hostInventory is host i's inventory: the Debian server's packages, some
// with a version of its own, completed to n with packages named as
// Debian's are.
func hostInventory(debian []protocol.Package, i, n int) []protocol.Package {
	pkgs := append([]protocol.Package(nil), debian...)
	for k := range pkgs {
		if (k+i)%17 == 0 {
			pkgs[k].Version += "+h" + strconv.Itoa(i)
		}
	}
	for k := len(pkgs); k < n; k++ {
		name := fmt.Sprintf("lib%s%d-%d", []string{"gnutls", "xml", "python3.11-", "systemd", "perl"}[k%5], k, i%3)
		v := fmt.Sprintf("%d.%d.%d-%d+deb12u%d", k%7, k%13, k%29, k%4+1, k%3+1)
		pkgs = append(pkgs, protocol.Package{Name: name, Version: v, Arch: "amd64", Source: protocol.SourceDpkg, SourcePackage: name, SourceVersion: v})
	}
	return pkgs
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// breakdown reads the bytes of stored envelopes (all, and those of the
// scorecards that carried the full list) and inventories, without the
// tables' and indexes' overhead, which the file size includes.
func breakdown(b *testing.B, path string, full map[string]bool) (envelopes, envFull, inventories, count int64) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, LENGTH(envelope) FROM scorecards`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			b.Fatal(err)
		}
		envelopes += n
		if full[id] {
			envFull += n
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
	if err := db.QueryRow(`SELECT COALESCE(SUM(LENGTH(data)), 0), COUNT(*) FROM inventories`).Scan(&inventories, &count); err != nil {
		b.Fatal(err)
	}
	return
}
