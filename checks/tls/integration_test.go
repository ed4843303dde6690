package tls

import (
	gotls "crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ocsp"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/protocol"
)

// strong is an openssl cipher configuration at Mozilla's intermediate
// level, used where a test looks at something else than the suites.
var strong = []string{"-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20"}

// want builds the expected statuses: every check passes except the ones
// that do not apply to a plain TLS endpoint, then the overrides.
func want(over map[string]protocol.Status) map[string]protocol.Status {
	w := map[string]protocol.Status{}
	for _, d := range definitions {
		w[d.meta.ID] = protocol.Pass
	}
	w["tls.ocsp-stapling"] = protocol.NotApplicable
	w["tls.hsts"] = protocol.NotApplicable
	w["tls.starttls"] = protocol.NotApplicable
	for id, s := range over {
		w[id] = s
	}
	return w
}

// TestOpenSSLConfigurations runs the family against real openssl s_server
// instances, one per configuration, and asserts the exact findings.
func TestOpenSSLConfigurations(t *testing.T) {
	t.Parallel()
	type tc struct {
		name     string
		cert     certSpec
		args     []string
		scheme   string
		ocsp     bool
		want     map[string]protocol.Status
		evidence map[string]string // substrings expected in the English evidence
		profile  string
		order    map[string]bool // server preference per version, when known
		dh1024   bool            // serve a 1024-bit DH group (RFC 2409 group 2)
	}
	cases := []tc{
		{name: "tls13-only", cert: certSpec{Key: "ecdsa256"}, args: []string{"-tls1_3"},
			want:     want(nil),
			evidence: map[string]string{"tls.protocol-legacy": "accepted versions: TLS 1.3", "tls.cert-key": "ECDSA P-256"},
			profile:  "modern"},
		{name: "tls12-strong-ocsp", cert: certSpec{OCSPServer: "http://ocsp.vigie.invalid"}, ocsp: true,
			args:     append([]string{"-tls1_2", "-serverpref"}, strong...),
			want:     want(map[string]protocol.Status{"tls.ocsp-stapling": protocol.Pass}),
			evidence: map[string]string{"tls.protocol-legacy": "accepted versions: TLS 1.2", "tls.ocsp-stapling": "good", "tls.forward-secrecy": "x25519"},
			profile:  "intermediate", order: map[string]bool{"TLS 1.2": true}},
		{name: "default-openssl", args: nil,
			want:     want(map[string]protocol.Status{"tls.forward-secrecy": protocol.Warn, "tls.profile": protocol.Warn}),
			evidence: map[string]string{"tls.forward-secrecy": "6 suites without forward secrecy", "tls.ciphers-weak": "23 suites accepted, none weak"},
			profile:  "old", order: map[string]bool{"TLS 1.2": false, "TLS 1.3": false}},
		{name: "dhe-1024", dh1024: true, args: []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"},
			want:     want(map[string]protocol.Status{"tls.forward-secrecy": protocol.Warn, "tls.profile": protocol.Warn}),
			evidence: map[string]string{"tls.forward-secrecy": "Diffie-Hellman group below 2048 bits: DH 1024"},
			profile:  "old"},
		{name: "tls10-11-weak-cbc",
			args: []string{"-min_protocol", "TLSv1", "-max_protocol", "TLSv1.1",
				"-cipher", "ECDHE-RSA-AES256-SHA:AES128-SHA:NULL-SHA:ADH-AES128-SHA:@SECLEVEL=0"},
			want: want(map[string]protocol.Status{"tls.protocol-legacy": protocol.Fail, "tls.ciphers-weak": protocol.Fail,
				"tls.forward-secrecy": protocol.Warn, "tls.profile": protocol.Fail}),
			evidence: map[string]string{
				"tls.protocol-legacy": "TLS 1.0, TLS 1.1 still accepted",
				"tls.ciphers-weak":    "TLS_RSA_WITH_NULL_SHA (TLS 1.0)",
				"tls.forward-secrecy": "TLS_RSA_WITH_AES_128_CBC_SHA",
			},
			profile: "none"},
		{name: "expired", cert: certSpec{NotBefore: now.AddDate(0, -3, 0), NotAfter: now.AddDate(0, 0, -3)}, args: strong,
			want:     want(map[string]protocol.Status{"tls.cert-expiry": protocol.Fail}),
			evidence: map[string]string{"tls.cert-expiry": "expired on"}, profile: "intermediate"},
		{name: "expiring-in-20-days", cert: certSpec{NotAfter: now.AddDate(0, 0, 20).Add(time.Hour)}, args: strong,
			want:     want(map[string]protocol.Status{"tls.cert-expiry": protocol.Warn}),
			evidence: map[string]string{"tls.cert-expiry": "in 20 days"}, profile: "intermediate"},
		{name: "self-signed", cert: certSpec{SelfSigned: true}, args: strong,
			want:     want(map[string]protocol.Status{"tls.cert-chain": protocol.Fail}),
			evidence: map[string]string{"tls.cert-chain": "self-signed"}, profile: "intermediate"},
		{name: "wrong-hostname", cert: certSpec{Names: []string{"autre.example"}}, args: strong,
			want:     want(map[string]protocol.Status{"tls.cert-hostname": protocol.Fail}),
			evidence: map[string]string{"tls.cert-hostname": `does not cover "mairie.example" but: autre.example`}, profile: "intermediate"},
		{name: "rsa1024", cert: certSpec{Key: "rsa1024"}, args: []string{"-cipher", "ECDHE+AESGCM:@SECLEVEL=0"},
			want:     want(map[string]protocol.Status{"tls.cert-key": protocol.Fail, "tls.profile": protocol.Fail}),
			evidence: map[string]string{"tls.cert-key": "RSA 1024 bits"}, profile: "none"},
		{name: "sha1-chain", cert: certSpec{SHA1: true}, args: []string{"-cipher", "ECDHE+AESGCM:@SECLEVEL=0"},
			want: want(map[string]protocol.Status{"tls.cert-signature": protocol.Fail, "tls.cert-chain": protocol.Fail,
				"tls.profile": protocol.Fail}),
			evidence: map[string]string{"tls.cert-signature": "SHA1-RSA", "tls.cert-chain": "SHA1-RSA"}, profile: "none"},
		{name: "https-without-hsts", scheme: "https://", args: strong,
			want:     want(map[string]protocol.Status{"tls.hsts": protocol.Fail}),
			evidence: map[string]string{"tls.hsts": "no Strict-Transport-Security header (HTTP response 200)"}, profile: "intermediate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			leaf, certPath, keyPath := makeCert(t, dir, c.cert)
			args := c.args
			if c.ocsp {
				ca := testCA()
				der, err := ocsp.CreateResponse(ca.cert, ca.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
					ThisUpdate: now.Add(-time.Hour), NextUpdate: now.AddDate(0, 0, 7)}, ca.key)
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(dir, "ocsp.der")
				if err := os.WriteFile(p, der, 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(append([]string(nil), args...), "-status_file", p)
			}
			if c.dh1024 {
				p := filepath.Join(dir, "dh1024.pem")
				writePEM(t, p, "DH PARAMETERS", dh1024Params())
				args = append(append([]string(nil), args...), "-dhparam", p)
			}
			port := startOpenSSL(t, certPath, keyPath, args...)
			target := fmt.Sprintf("%smairie.example:%d", c.scheme, port)
			rs := runChecks(t, testHost(), Config{Endpoints: []string{target}, RootCAs: testCA().pool()})
			if diff := cmp.Diff(c.want, statuses(rs)); diff != "" {
				for id, r := range rs {
					t.Logf("%s: %s: %s", id, r.Status, r.Evidence.EN)
				}
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			for id, sub := range c.evidence {
				if !strings.Contains(rs[id].Evidence.EN, sub) {
					t.Errorf("%s evidence %q lacks %q", id, rs[id].Evidence.EN, sub)
				}
				if rs[id].Evidence.FR == "" {
					t.Errorf("%s has no French evidence", id)
				}
			}
			if got := rs["tls.profile"].Facts["mozilla_profile"]; got != c.profile {
				t.Errorf("mozilla_profile = %v, want %s (%s)", got, c.profile, rs["tls.profile"].Evidence.EN)
			}
			if c.order != nil {
				if diff := cmp.Diff(c.order, rs["tls.ciphers-weak"].Facts["server_order"]); diff != "" {
					t.Errorf("server_order (-want +got):\n%s", diff)
				}
			}
			if r := rs["tls.protocol-legacy"]; r.Target != fmt.Sprintf("mairie.example:%d", port) {
				t.Errorf("target = %q", r.Target)
			}
		})
	}
}

