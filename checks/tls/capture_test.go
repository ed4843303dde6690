package tls

import (
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

const flightDir = "../../testdata/tls/flights"

// TestCaptureFlights re-records the parser fixtures from a real openssl
// s_server: VIGIE_CAPTURE=1 go test ./checks/tls -run TestCaptureFlights
func TestCaptureFlights(t *testing.T) {
	if os.Getenv("VIGIE_CAPTURE") == "" {
		t.Skip("set VIGIE_CAPTURE=1 to re-record testdata/tls/flights from openssl s_server")
	}
	dir := t.TempDir()
	_, certPath, keyPath := makeCert(t, dir, certSpec{})
	capture := func(name string, port int, p helloParams) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p.ServerName = "mairie.example"
		rand.Read(p.Random[:])
		if p.Version == vTLS13 {
			p.SessionID = make([]byte, 32)
			p.KeyShare = make([]byte, 32)
			rand.Read(p.KeyShare)
		}
		c.Write(buildClientHello(p))
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		b, _ := io.ReadAll(c)
		if err := os.WriteFile(filepath.Join(flightDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(flightDir, 0o755)
	p12 := startOpenSSL(t, certPath, keyPath, "-tls1_2")
	capture("openssl-tls12-ecdhe.bin", p12, helloParams{Version: vTLS12, Suites: []uint16{0xC02F}})
	capture("openssl-tls12-dhe.bin", p12, helloParams{Version: vTLS12, Suites: []uint16{0x009E}})
	capture("openssl-tls12-rsa.bin", p12, helloParams{Version: vTLS12, Suites: []uint16{0x009C}})
	capture("openssl-alert-protocol-version.bin", p12, helloParams{Version: vTLS10, Suites: suitesFor(vTLS10)})
	capture("openssl-alert-handshake-failure.bin", p12, helloParams{Version: vTLS12, Suites: []uint16{0x000A}})
	p13 := startOpenSSL(t, certPath, keyPath, "-tls1_3")
	capture("openssl-tls13.bin", p13, helloParams{Version: vTLS13, Suites: []uint16{0x1302}})
}
