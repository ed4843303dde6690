package tls

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
)

// BenchmarkAssessEndpoint is one full assessment of an openssl s_server in
// its default configuration (TLS 1.2 and 1.3, 23 suites) on loopback.
// Goal: under 1 s.
func BenchmarkAssessEndpoint(b *testing.B) {
	_, certPath, keyPath := makeCert(b, b.TempDir(), certSpec{})
	port := startOpenSSL(b, certPath, keyPath)
	target := fmt.Sprintf("127.0.0.1:%d", port)
	for b.Loop() {
		a, err := Assess(context.Background(), &net.Dialer{}, target, Config{})
		if err != nil || len(a.Versions) != 2 {
			b.Fatalf("assessment: %v (%d versions)", err, len(a.Versions))
		}
	}
}

// BenchmarkAssess10Concurrent assesses ten openssl s_server endpoints at
// once. Goal: under 2 s.
func BenchmarkAssess10Concurrent(b *testing.B) {
	dir := b.TempDir()
	_, certPath, keyPath := makeCert(b, dir, certSpec{})
	var targets []string
	for i := 0; i < 10; i++ {
		targets = append(targets, fmt.Sprintf("127.0.0.1:%d", startOpenSSL(b, certPath, keyPath)))
	}
	for b.Loop() {
		var wg sync.WaitGroup
		for _, target := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := Assess(context.Background(), &net.Dialer{}, target, Config{}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}