// TestLegacyServer covers what Debian's openssl can no longer serve: SSLv2,
// SSLv3, RC4, 3DES and export suites, from a hand-written server.
func TestLegacyServer(t *testing.T) {
	t.Parallel()
	leaf, _, _ := makeCert(t, t.TempDir(), certSpec{})
	srv := legacyServer{
		Versions: []uint16{vSSL3, vTLS10},
		Suites:   []uint16{0x0005, 0x000A, 0x0003}, // RC4_128_SHA, 3DES_EDE_CBC_SHA, EXPORT_WITH_RC4_40_MD5
		SSLv2:    []uint32{0x010080, 0x020080},
		Cert:     leaf.Raw,
	}
	port := serve(t, srv.handle)
	rs := runChecks(t, testHost(), Config{Endpoints: []string{fmt.Sprintf("mairie.example:%d", port)}, RootCAs: testCA().pool(),
		StepTimeout: time.Second})
	w := want(map[string]protocol.Status{
		"tls.protocol-ssl": protocol.Fail, "tls.protocol-legacy": protocol.Fail, "tls.ciphers-weak": protocol.Fail,
		"tls.forward-secrecy": protocol.Fail, "tls.profile": protocol.Fail,
	})
	if diff := cmp.Diff(w, statuses(rs)); diff != "" {
		for id, r := range rs {
			t.Logf("%s: %s: %s", id, r.Status, r.Evidence.EN)
		}
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	for id, sub := range map[string]string{
		"tls.protocol-ssl":    "SSLv2, SSLv3 accepted",
		"tls.protocol-legacy": "neither TLS 1.2 nor TLS 1.3",
		"tls.ciphers-weak":    "EXPORT",
		"tls.forward-secrecy": "3 static RSA suites",
	} {
		if !strings.Contains(rs[id].Evidence.EN, sub) {
			t.Errorf("%s evidence %q lacks %q", id, rs[id].Evidence.EN, sub)
		}
	}
	weak := rs["tls.ciphers-weak"].Facts["weak"].([]string)
	for _, name := range []string{"TLS_RSA_WITH_RC4_128_SHA (SSLv3)", "TLS_RSA_WITH_3DES_EDE_CBC_SHA (TLS 1.0)",
		"TLS_RSA_EXPORT_WITH_RC4_40_MD5 (TLS 1.0)", "SSL_CK_RC4_128_EXPORT40_WITH_MD5 (SSLv2)"} {
		if !strings.Contains(strings.Join(weak, "|"), name) {
			t.Errorf("weak suites %v lack %s", weak, name)
		}
	}
}

// TestStartTLS puts an SMTP front in front of openssl s_server: STARTTLS
// offered and working, then a server that does not offer it.
func TestStartTLS(t *testing.T) {
	t.Parallel()
	_, certPath, keyPath := makeCert(t, t.TempDir(), certSpec{})
	backend := startOpenSSL(t, certPath, keyPath, strong...)
	t.Run("offered", func(t *testing.T) {
		t.Parallel()
		port := serve(t, smtpFront(backend, true))
		rs := runChecks(t, testHost(), Config{Endpoints: []string{fmt.Sprintf("smtp://mairie.example:%d", port)}, RootCAs: testCA().pool()})
		if diff := cmp.Diff(want(map[string]protocol.Status{"tls.starttls": protocol.Pass}), statuses(rs)); diff != "" {
			for id, r := range rs {
				t.Logf("%s: %s: %s", id, r.Status, r.Evidence.EN)
			}
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if ev := rs["tls.starttls"].Evidence.EN; !strings.Contains(ev, "SMTP server and working (up to TLS 1.3)") {
			t.Errorf("starttls evidence %q", ev)
		}
	})
	t.Run("not-offered", func(t *testing.T) {
		t.Parallel()
		port := serve(t, smtpFront(backend, false))
		rs := runChecks(t, testHost(), Config{Endpoints: []string{fmt.Sprintf("smtp://mairie.example:%d", port)}, RootCAs: testCA().pool()})
		w := map[string]protocol.Status{}
		for _, d := range definitions {
			w[d.meta.ID] = protocol.NotApplicable
		}
		w["tls.starttls"] = protocol.Fail
		if diff := cmp.Diff(w, statuses(rs)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if ev := rs["tls.starttls"].Evidence.EN; !strings.Contains(ev, "does not offer STARTTLS") {
			t.Errorf("starttls evidence %q", ev)
		}
	})
}

// TestHSTS serves HTTPS with Go's server and a Strict-Transport-Security
// header.
func TestHSTS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, certPath, keyPath := makeCert(t, dir, certSpec{})
	cert, err := gotls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		header string
		want   protocol.Status
	}{
		{"max-age=31536000; includeSubDomains", protocol.Pass},
		{"max-age=86400", protocol.Warn},
	} {
		t.Run(c.header, func(t *testing.T) {
			t.Parallel()
			ln, err := gotls.Listen("tcp", "127.0.0.1:0", &gotls.Config{Certificates: []gotls.Certificate{cert},
				CipherSuites: []uint16{gotls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, gotls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
					gotls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}, NextProtos: []string{"h2", "http/1.1"}})
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", c.header)
				fmt.Fprintln(w, "bonjour")
			}), ReadHeaderTimeout: 5 * time.Second, ErrorLog: quiet}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			port := ln.Addr().(*net.TCPAddr).Port
			rs := runChecks(t, testHost(), Config{Endpoints: []string{fmt.Sprintf("mairie.example:%d", port)}, RootCAs: testCA().pool()})
			if got := rs["tls.hsts"]; got.Status != c.want {
				t.Errorf("hsts = %s (%s), want %s", got.Status, got.Evidence.EN, c.want)
			}
			if got := rs["tls.profile"].Facts["mozilla_profile"]; got != "intermediate" {
				t.Errorf("profile = %v (%s)", got, rs["tls.profile"].Evidence.EN)
			}
		})
	}
}

