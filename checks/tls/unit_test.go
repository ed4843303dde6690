package tls

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vigie-cyber/vigie/protocol"
	"golang.org/x/crypto/ocsp"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	type props struct {
		Kx, Cipher string
		Bits       int
		Weak       []string
		AEAD, FS   bool
	}
	cases := map[uint16]props{
		0xC02F: {Kx: "ECDHE", Cipher: "AES_128_GCM", Bits: 128, AEAD: true, FS: true},
		0xCCA8: {Kx: "ECDHE", Cipher: "CHACHA20_POLY1305", Bits: 256, AEAD: true, FS: true},
		0x1301: {Kx: "any", Cipher: "AES_128_GCM", Bits: 128, AEAD: true, FS: true},
		0x002F: {Kx: "RSA", Cipher: "AES_128_CBC", Bits: 128},
		0x000A: {Kx: "RSA", Cipher: "3DES_EDE_CBC", Bits: 112, Weak: []string{"3DES/64-bit block"}},
		0x0005: {Kx: "RSA", Cipher: "RC4_128", Bits: 128, Weak: []string{"RC4"}},
		0x0003: {Kx: "RSA", Cipher: "RC4_40", Bits: 40, Weak: []string{"EXPORT", "RC4"}},
		0x0014: {Kx: "DHE", Cipher: "DES40_CBC", Bits: 40, Weak: []string{"EXPORT", "DES"}, FS: true},
		0x0002: {Kx: "RSA", Cipher: "NULL", Weak: []string{"NULL"}},
		0x0034: {Kx: "DH", Cipher: "AES_128_CBC", Bits: 128, Weak: []string{"anon"}},
		0x0000: {Kx: "NULL", Cipher: "NULL", Weak: []string{"NULL", "anon"}},
		0xC0AC: {Kx: "ECDHE", Cipher: "AES_128_CCM", Bits: 128, AEAD: true, FS: true},
	}
	for id, want := range cases {
		s := suiteByID(id)
		got := props{Kx: s.Kx, Cipher: s.Cipher, Bits: s.Bits, Weak: s.Weak(), AEAD: s.AEAD, FS: s.FS}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.Name, diff)
		}
	}
	// Every suite offered for TLS 1.0 must exist in TLS 1.0.
	for _, id := range suitesFor(vTLS10) {
		if s := suiteByID(id); s.AEAD || s.TLS13 || s.MAC == "SHA256" {
			t.Errorf("%s offered in TLS 1.0", s.Name)
		}
	}
	if n := len(suitesFor(vTLS13)); n != 5 {
		t.Errorf("%d TLS 1.3 suites, want 5", n)
	}
	if first := suiteByID(suitesFor(vTLS12)[0]); !first.FS || !first.AEAD {
		t.Errorf("first TLS 1.2 suite offered is %s, want a forward-secret AEAD one", first.Name)
	}
}

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want endpoint
		err  bool
	}{
		{in: "mairie.example:443", want: endpoint{Target: "mairie.example:443", Host: "mairie.example", Port: 443, ServerName: "mairie.example", Kind: "tls", HTTPS: true}},
		{in: "Mail.Mairie.Example.:25", want: endpoint{Target: "mail.mairie.example:25", Host: "mail.mairie.example", Port: 25, ServerName: "mail.mairie.example", Kind: "smtp"}},
		{in: "mairie.example", want: endpoint{Target: "mairie.example:443", Host: "mairie.example", Port: 443, ServerName: "mairie.example", Kind: "tls", HTTPS: true}},
		{in: "imap://mail.example", want: endpoint{Target: "mail.example:143", Host: "mail.example", Port: 143, ServerName: "mail.example", Kind: "imap"}},
		{in: "submission://mail.example:2587", want: endpoint{Target: "mail.example:2587", Host: "mail.example", Port: 2587, ServerName: "mail.example", Kind: "smtp"}},
		{in: "https://intranet:8080/", want: endpoint{Target: "intranet:8080", Host: "intranet", Port: 8080, ServerName: "intranet", Kind: "tls", HTTPS: true}},
		{in: "192.0.2.7:993", want: endpoint{Target: "192.0.2.7:993", Host: "192.0.2.7", Port: 993, Kind: "tls"}},
		{in: "[2001:db8::1]:443", want: endpoint{Target: "[2001:db8::1]:443", Host: "2001:db8::1", Port: 443, Kind: "tls", HTTPS: true}},
		{in: "", err: true},
		{in: "host:0", err: true},
		{in: "host:99999", err: true},
		{in: "host:https", err: true},
		{in: "ftp://host", err: true},
		{in: "a b:443", err: true},
	}
	for _, c := range cases {
		got, err := parseEndpoint(c.in)
		if (err != nil) != c.err {
			t.Errorf("parseEndpoint(%q) error = %v, want error %v", c.in, err, c.err)
			continue
		}
		if err != nil {
			if !errors.Is(err, errEndpoint) {
				t.Errorf("parseEndpoint(%q) error %v is not errEndpoint", c.in, err)
			}
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("parseEndpoint(%q) (-want +got):\n%s", c.in, diff)
		}
	}
	if got := localEndpoint("0.0.0.0", 8443); got.Target != "127.0.0.1:8443" || !got.HTTPS || !got.Local {
		t.Errorf("localEndpoint(0.0.0.0) = %+v", got)
	}
	if got := localEndpoint("::", 143); got.Target != "[::1]:143" || got.Kind != "imap" {
		t.Errorf("localEndpoint(::) = %+v", got)
	}
}

