package agent

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// realisticScan returns a scorecard the size of a real one (80 results with
// evidence, 1500 inventory packages), built once: the benchmark measures
// what the cycle adds to the scan, not the scan.
func realisticScan(b *testing.B) func(context.Context, ScanOptions) (*protocol.Scorecard, error) {
	var list []checks.Check
	var res []protocol.Result
	for i := 0; i < 80; i++ {
		m := checks.Meta{ID: fmt.Sprintf("fam.check-%02d", i), Version: 1, Domain: protocol.DomainHygiene, Severity: protocol.Medium}
		list = append(list, checks.Func{M: m})
		r := checks.Failed(protocol.Textf("%d paquets en attente, dont %d de sécurité", "%d packages pending, %d security", i, i/2), map[string]any{"pending": i})
		r.ID = m.ID
		res = append(res, r)
	}
	var sw []protocol.Package
	for i := 0; i < 1500; i++ {
		sw = append(sw, protocol.Package{Name: fmt.Sprintf("lib-package-%d", i), Version: "1.2.3-4+deb12u1", Source: "debian"})
	}
	now := time.Now()
	tpl := report.Build(report.Scan{Checks: list, Results: res, StartedAt: now, FinishedAt: now, Software: sw})
	return func(_ context.Context, o ScanOptions) (*protocol.Scorecard, error) {
		sc := *tpl
		sc.ID = report.NewID()
		sc.Sequence = o.Sequence
		return &sc, nil
	}
}

// BenchmarkCycle measures what a scheduled cycle adds to the scan: sequence
// reservation, encoding, Ed25519 signing, durable spool write (fsync),
// HTTPS upload to a loopback hub that verifies and stores, state update and
// spool deletion.
func BenchmarkCycle(b *testing.B) {
	hub := newTestHub(b, nil)
	a, _ := enrolledAgent(b, hub, Options{Scan: realisticScan(b), Log: slogDiscard()})
	if _, err := a.Cycle(context.Background()); err != nil {
		b.Fatal(err)
	}
	items := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.Cycle(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if files, _, _ := a.Spool().Stats(); files != 0 {
		b.Fatalf("%d files left", files)
	}
	items = len(hub.storedSeqs())
	if items != b.N+1 {
		b.Fatalf("stored %d, want %d", items, b.N+1)
	}
	sc, _ := realisticScan(b)(context.Background(), ScanOptions{})
	p, _ := sc.Encode()
	b.ReportMetric(float64(len(p))/1024, "KiB-scorecard")
}

const idleEnv = "VIGIE_AGENT_IDLE_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(idleEnv); dir != "" {
		idleHelper(dir)
		return
	}
	os.Exit(m.Run())
}

// idleHelper runs the service loop between two scans, as the service does
// for most of its life, and says when it is idle.
func idleHelper(dir string) {
	cfg, err := ParseConfig("idle", []byte(fmt.Sprintf("state_dir = %q\n", dir)))
	if err != nil {
		panic(err)
	}
	SaveState(dir, &State{LastScan: time.Now()})
	a, err := New(cfg, Options{})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	runtime.GC()
	fmt.Println("idle")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// BenchmarkIdleService starts the service loop in a child process (this
// test binary, so an upper bound of the real binary's footprint), lets it
// settle, and reports its resident memory and the CPU it used over 3 s of
// idleness.
func BenchmarkIdleService(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), idleEnv+"="+filepath.Join(b.TempDir(), "state"))
		stdin, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "idle" {
			b.Fatalf("helper said %q", line)
		}
		time.Sleep(time.Second)
		cpu0 := cpuTicks(b, cmd.Process.Pid)
		time.Sleep(3 * time.Second)
		cpu1 := cpuTicks(b, cmd.Process.Pid)
		rss := rssKB(b, cmd.Process.Pid)
		stdin.Close()
		cmd.Wait()
		b.ReportMetric(float64(rss)/1024, "MB-RSS")
		b.ReportMetric(float64(cpu1-cpu0)*10, "ms-CPU/3s") // 100 ticks per second
	}
}

func rssKB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func cpuTicks(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}
