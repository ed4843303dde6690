package alert_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
)

// smtpd is a real SMTP server (aiosmtpd) on loopback.
type smtpd struct {
	addr  string
	dir   string
	roots *x509.CertPool
}

const smtpUser, smtpPass = "vigie", "mot-de-passe-de-test"

// startSMTPD starts testdata/smtpd.py in mode (starttls, implicit, none).
func startSMTPD(t *testing.T, mode string) *smtpd {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import aiosmtpd").Run(); err != nil {
		checkstest.Unavailable(t, "python3-aiosmtpd is not installed (test.sh installs it)")
	}
	dir := t.TempDir()
	certFile, keyFile, roots := selfSignedCert(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out := filepath.Join(dir, "mail")
	os.Mkdir(out, 0o700)
	cmd := exec.Command(py, "testdata/smtpd.py", fmt.Sprint(port), mode, certFile, keyFile, out, smtpUser, smtpPass)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- l
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-ready:
		if strings.TrimSpace(l) != "READY" {
			t.Fatalf("smtpd: %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("smtpd did not start")
	}
	return &smtpd{addr: fmt.Sprintf("127.0.0.1:%d", port), dir: out, roots: roots}
}

// mails returns the messages received, in order.
func (s *smtpd) mails(t *testing.T) []*mail.Message {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(s.dir, "*.eml"))
	sort.Strings(names)
	var out []*mail.Message
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(f)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(m.Body)
		f.Close()
		m.Body = strings.NewReader(string(body))
		out = append(out, m)
	}
	return out
}