func TestParseHSTS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in        string
		maxAge    int64
		sub, prel bool
	}{
		{"max-age=31536000; includeSubDomains; preload", 31536000, true, true},
		{`max-age="15552000"`, 15552000, false, false},
		{"MAX-AGE=0", 0, false, false},
		{"includeSubDomains", -1, true, false},
		{"max-age=abc", -1, false, false},
		{"", -1, false, false},
	}
	for _, c := range cases {
		m, s, p := parseHSTS(c.in)
		if m != c.maxAge || s != c.sub || p != c.prel {
			t.Errorf("parseHSTS(%q) = %d %v %v", c.in, m, s, p)
		}
	}
}

// TestReadFlight parses real answers of openssl s_server (testdata/tls).
func TestReadFlight(t *testing.T) {
	t.Parallel()
	type got struct {
		Version, Suite uint16
		Certs          int
		Kx             string
		Alert          string
		Done           bool
	}
	cases := map[string]got{
		"openssl-tls12-ecdhe.bin":             {Version: vTLS12, Suite: 0xC02F, Certs: 1, Kx: "x25519", Done: true},
		"openssl-tls12-dhe.bin":               {Version: vTLS12, Suite: 0x009E, Certs: 1, Kx: "DH 2048", Done: true},
		"openssl-tls12-rsa.bin":               {Version: vTLS12, Suite: 0x009C, Certs: 1, Done: true},
		"openssl-tls13.bin":                   {Version: vTLS13, Suite: 0x1302, Kx: "x25519"},
		"openssl-alert-protocol-version.bin":  {Alert: "protocol_version"},
		"openssl-alert-handshake-failure.bin": {Alert: "handshake_failure"},
	}
	for name, want := range cases {
		b, err := os.ReadFile(filepath.Join(flightDir, name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := readFlight(bytes.NewReader(b))
		if err != nil && !(errors.Is(err, errMalformed) && want.Version == vTLS13) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var g got
		if f.Hello != nil {
			g.Version, g.Suite = f.Hello.Version, f.Hello.Suite
			if f.Hello.Group != 0 {
				g.Kx = groupName(f.Hello.Group)
			}
		}
		if f.SKE != nil {
			kx, err := parseSKE(suiteByID(g.Suite).Kx, f.SKE)
			if err != nil {
				t.Errorf("%s: SKE: %v", name, err)
			}
			g.Kx = kx.Group
		}
		if f.Alert != nil {
			g.Alert = f.Alert.String()
		}
		g.Certs, g.Done = len(f.Certs), f.Done
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		if len(f.Certs) > 0 {
			if _, err := x509.ParseCertificate(f.Certs[0]); err != nil {
				t.Errorf("%s: certificate: %v", name, err)
			}
		}
	}
}

// TestReadFlightBadInput: truncated or hostile answers give an error, not a
// panic or an endless read.
func TestReadFlightBadInput(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join(flightDir, "openssl-tls12-ecdhe.bin"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":             {},
		"http":              []byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		"short header":      {22, 3},
		"truncated":         good[:100],
		"huge record":       {22, 3, 3, 0xff, 0xff},
		"appdata first":     {23, 3, 3, 0, 1, 0},
		"cert before hello": {22, 3, 3, 0, 7, 11, 0, 0, 3, 0, 0, 0},
		"bad hello":         {22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3},
		"short alert":       {21, 3, 3, 0, 1, 2},
		"huge message":      {22, 3, 3, 0, 4, 11, 0xff, 0xff, 0xff},
	}
	for name, b := range cases {
		f, err := readFlight(bytes.NewReader(b))
		if err == nil {
			t.Errorf("%s: no error (flight %+v)", name, f)
		}
	}
	var nt *notTLSError
	if _, err := readFlight(strings.NewReader("HTTP/1.1 400 Bad Request\r\n")); !errors.As(err, &nt) || !strings.Contains(err.Error(), "HTTP/1.1 400") {
		t.Errorf("plain HTTP: %v", err)
	}
}

func TestSSLv2Hello(t *testing.T) {
	t.Parallel()
	b := buildSSLv2Hello([16]byte{})
	if b[0]&0x80 == 0 || int(b[0]&0x7f)<<8|int(b[1]) != len(b)-2 || b[2] != 1 {
		t.Fatalf("bad SSLv2 hello % x", b)
	}
	// A server hello with one spec and a 3-byte certificate.
	msg := []byte{4, 0, 1, 0, 2, 0, 3, 0, 3, 0, 16, 0xaa, 0xbb, 0xcc, 0x01, 0x00, 0x80}
	msg = append(msg, make([]byte, 16)...)
	h, err := readSSLv2Hello(bytes.NewReader(append([]byte{0x80, byte(len(msg))}, msg...)))
	if err != nil || len(h.Specs) != 1 || h.Specs[0] != 0x010080 || len(h.Cert) != 3 {
		t.Errorf("readSSLv2Hello = %+v, %v", h, err)
	}
	if _, err := readSSLv2Hello(bytes.NewReader([]byte{21, 3, 1, 0, 2, 2, 40})); !errors.Is(err, errSSLv2Refused) {
		t.Errorf("TLS alert: %v", err)
	}
	if _, err := readSSLv2Hello(bytes.NewReader([]byte{0x80, 10, 4, 0})); err == nil {
		t.Error("truncated SSLv2 hello: no error")
	}
}

// TestJudgeExpiry covers the expiry thresholds on synthetic chains.
func TestJudgeExpiry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		notAfter time.Time
		want     protocol.Status
	}{
		{now.AddDate(0, 0, -1), protocol.Fail},
		{now.AddDate(0, 0, 5), protocol.Fail},
		{now.AddDate(0, 0, 13).Add(time.Hour), protocol.Fail},
		{now.AddDate(0, 0, 14).Add(time.Hour), protocol.Warn},
		{now.AddDate(0, 0, 29).Add(time.Hour), protocol.Warn},
		{now.AddDate(0, 0, 30).Add(time.Hour), protocol.Pass},
		{now.AddDate(1, 0, 0), protocol.Pass},
	}
	for _, c := range cases {
		a := &Assessment{Chain: []*x509.Certificate{{NotBefore: now.AddDate(0, -1, 0), NotAfter: c.notAfter}}}
		r := judgeCertExpiry(a, judgeEnv{Now: now})
		if r.Status != c.want {
			t.Errorf("not after %s: %s (%s), want %s", c.notAfter, r.Status, r.Evidence.EN, c.want)
		}
	}
	a := &Assessment{Chain: []*x509.Certificate{{NotBefore: now.AddDate(0, 0, 1), NotAfter: now.AddDate(1, 0, 0)}}}
	if r := judgeCertExpiry(a, judgeEnv{Now: now}); r.Status != protocol.Fail || !strings.Contains(r.Evidence.EN, "not valid before") {
		t.Errorf("not yet valid: %s %s", r.Status, r.Evidence.EN)
	}
}