var quiet = log.New(io.Discard, "", 0)

// TestBrokenPeers: a closed port, a silent service, a server that stalls
// mid-handshake, one that sends garbage and a plain HTTP server each give an
// error naming the problem, within the deadline.
func TestBrokenPeers(t *testing.T) {
	t.Parallel()
	closedPort := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return p
	}
	hold := func(c net.Conn) { io.Copy(io.Discard, c) } // reads, never answers, until the test ends
	cases := []struct {
		name string
		port func(t *testing.T) int
		want string
	}{
		{"closed-port", func(*testing.T) int { return closedPort() }, "cannot connect"},
		{"silent", func(t *testing.T) int { return serve(t, hold) }, "does not answer"},
		{"stall-mid-handshake", func(t *testing.T) int {
			return serve(t, func(c net.Conn) {
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte{22, 3, 3, 0, 80, 2, 0, 0, 76, 3, 3}) // a ServerHello record cut short
				io.Copy(io.Discard, c)
			})
		}, "stalled in the middle of the TLS handshake"},
		{"garbage", func(t *testing.T) int {
			return serve(t, func(c net.Conn) {
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte("\x00\xffgarbage\x13\x37 from a broken peer\r\n"))
			})
		}, "does not speak TLS"},
		{"plain-http", func(t *testing.T) int {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: quiet}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			return ln.Addr().(*net.TCPAddr).Port
		}, "does not speak TLS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			port := c.port(t)
			start := time.Now()
			rs := runChecks(t, testHost(), Config{Endpoints: []string{fmt.Sprintf("mairie.example:%d", port)}, StepTimeout: 300 * time.Millisecond})
			elapsed := time.Since(start)
			for _, d := range definitions {
				r := rs[d.meta.ID]
				if r.Status != protocol.Error || !strings.Contains(r.Evidence.EN, c.want) {
					t.Errorf("%s: %s %q, want error naming %q", d.meta.ID, r.Status, r.Evidence.EN, c.want)
				}
				if r.Evidence.FR == "" || strings.Contains(r.Evidence.FR, "could not") {
					t.Errorf("%s: French evidence %q", d.meta.ID, r.Evidence.FR)
				}
			}
			if elapsed > 1500*time.Millisecond {
				t.Errorf("took %s with a 300 ms step deadline", elapsed)
			}
		})
	}
	t.Run("plain-http-sample", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: quiet}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		rs := runChecks(t, testHost(), Config{Endpoints: []string{ln.Addr().String()}, StepTimeout: 300 * time.Millisecond})
		if ev := rs["tls.profile"].Evidence.EN; !strings.Contains(ev, "HTTP/1.1 400 Bad Request") {
			t.Errorf("evidence %q does not quote what the server said", ev)
		}
	})
}

