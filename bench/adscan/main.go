//go:build linux

// Command adscan measures the AD family on a directory of realistic size:
// it provisions a Samba AD DC (checks/ad/adtest), bulk-loads users and
// computers by LDIF before samba starts, then runs itself again inside the
// DC's network namespace under GNU time to read and judge the directory
// over LDAPS, printing wall time, the Go heap and peak RSS of that process
// alone. Used by bench/ad.sh (root, outside CI).
package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/checks/ad/adtest"
	"github.com/vigie-cyber/vigie/protocol"
)

func main() {
	users := flag.Int("users", 5000, "user accounts to create")
	computers := flag.Int("computers", 2000, "computer accounts to create")
	measure := flag.Bool("measure", false, "internal: read and judge (run inside the namespace)")
	ca := flag.String("ca", "", "internal: CA file")
	runs := flag.Int("runs", 3, "measured runs")
	hold := flag.Bool("hold", false, "keep the DC running after the runs until interrupted (to measure by hand)")
	trace := flag.Bool("trace", false, "internal: time each LDAP search")
	flag.Parse()
	if *measure {
		if *trace {
			os.Exit(traceOnce(*ca))
		}
		os.Exit(measureOnce(*ca))
	}
	dir, err := os.MkdirTemp("", "vigie-adbench-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	var loadTime time.Duration
	dc, err := adtest.New(context.Background(), adtest.Options{Dir: dir, Log: func(f string, a ...any) { fmt.Printf(f+"\n", a...) },
		BeforeStart: func(sam string) error {
			ldif := filepath.Join(dir, "bulk.ldif")
			if err := writeLDIF(ldif, *users, *computers); err != nil {
				return err
			}
			t0 := time.Now()
			err := adtest.LdbFile(context.Background(), "ldbadd", sam, ldif, "--nosync")
			loadTime = time.Since(t0)
			return err
		}})
	if err != nil {
		fatal(err)
	}
	defer dc.Close()
	fmt.Printf("directory: %d users + %d computers loaded by LDIF in %v\n", *users, *computers, loadTime.Round(time.Millisecond))
	self, _ := os.Executable()
	for i := 0; i < *runs; i++ {
		tf := filepath.Join(dir, "time")
		cmd := dc.Exec(context.Background(), "/usr/bin/time", "-f", "%e %M", "-o", tf, self, "-measure", "-ca", dc.CAFile)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fatal(fmt.Errorf("measured run: %w", err))
		}
		var wall float64
		var rss int
		b, _ := os.ReadFile(tf)
		fmt.Sscanf(string(b), "%f %d", &wall, &rss)
		fmt.Printf("run %d: process wall %.2f s, peak RSS %d MiB (GNU time)\n", i+1, wall, rss/1024)
	}
	if *hold {
		fmt.Printf("holding: ip netns exec %s %s -measure [-trace] -ca %s ; Ctrl-C to stop\n", dc.Namespace, self, dc.CAFile)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
	}
}

// timed wraps a connection and prints each search's duration and size.
type timed struct{ s ad.Searcher }

func (t timed) Search(r *ldap.SearchRequest) (*ldap.SearchResult, error) {
	t0 := time.Now()
	res, err := t.s.Search(r)
	n := 0
	if res != nil {
		n = len(res.Entries)
	}
	fmt.Printf("  search %-70.70s %v (%d entries)\n", r.BaseDN+" "+r.Filter, time.Since(t0).Round(time.Millisecond), n)
	return res, err
}

func traceOnce(caFile string) int {
	cfg := config(caFile)
	conn, err := ad.Connect(context.Background(), &net.Dialer{}, cfg)
	if err != nil {
		fatal(err)
	}
	defer conn.Close()
	if _, err := ad.Read(context.Background(), timed{conn}, "", time.Now()); err != nil {
		fatal(err)
	}
	return 0
}

func config(caFile string) *ad.Config {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return &ad.Config{URL: "ldaps://127.0.0.1", Bind: "simple", User: "Administrator@" + strings.ToLower(adtest.Realm),
		Password: adtest.AdminPassword, RootCAs: roots}
}

// measureOnce reads and judges the directory, in-process, and prints what
// it took. It runs inside the DC's namespace, so 127.0.0.1 is the DC.
func measureOnce(caFile string) int {
	cfg := config(caFile)
	h := &checks.Host{OS: "linux", Now: time.Now, Dialer: &net.Dialer{}}
	start := time.Now()
	counts := map[protocol.Status]int{}
	var level any
	for _, c := range ad.Checks(cfg) {
		ctx, cancel := context.WithTimeout(context.Background(), c.Meta().Timeout)
		r := c.Run(ctx, h)
		cancel()
		counts[r.Status]++
		if r.Status == protocol.Error {
			fmt.Fprintf(os.Stderr, "%s: %s\n", c.Meta().ID, r.Evidence.EN)
		}
		if c.Meta().ID == ad.IDLevel {
			level = r.Facts["level"]
		}
	}
	wall := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("  read and judged in %v; results %v; ad.level %v; heap peak-ish %d MiB (Sys %d MiB); RSS self %d MiB\n",
		wall.Round(time.Millisecond), counts, level, ms.HeapSys>>20, ms.Sys>>20, ru.Maxrss>>10)
	if counts[protocol.Error] > 0 {
		return 1
	}
	return 0
}

// writeLDIF writes users (a few admins, some without pre-authentication,
// some dormant) and computers (a mix of Windows releases, some stale).
func writeLDIF(path string, users, computers int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	base := adtest.BaseDN
	old := (time.Now().AddDate(-1, 0, 0).Unix() + 11644473600) * 10_000_000
	recent := (time.Now().AddDate(0, 0, -3).Unix() + 11644473600) * 10_000_000
	fmt.Fprintf(w, "dn: OU=Agents,%s\nobjectClass: organizationalUnit\n\ndn: OU=Postes,%s\nobjectClass: organizationalUnit\n\n", base, base)
	for i := 0; i < users; i++ {
		uac := 544 // enabled, no password required: no hashing, a fast load
		if i%500 == 7 {
			uac |= 0x400000
		}
		last := recent
		if i%20 == 0 {
			last = old
		}
		fmt.Fprintf(w, "dn: CN=agent%05d,OU=Agents,%s\nobjectClass: user\nsAMAccountName: agent%05d\nuserAccountControl: %d\nlastLogonTimestamp: %d\n\n",
			i, base, i, uac, last)
	}
	oses := [][2]string{{"Windows 11 Pro", "10.0 (26200)"}, {"Windows 10 Pro", "10.0 (19045)"}, {"Windows 7 Professional", "6.1 (7601)"}, {"Windows Server 2022 Standard", "10.0 (20348)"}}
	for i := 0; i < computers; i++ {
		o := oses[i%len(oses)]
		last := recent
		if i%15 == 0 {
			last = old
		}
		fmt.Fprintf(w, "dn: CN=PC%05d,OU=Postes,%s\nobjectClass: computer\nsAMAccountName: PC%05d$\nuserAccountControl: 4096\noperatingSystem: %s\noperatingSystemVersion: %s\nlastLogonTimestamp: %d\n\n",
			i, base, i, o[0], o[1], last)
	}
	// A few more administrators, through a nested group.
	fmt.Fprintf(w, "dn: CN=Admins-Mairie,OU=Agents,%s\nobjectClass: group\nsAMAccountName: Admins-Mairie\n", base)
	for i := 0; i < 5 && i < users; i++ {
		fmt.Fprintf(w, "member: CN=agent%05d,OU=Agents,%s\n", i, base)
	}
	w.WriteString("\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "adscan:", err)
	os.Exit(1)
}
