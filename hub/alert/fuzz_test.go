package alert_test

import (
	"bytes"
	"encoding/base64"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
)

// The parsers of outside input in hub/alert, each with a property.

// ParseKind (configuration, forms) accepts exactly the known events and
// returns the one it was given.
func FuzzParseKind(f *testing.F) {
	for _, k := range alert.Kinds {
		f.Add(string(k))
	}
	f.Add("Exposure")
	f.Add("exposure ")
	f.Add("digest")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := alert.ParseKind(s)
		known := slices.Contains(alert.Kinds, alert.Kind(s))
		if (err == nil) != known {
			t.Fatalf("ParseKind(%q) = %v, known %v", s, err, known)
		}
		if err == nil && string(k) != s {
			t.Fatalf("ParseKind(%q) = %q", s, k)
		}
	})
}

// CheckWebhookURL (configuration file, admin form) accepts only https://
// URLs, or http:// to a loopback address, with a host and no user info or
// fragment: an alert never crosses a network in clear.
func FuzzCheckWebhookURL(f *testing.F) {
	for _, s := range []string{"https://tickets.example/hooks/vigie", "http://127.0.0.1:8080/h", "http://[::1]/h", "http://localhost/h",
		"http://tickets.example/h", "http://127.0.0.1.example/h", "https://user:pw@x.example/", "https://x.example/#f", "ftp://x.example/",
		"https:///nohost", "http://0x7f.0.0.1/", "http://LOCALHOST./", "HTTPS://X.EXAMPLE/", "http://127.000.000.001/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if alert.CheckWebhookURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2000 {
			t.Fatalf("accepted %q (%v)", raw, err)
		}
		switch u.Scheme {
		case "https":
		case "http":
			h := u.Hostname()
			ip := net.ParseIP(h)
			if !strings.EqualFold(h, "localhost") && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("accepted clear text to %q: %q", h, raw)
			}
		default:
			t.Fatalf("accepted scheme %q: %q", u.Scheme, raw)
		}
	})
}

// DecodeSecret (secret files, the database) accepts "whsec_" and the
// base64 of 24 to 64 bytes, exactly: what it returns encodes back to the
// secret, and every key of that size is accepted.
func FuzzDecodeSecret(f *testing.F) {
	f.Add(alert.NewSecret())
	f.Add("whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 24)))
	f.Add("whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)))
	f.Add("whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)))
	f.Add("whsec_!!!")
	f.Add("  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw  \n")
	f.Add("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := alert.DecodeSecret(s)
		if err == nil {
			if len(key) < 24 || len(key) > 64 {
				t.Fatalf("%q: key of %d bytes", s, len(key))
			}
			if again, err := alert.DecodeSecret(alert.SecretPrefix + base64.StdEncoding.EncodeToString(key)); err != nil || !bytes.Equal(again, key) {
				t.Fatalf("%q: re-encoded key refused (%v)", s, err)
			}
		}
		// The input's bytes as a key: accepted iff of the allowed size.
		_, err = alert.DecodeSecret(alert.SecretPrefix + base64.StdEncoding.EncodeToString([]byte(s)))
		if ok := len(s) >= 24 && len(s) <= 64; (err == nil) != ok {
			t.Fatalf("key of %d bytes: %v", len(s), err)
		}
	})
}

// Verify (what a receiver does, and the tests' receivers) accepts the
// message Sign made and nothing else: another body, id or timestamp, or a
// signature header of random words, is refused.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef"), "msg_1", []byte(`{"type":"test"}`), int64(1700000000), "v1,abc")
	f.Add(make([]byte, 24), "", []byte{}, int64(0), "")
	f.Fuzz(func(t *testing.T, key []byte, id string, body []byte, sec int64, noise string) {
		if len(key) < 24 || len(key) > 64 || sec < 0 || sec > 1<<40 {
			return
		}
		secret := alert.SecretPrefix + base64.StdEncoding.EncodeToString(key)
		ts := time.Unix(sec, 0)
		ts10 := strconv.FormatInt(sec, 10)
		sig := alert.Sign(key, id, ts, body)
		if err := alert.Verify(secret, id, ts10, sig, body, ts, time.Minute); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if err := alert.Verify(secret, id, ts10, noise+" "+sig, body, ts, time.Minute); err != nil {
			t.Fatalf("own signature among others refused: %v", err)
		}
		if err := alert.Verify(secret, id, ts10, sig, append(bytes.Clone(body), 'x'), ts, time.Minute); err == nil {
			t.Fatal("another body accepted")
		}
		if err := alert.Verify(secret, id+"x", ts10, sig, body, ts, time.Minute); err == nil {
			t.Fatal("another id accepted")
		}
		if err := alert.Verify(secret, id, strconv.FormatInt(sec+1, 10), sig, body, ts, time.Minute); err == nil {
			t.Fatal("another timestamp accepted")
		}
		if err := alert.Verify(secret, id, ts10, sig, body, ts.Add(time.Hour), time.Minute); err == nil {
			t.Fatal("a stale message accepted")
		}
		if !strings.Contains(" "+noise+" ", " "+sig+" ") {
			if err := alert.Verify(secret, id, ts10, noise, body, ts, time.Minute); err == nil {
				t.Fatalf("signature header %q accepted", noise)
			}
		}
	})
}

// SMTPConfig.Check (the [smtp] section) accepts a host:port with a valid
// port, a bare sender address, a known TLS mode, clear text to a loopback
// address only, and a password only with a user.
func FuzzSMTPCheck(f *testing.F) {
	f.Add("smtp.region.example:587", "vigie@csirt.example", "vigie", "pw", "starttls")
	f.Add("127.0.0.1:25", "vigie@x.example", "", "", "none")
	f.Add("smtp.example:25", "vigie@x.example", "", "", "none")
	f.Add("smtp.example:0", "Vigie <vigie@x.example>", "", "pw", "ssl")
	f.Add("[::1]:2525", "v@x", "", "", "")
	f.Fuzz(func(t *testing.T, addr, from, user, pw, mode string) {
		c := alert.SMTPConfig{Addr: addr, From: from, User: user, Password: pw, TLS: mode}
		if c.Check() != nil {
			return
		}
		host, port, err := net.SplitHostPort(addr)
		p, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			t.Fatalf("accepted address %q", addr)
		}
		if a, err := mail.ParseAddress(from); err != nil || a.Address != from {
			t.Fatalf("accepted sender %q", from)
		}
		if pw != "" && user == "" {
			t.Fatal("accepted a password without a user")
		}
		switch c.TLS {
		case alert.TLSStartTLS, alert.TLSImplicit:
			if mode == "" && c.TLS != alert.TLSStartTLS {
				t.Fatalf("default mode %q", c.TLS)
			}
		case alert.TLSNone:
			ip := net.ParseIP(host)
			if !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("clear text accepted to %q", host)
			}
		default:
			t.Fatalf("accepted mode %q", c.TLS)
		}
	})
}
