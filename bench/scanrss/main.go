//go:build linux

// Command scanrss runs one full scan of this host in-process, the way
// `vigie scan` does, and prints its wall time and the peak RSS of the Go
// process alone (getrusage RUSAGE_SELF) apart from that of the commands the
// checks ran (RUSAGE_CHILDREN: apt-get, sshd -T...). GNU time reports the
// larger of the two, which hides whose memory it is. Used by bench/scan.sh.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/checks/registry"
)

func main() {
	start := time.Now()
	h := livehost.New()
	sc := agent.Scan(context.Background(), h, agent.ScanOptions{
		Targets:   registry.Config{Sector: "other"},
		Run:       checks.DefaultRunOptions,
		Inventory: agent.Software,
	})
	wall := time.Since(start)
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	slowest, slowestID := time.Duration(0), ""
	for _, r := range sc.Results {
		if r.Duration > slowest {
			slowest, slowestID = r.Duration, r.ID
		}
	}
	fmt.Printf("scan: %d results, wall %.2f s, Go process peak RSS %.1f MiB, largest child command %.1f MiB, slowest check %s (%.2f s)\n",
		len(sc.Results), wall.Seconds(), float64(self.Maxrss)/1024, float64(children.Maxrss)/1024, slowestID, slowest.Seconds())
	os.Exit(0)
}
