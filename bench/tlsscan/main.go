// Command tlsscan times Vigie's TLS assessment of one endpoint and prints
// the accepted suites per protocol, for bench/tls-vs-sslscan.sh.
//
//	tlsscan -n 5 127.0.0.1:4433
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"time"

	vtls "github.com/vigie-cyber/vigie/checks/tls"
)

func main() {
	n := flag.Int("n", 1, "assessments to run; the mean time is printed")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: tlsscan [-n runs] host:port")
		os.Exit(2)
	}
	var a *vtls.Assessment
	start := time.Now()
	for i := 0; i < *n; i++ {
		var err error
		a, err = vtls.Assess(context.Background(), &net.Dialer{}, flag.Arg(0), vtls.Config{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "tlsscan:", err)
			os.Exit(1)
		}
	}
	mean := time.Since(start) / time.Duration(*n)
	suites := a.AcceptedSuites()
	versions := make([]string, 0, len(suites))
	for v := range suites {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for _, v := range versions {
		fmt.Printf("accepted %s %d\n", v, len(suites[v]))
	}
	fmt.Printf("connections %d\n", a.Conns)
	fmt.Printf("seconds %.4f\n", mean.Seconds())
}
