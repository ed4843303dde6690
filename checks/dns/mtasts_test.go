package dns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// policyServer serves each child's MTA-STS policy over HTTPS on ipPolicy,
// chosen by the request's host name, with a certificate from a CA made
// here for every mta-sts.<label>.test name (except "nocert:" policies).
// Special values of child.sts: "404" answers 404, "redirect" redirects to
// valid.test's policy; prefix "html:" serves the policy as text/html.
func policyServer(t testing.TB, kids []child) (int, *x509.CertPool) {
	t.Helper()
	policies := map[string]string{}
	var names []string
	for _, c := range kids {
		if c.sts == "" {
			continue
		}
		host := "mta-sts." + c.label + ".test"
		pol, nocert := strings.CutPrefix(c.sts, "nocert:")
		policies[host] = pol
		if !nocert {
			names = append(names, host)
		}
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Vigie test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mta-sts"},
		DNSNames: append(names, "mta-sts.other.test"), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ipPolicy, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		pol, ok := policies[host]
		switch {
		case !ok || r.URL.Path != "/.well-known/mta-sts.txt" || pol == "404":
			http.NotFound(w, r)
		case pol == "redirect": // to a valid policy, which senders must not follow
			http.Redirect(w, r, "https://mta-sts.valid.test/.well-known/mta-sts.txt", http.StatusMovedPermanently)
		case strings.HasPrefix(pol, "html:"):
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(strings.TrimPrefix(pol, "html:")))
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(pol))
		}
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // stscert's refused handshakes are expected
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return ln.Addr().(*net.TCPAddr).Port, roots
}

func TestParseSTSPolicy(t *testing.T) {
	t.Parallel()
	p, err := parseSTSPolicy([]byte("version: STSv1\r\nmode: enforce\r\nmx: mail.example.fr.\r\nmx: *.Backup.example.fr\r\nmax_age: 1209600\r\n"))
	if err != nil || p.Mode != "enforce" || p.MaxAge != 1209600 || strings.Join(p.MX, ",") != "mail.example.fr,*.backup.example.fr" {
		t.Fatalf("%+v %v", p, err)
	}
	if p, err := parseSTSPolicy([]byte("version: STSv1\nmode: none\nmax_age: 86400\n")); err != nil || p.Mode != "none" {
		t.Errorf("mode none without mx: %+v %v", p, err)
	}
	for name, body := range map[string]string{
		"no version":    "mode: enforce\nmx: a.fr\nmax_age: 86400\n",
		"bad mode":      "version: STSv1\nmode: strict\nmx: a.fr\nmax_age: 86400\n",
		"no mx":         "version: STSv1\nmode: enforce\nmax_age: 86400\n",
		"max_age range": "version: STSv1\nmode: enforce\nmx: a.fr\nmax_age: 31557601\n",
		"no max_age":    "version: STSv1\nmode: enforce\nmx: a.fr\n",
		"not key-value": "version: STSv1\nmode enforce\nmx: a.fr\nmax_age: 86400\n",
		"html":          "<html><body>Not found</body></html>",
	} {
		if _, err := parseSTSPolicy([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSTSMatch(t *testing.T) {
	t.Parallel()
	pats := []string{"mail.example.fr", "*.mx.example.fr"}
	for host, want := range map[string]bool{
		"mail.example.fr.":       true,
		"MAIL.example.fr":        true,
		"a.mx.example.fr.":       true,
		"mx.example.fr":          false, // the wildcard needs one label
		"a.b.mx.example.fr":      false, // and only one
		"mail.example.fr.evil.x": false,
		"other.example.fr":       false,
	} {
		if got := stsMatch(host, pats); got != want {
			t.Errorf("stsMatch(%q) = %v, want %v", host, got, want)
		}
	}
}