// TestListeners: with no endpoint, the host's own listening ports are
// tried and only those speaking TLS are reported.
func TestListeners(t *testing.T) {
	t.Parallel()
	_, certPath, keyPath := makeCert(t, t.TempDir(), certSpec{})
	tlsPort := startOpenSSL(t, certPath, keyPath, strong...)
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: quiet}
	go srv.Serve(plain)
	t.Cleanup(func() { srv.Close() })
	h := testHost()
	h.Dialer = &net.Dialer{}
	h.Facts = checkstest.Facts{Listen: []checks.Listener{
		{Proto: "tcp", Address: "127.0.0.1", Port: tlsPort},
		{Proto: "tcp", Address: "127.0.0.1", Port: plain.Addr().(*net.TCPAddr).Port},
		{Proto: "udp", Address: "0.0.0.0", Port: 53},
	}}
	rs := runChecks(t, h, Config{ScanListeners: true, RootCAs: testCA().pool()})
	r := rs["tls.protocol-legacy"]
	want := fmt.Sprintf("127.0.0.1:%d: accepted versions: TLS 1.2, TLS 1.3", tlsPort)
	if r.Status != protocol.Pass || r.Evidence.EN != want || r.Target != "" {
		t.Errorf("protocol-legacy = %s %q target %q, want pass %q", r.Status, r.Evidence.EN, r.Target, want)
	}
	if r := rs["tls.cert-hostname"]; r.Status != protocol.NotApplicable {
		t.Errorf("cert-hostname on a local port = %s %q", r.Status, r.Evidence.EN)
	}
	if r := rs["tls.cert-chain"]; r.Status != protocol.Pass {
		t.Errorf("cert-chain = %s %q", r.Status, r.Evidence.EN)
	}

	h.Facts = checkstest.Facts{Listen: []checks.Listener{{Proto: "tcp", Address: "127.0.0.1", Port: plain.Addr().(*net.TCPAddr).Port}}}
	rs = runChecks(t, h, Config{ScanListeners: true})
	if r := rs["tls.protocol-ssl"]; r.Status != protocol.NotApplicable || !strings.Contains(r.Evidence.EN, "1 listening TCP ports tried") {
		t.Errorf("no TLS port: %s %q", r.Status, r.Evidence.EN)
	}
}