// TestProfile places synthetic assessments in Mozilla's profiles.
func TestProfile(t *testing.T) {
	t.Parallel()
	vs := func(v uint16, kx kxInfo, ids ...uint16) *VersionScan {
		m := map[uint16]kxInfo{}
		for _, id := range ids {
			if suiteByID(id).FS {
				m[id] = kx
			}
		}
		return &VersionScan{Version: v, Suites: ids, Kx: m}
	}
	x25519 := kxInfo{Kind: "ECDHE", Group: "x25519", Bits: 256}
	dh1024 := kxInfo{Kind: "DHE", Group: "DH 1024", Bits: 1024}
	cases := []struct {
		name           string
		versions       map[uint16]*VersionScan
		mozilla, anssi string
	}{
		{"tls13", map[uint16]*VersionScan{vTLS13: vs(vTLS13, x25519, 0x1301, 0x1302, 0x1303)}, "modern", "recommended"},
		{"intermediate", map[uint16]*VersionScan{vTLS13: vs(vTLS13, x25519, 0x1301), vTLS12: vs(vTLS12, x25519, 0xC02F, 0xCCA8)}, "intermediate", "recommended"},
		{"ecdhe-cbc", map[uint16]*VersionScan{vTLS12: vs(vTLS12, x25519, 0xC02F, 0xC013)}, "old", "tolerated"},
		{"static-rsa", map[uint16]*VersionScan{vTLS12: vs(vTLS12, x25519, 0xC02F, 0x009C)}, "old", "non-compliant"},
		{"tls10", map[uint16]*VersionScan{vTLS10: vs(vTLS10, x25519, 0xC013), vTLS12: vs(vTLS12, x25519, 0xC02F)}, "old", "non-compliant"},
		{"3des", map[uint16]*VersionScan{vTLS12: vs(vTLS12, x25519, 0xC02F, 0x000A)}, "old", "non-compliant"},
		{"rc4", map[uint16]*VersionScan{vTLS12: vs(vTLS12, x25519, 0xC02F, 0x0005)}, "none", "non-compliant"},
		{"dh1024", map[uint16]*VersionScan{vTLS12: vs(vTLS12, dh1024, 0x009E)}, "old", "non-compliant"},
	}
	for _, c := range cases {
		p := evaluateProfile(&Assessment{Versions: c.versions})
		if p.Mozilla != c.mozilla || p.ANSSI != c.anssi {
			t.Errorf("%s: mozilla %s anssi %s (gaps %v / %v), want %s %s", c.name, p.Mozilla, p.ANSSI, p.MozillaWhy, p.ANSSIWhy, c.mozilla, c.anssi)
		}
	}
}