func selfSignedCert(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "smtp test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	certFile, keyFile := filepath.Join(dir, "smtp.crt"), filepath.Join(dir, "smtp.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

func subject(t *testing.T, m *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// adviser adds an adviser subscribed to every event of the whole region.
func (f *fixture) adviser(email, mode string) store.User {
	f.t.Helper()
	u, err := f.st.CreateUser(f.ctx, store.User{Email: email, Role: store.RoleAdviser, PasswordHash: "x", CreatedAt: f.clock.Now()})
	if err != nil {
		f.t.Fatal(err)
	}
	var evs []string
	for _, k := range alert.Subscribable {
		evs = append(evs, string(k))
	}
	if err := store.Alerts(f.st).SetSubscription(f.ctx, store.Subscription{UserID: u.ID, Mode: mode, Events: evs, All: true, UpdatedAt: f.clock.Now()}); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// E-mail through a real SMTP server in each TLS mode, with
// authentication: French, plain text, a link to the page, the Message-ID
// the delivery keeps; an address the server refuses for good is not
// retried.
func TestEmailThroughSMTP(t *testing.T) {
	for _, mode := range []string{alert.TLSStartTLS, alert.TLSImplicit, alert.TLSNone} {
		t.Run(mode, func(t *testing.T) {
			srv := startSMTPD(t, mode)
			cfg := &alert.SMTPConfig{Addr: srv.addr, From: "vigie@csirt-region.example", TLS: mode, RootCAs: srv.roots}
			if mode != alert.TLSNone {
				cfg.User, cfg.Password = smtpUser, smtpPass
			}
			if err := cfg.Check(); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, func(c *alert.Config) { c.SMTP = cfg })
			f.adviser("conseiller@csirt-region.example", alert.ModeNow)
			f.adviser("nobody@csirt-region.example", alert.ModeNow)
			a := f.enroll(50)
			f.detect()
			f.deliver()
			got := srv.mails(t)
			if len(got) != 1 {
				t.Fatalf("%d mails, want 1", len(got))
			}
			m := got[0]
			if s := subject(t, m); !strings.HasPrefix(s, "[Vigie] Nouvel agent : "+a.Host.Hostname+" (Mairie de Plouguerneau)") {
				t.Errorf("subject %q", s)
			}
			if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "utf-8") {
				t.Errorf("content type %q", ct)
			}
			var sent store.Delivery
			for _, d := range f.deliveries() {
				switch d.Address {
				case "conseiller@csirt-region.example":
					sent = d
				case "nobody@csirt-region.example":
					if d.State != store.DeliveryFailed || d.Attempts != 1 {
						t.Errorf("refused address: %+v", d)
					}
				}
			}
			if sent.State != store.DeliverySent || m.Header.Get("Message-Id") != "<"+sent.MsgID+"@csirt-region.example>" {
				t.Errorf("Message-ID %q, delivery %+v", m.Header.Get("Message-Id"), sent)
			}
			body, _ := io.ReadAll(m.Body)
			text := decodeBody(t, m, body)
			if !strings.Contains(text, "https://hub.example:8443/host/"+a.ID) || !strings.Contains(text, "enrôlé") {
				t.Errorf("body:\n%s", text)
			}
			for _, l := range strings.Split(text, "\n") {
				if len([]rune(l)) > 120 {
					t.Errorf("line of %d characters, hard to read on a phone: %q", len([]rune(l)), l)
				}
			}
		})
	}
}

// decodeBody undoes the transfer encoding of a text/plain body.
func decodeBody(t *testing.T, m *mail.Message, body []byte) string {
	t.Helper()
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		b, err := io.ReadAll(quotedPrintable(body))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	case "base64":
		b, err := io.ReadAll(base64Reader(body))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return string(body)
}

// A wrong password or an untrusted certificate is an error the log shows,
// retried (the administrator may fix it), never a silent loss.
func TestSMTPRefusals(t *testing.T) {
	srv := startSMTPD(t, alert.TLSStartTLS)
	for name, cfg := range map[string]*alert.SMTPConfig{
		"password":    {Addr: srv.addr, From: "vigie@x.example", User: smtpUser, Password: "faux", RootCAs: srv.roots},
		"certificate": {Addr: srv.addr, From: "vigie@x.example", User: smtpUser, Password: smtpPass},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *alert.Config) { c.SMTP = cfg })
			f.adviser("conseiller@x.example", alert.ModeNow)
			f.enroll(51)
			f.detect()
			f.deliver()
			if n := len(srv.mails(t)); n != 0 {
				t.Fatalf("%d mails sent", n)
			}
			var d store.Delivery
			for _, x := range f.deliveries() {
				if x.Channel == alert.ChannelEmail {
					d = x
				}
			}
			if d.State != store.DeliveryPending || d.Attempts != 1 || d.LastError == "" {
				t.Fatalf("delivery %+v", d)
			}
		})
	}
	for _, bad := range []alert.SMTPConfig{
		{Addr: "smtp.example:587", From: "vigie@x.example", TLS: alert.TLSNone},
		{Addr: "smtp.example", From: "vigie@x.example"},
		{Addr: "smtp.example:587", From: "Vigie <vigie@x.example>"},
		{Addr: "smtp.example:587", From: "vigie@x.example", TLS: "ssl"},
	} {
		if err := bad.Check(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// A burst of 1,000 regressions to an adviser capped at 20 an hour gives
// one digest, not 1,000 mails; it lists the first and counts the rest.
func TestBurstGivesOneDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 hosts")
	}
	srv := startSMTPD(t, alert.TLSNone)
	f := newFixture(t, func(c *alert.Config) {
		c.SMTP = &alert.SMTPConfig{Addr: srv.addr, From: "vigie@x.example", TLS: alert.TLSNone}
		c.Webhooks = nil
	})
	var agents = make([]*agentT, 1000)
	for i := range agents {
		agents[i] = f.enroll(uint64(1000 + i))
	}
	for _, a := range agents {
		f.upload(a, "1.0.0", nil, nil)
	}
	f.detect()
	f.adviser("conseiller@x.example", alert.ModeNow)
	for _, a := range agents {
		f.upload(a, "1.0.0", []string{"hygiene.ssh", "hygiene.smb1", "tls.hsts"}, nil) // a drop, no critical
	}
	f.detect()
	f.deliver()
	if n := len(srv.mails(t)); n != 0 {
		t.Fatalf("%d mails sent at once", n)
	}
	f.clock.Add(16 * time.Minute)
	f.deliver()
	got := srv.mails(t)
	if len(got) != 1 {
		t.Fatalf("%d mails, want one digest", len(got))
	}
	if s := subject(t, got[0]); s != "[Vigie] Récapitulatif : 1000 alerte(s)" {
		t.Errorf("digest subject %q", s)
	}
	body, _ := io.ReadAll(got[0].Body)
	if text := decodeBody(t, got[0], body); !strings.Contains(text, "… et 950 autres") {
		t.Errorf("digest body:\n%s", text)
	}
	// The next alert within the hour is within the cap again.
	f.upload(agents[0], "1.0.0", []string{"hygiene.ssh", "hygiene.smb1", "tls.hsts", "backup.recent"}, nil)
	f.detect()
	f.deliver()
	after := srv.mails(t)[1:]
	if len(after) < 1 || len(after) > 2 {
		t.Fatalf("after the burst, %d new mails, want the critical failure's (and the regression's)", len(after))
	}
	for _, m := range after {
		if s := subject(t, m); strings.HasPrefix(s, "[Vigie] Récapitulatif") {
			t.Errorf("after the burst, a digest again: %q", s)
		}
	}
}

type agentT = hubtest.Agent

func quotedPrintable(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }
func base64Reader(b []byte) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(b, []byte("\r\n"), nil)))
}
