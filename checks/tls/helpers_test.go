package tls

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

// now is the fake hosts' clock; certificates are made around it.
var now = checkstest.Clock

// loopDialer sends every connection to 127.0.0.1 on the requested port, so
// endpoints can carry real-looking names (mairie.example) in tests.
type loopDialer struct{ d net.Dialer }

func (l *loopDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	return l.d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

func testHost() *checks.Host {
	h := checkstest.Host()
	h.Dialer = &loopDialer{}
	return h
}

// testCA is one CA shared by the tests (RSA key generation is the slow part).
var testCA = sync.OnceValue(func() *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Vigie Test CA", Organization: []string{"Vigie"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &issuer{cert: cert, key: key}
})

type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (i *issuer) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(i.cert)
	return p
}

// certSpec describes a test certificate.
type certSpec struct {
	Names      []string
	NotBefore  time.Time
	NotAfter   time.Time
	Key        string // rsa1024, rsa2048 (default), ecdsa256
	SelfSigned bool
	SHA1       bool
	OCSPServer string
}

var keyCache sync.Map // key type -> crypto.Signer

func testKey(kind string) crypto.Signer {
	if k, ok := keyCache.Load(kind); ok {
		return k.(crypto.Signer)
	}
	var k crypto.Signer
	var err error
	switch kind {
	case "ecdsa256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa1024":
		k, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		panic(err)
	}
	keyCache.Store(kind, k)
	return k
}

var serial = struct {
	sync.Mutex
	n int64
}{n: 100}

// makeCert writes cert.pem and key.pem into dir and returns the leaf.
func makeCert(t testing.TB, dir string, s certSpec) (*x509.Certificate, string, string) {
	t.Helper()
	if len(s.Names) == 0 {
		s.Names = []string{"mairie.example"}
	}
	if s.NotBefore.IsZero() {
		s.NotBefore = now.AddDate(0, 0, -10)
	}
	if s.NotAfter.IsZero() {
		s.NotAfter = now.AddDate(0, 0, 80)
	}
	serial.Lock()
	serial.n++
	sn := serial.n
	serial.Unlock()
	key := testKey(s.Key)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(sn), Subject: pkix.Name{CommonName: s.Names[0]},
		DNSNames: s.Names, NotBefore: s.NotBefore, NotAfter: s.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if s.OCSPServer != "" {
		tmpl.OCSPServer = []string{s.OCSPServer}
	}
	parent, signer := testCA().cert, testCA().key
	if s.SelfSigned {
		parent, signer = tmpl, key
	}
	var der []byte
	var err error
	if s.SHA1 {
		tmpl.SignatureAlgorithm = x509.SHA1WithRSA
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certPath, "CERTIFICATE", der)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyPath, "PRIVATE KEY", kder)
	return leaf, certPath, keyPath
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startOpenSSL runs openssl s_server on a random loopback port and returns
// the port. args come after the certificate options.
func startOpenSSL(t testing.TB, certPath, keyPath string, args ...string) int {
	t.Helper()
	openssl := checkstest.Need(t, "openssl")
	all := append([]string{"s_server", "-accept", "127.0.0.1:0", "-www", "-cert", certPath, "-key", keyPath}, args...)
	cmd := exec.Command(openssl, all...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	portc := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if !sent && strings.HasPrefix(line, "ACCEPT ") {
				_, p, _ := net.SplitHostPort(strings.TrimPrefix(line, "ACCEPT "))
				n, _ := strconv.Atoi(p)
				portc <- n
				sent = true
			}
		}
		if !sent {
			close(portc)
		}
	}()
	select {
	case p, ok := <-portc:
		if !ok || p == 0 {
			t.Fatalf("openssl s_server %v did not start", args)
		}
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("openssl s_server %v did not start within 10 s", args)
	}
	return 0
}

// runChecks runs cfg's checks like the scanner does and returns them by ID.
func runChecks(t testing.TB, h *checks.Host, cfg Config) map[string]protocol.Result {
	t.Helper()
	list := Checks(cfg)
	res := checks.RunAll(context.Background(), h, list, checks.RunOptions{Concurrency: 16})
	out := map[string]protocol.Result{}
	for _, r := range res {
		out[r.ID] = r
	}
	return out
}

func statuses(rs map[string]protocol.Result) map[string]protocol.Status {
	out := map[string]protocol.Status{}
	for id, r := range rs {
		out[id] = r.Status
	}
	return out
}