// FuzzParseServerHello feeds arbitrary server answers to the parsers: they
// must return, without panic, and never claim more than they were given.
func FuzzParseServerHello(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(flightDir, "*.bin"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3})
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := readFlight(bytes.NewReader(b))
		if fl == nil {
			t.Fatal("nil flight")
		}
		if err == nil && fl.Hello == nil && fl.Alert == nil {
			t.Fatalf("no error, no hello, no alert")
		}
		if fl.Hello != nil && fl.SKE != nil {
			_, _ = parseSKE("DHE", fl.SKE)
			_, _ = parseSKE("ECDHE", fl.SKE)
		}
		if len(b) > 5 {
			_, _ = parseServerHello(b[5:])
			_, _ = readSSLv2Hello(bytes.NewReader(b))
			_, _ = parseCertificateMsg(b[5:])
		}
	})
}

// TestJudgeOCSP covers stapled responses: good, revoked, stale, garbage,
// absent, and a certificate without responder.
func TestJudgeOCSP(t *testing.T) {
	t.Parallel()
	ca := testCA()
	leaf, _, _ := makeCert(t, t.TempDir(), certSpec{OCSPServer: "http://ocsp.vigie.invalid"})
	noURL, _, _ := makeCert(t, t.TempDir(), certSpec{})
	resp := func(status int, next time.Time) []byte {
		b, err := ocsp.CreateResponse(ca.cert, ca.cert, ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber,
			ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: next, RevokedAt: now.Add(-24 * time.Hour)}, ca.key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name  string
		leaf  *x509.Certificate
		ocsp  []byte
		want  protocol.Status
		words string
	}{
		{"good", leaf, resp(ocsp.Good, now.AddDate(0, 0, 3)), protocol.Pass, "good"},
		{"revoked", leaf, resp(ocsp.Revoked, now.AddDate(0, 0, 3)), protocol.Fail, "REVOKED"},
		{"stale", leaf, resp(ocsp.Good, now.Add(-time.Hour)), protocol.Warn, "stale"},
		{"garbage", leaf, []byte("not OCSP"), protocol.Warn, "unreadable"},
		{"absent", leaf, nil, protocol.Warn, "no stapled OCSP response"},
		{"no responder", noURL, nil, protocol.NotApplicable, "names no OCSP responder"},
	}
	for _, c := range cases {
		r := judgeOCSPStapling(&Assessment{Chain: []*x509.Certificate{c.leaf, ca.cert}, OCSP: c.ocsp}, judgeEnv{Now: now})
		if r.Status != c.want || !strings.Contains(r.Evidence.EN, c.words) {
			t.Errorf("%s: %s %q, want %s with %q", c.name, r.Status, r.Evidence.EN, c.want, c.words)
		}
	}
}

func TestLoadRoots(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writePEM(t, ca, "CERTIFICATE", testCA().cert.Raw)
	pool, err := LoadRoots(ca)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _, _ := makeCert(t, dir, certSpec{})
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, DNSName: "mairie.example"}); err != nil {
		t.Errorf("a certificate from the configured CA does not verify: %v", err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("pas un certificat\n"), 0o644)
	huge := filepath.Join(dir, "huge.pem")
	os.WriteFile(huge, bytes.Repeat([]byte("A"), maxCAFile+1), 0o644)
	garbled := filepath.Join(dir, "garbled.pem")
	writePEM(t, garbled, "CERTIFICATE", []byte("not DER"))
	for path, want := range map[string]string{
		filepath.Join(dir, "absent.pem"): "no such file",
		empty:                            "aucun certificat PEM",
		garbled:                          "certificat 1 illisible",
		dir:                              "is a directory",
		huge:                             "file too large",
	} {
		if _, err := LoadRoots(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadRoots(%s) = %v, want %q", filepath.Base(path), err, want)
		}
	}
}