// dh1024Params is the 1024-bit MODP group of RFC 2409 (Oakley group 2) as
// PKCS#3 DER, the kind of group Logjam-era servers still use.
func dh1024Params() []byte {
	p, _ := new(big.Int).SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"+
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"+
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"+
		"FFFFFFFFFFFFFFFF", 16)
	der, err := asn1.Marshal(struct{ P, G *big.Int }{p, big.NewInt(2)})
	if err != nil {
		panic(err)
	}
	return der
}

// TestConfiguredCA: a server whose certificate comes from the entity's own
// authority fails the chain check against the system roots and passes once
// that authority's PEM file is configured (LoadRoots, --tls-ca).
func TestConfiguredCA(t *testing.T) {
	t.Parallel()
	checkstest.Need(t, "openssl")
	dir := t.TempDir()
	_, certPath, keyPath := makeCert(t, dir, certSpec{})
	port := startOpenSSL(t, certPath, keyPath)
	target := fmt.Sprintf("mairie.example:%d", port)
	caFile := filepath.Join(dir, "ca-mairie.pem")
	writePEM(t, caFile, "CERTIFICATE", testCA().cert.Raw)
	roots, err := LoadRoots(caFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		roots *x509.CertPool
		want  protocol.Status
	}{{nil, protocol.Fail}, {roots, protocol.Pass}} {
		rs := runChecks(t, testHost(), Config{Endpoints: []string{target}, RootCAs: c.roots})
		if r := rs["tls.cert-chain"]; r.Status != c.want {
			t.Errorf("with configured CA %v: tls.cert-chain %s (%s), want %s", c.roots != nil, r.Status, r.Evidence.EN, c.want)
		}
	}
}
