//go:build linux

package hygiene_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/backup"
	"github.com/vigie-cyber/vigie/checks/hygiene"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// families is what the performance budget covers: the whole backup and
// hygiene families on the real host (budget: 1 s, 25 MB RSS).
func families(backupDir string) []checks.Check {
	return append(backup.Checks([]string{backupDir}), hygiene.Checks(hygiene.SectorCommune)...)
}

func runFamilies(backupDir string) (time.Duration, []protocol.Result) {
	start := time.Now()
	rs := checks.RunAll(context.Background(), livehost.New(), families(backupDir), checks.RunOptions{})
	return time.Since(start), rs
}

// maxRSSMB is the peak resident set of this process, in MB.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// TestMain lets the test binary run the families alone in a child process,
// so that peak RSS measures the families and not the test framework.
func TestMain(m *testing.M) {
	if dir := os.Getenv("VIGIE_FAMILIES_CHILD"); dir != "" {
		d, rs := runFamilies(dir)
		os.Stdout.WriteString(strconv.FormatInt(d.Microseconds(), 10) + " " + strconv.FormatFloat(maxRSSMB(), 'f', 1, 64) + " " + strconv.Itoa(len(rs)) + "\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childRun measures one run of both families in a fresh process.
func childRun(tb testing.TB) (time.Duration, float64) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIE_FAMILIES_CHILD="+tb.TempDir())
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("child: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		tb.Fatalf("child printed %q", out)
	}
	us, _ := strconv.ParseInt(f[0], 10, 64)
	rss, _ := strconv.ParseFloat(f[1], 64)
	return time.Duration(us) * time.Microsecond, rss
}

// TestFamiliesOnThisHost runs every backup and hygiene check on the real
// host: none may panic or hang. Speed and memory are measured by
// BenchmarkFamilies, not asserted here (timed unit tests are flaky on shared
// machines and prove nothing about the code).
func TestFamiliesOnThisHost(t *testing.T) {
	d, rs := runFamilies(t.TempDir())
	for _, r := range rs {
		if strings.Contains(r.Evidence.EN, "panic") || strings.Contains(r.Evidence.EN, "deadline") {
			t.Errorf("%s: %s %s", r.ID, r.Status, r.Evidence.EN)
		}
		t.Logf("%-26s %-15s %6s  %s", r.ID, r.Status, r.Duration.Round(time.Millisecond), r.Evidence.EN)
	}
	t.Logf("both families on this host: %s", d.Round(time.Millisecond))
}

// BenchmarkFamilies: go test ./checks/hygiene -run ^$ -bench Families.
// Reports the peak RSS of a fresh process running both families once.
func BenchmarkFamilies(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		runFamilies(dir)
	}
	b.StopTimer()
	_, rss := childRun(b)
	b.ReportMetric(rss, "peak-RSS-MB")
}
