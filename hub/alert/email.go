package alert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/vigie-cyber/vigie/hub/store"
)

// SMTP TLS modes.
const (
	TLSStartTLS = "starttls" // STARTTLS required (port 587)
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // clear text: loopback only (a local relay, tests)
)

// SMTPConfig is the mail server alerts go through.
type SMTPConfig struct {
	Addr     string // host:port
	From     string // sender address
	User     string // empty: no authentication
	Password string
	TLS      string         // TLSStartTLS (default), TLSImplicit, TLSNone
	RootCAs  *x509.CertPool // nil: the system's
	Timeout  time.Duration  // per message (default 30 s)
}

// Check validates the configuration: a host:port, a sender address, a
// known TLS mode, clear text only to a loopback address (a password or
// an alert is never sent in clear over a network).
func (c *SMTPConfig) Check() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("addr %q : hôte:port attendu (par exemple smtp.exemple.fr:587)", c.Addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("addr %q : port invalide", c.Addr)
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" || a.Address != c.From {
		return fmt.Errorf("from %q : adresse électronique simple attendue (vigie@exemple.fr)", c.From)
	}
	switch c.TLS {
	case "":
		c.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(host) {
			return fmt.Errorf("tls = \"none\" n'est permis que vers l'adresse de bouclage (127.0.0.1, ::1, localhost), pas vers %s", host)
		}
	default:
		return fmt.Errorf("tls %q : starttls, implicit ou none attendu", c.TLS)
	}
	if c.Password != "" && c.User == "" {
		return errors.New("password sans user")
	}
	return nil
}

// isLoopback reports whether host is a loopback address or "localhost".
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// send delivers one message. The Message-ID is the delivery's stable ID,
// so that a mail sent again after a crash is recognised as the same.
func (c *SMTPConfig) send(ctx context.Context, d store.Delivery, m *message, now time.Time) error {
	host, port, _ := net.SplitHostPort(c.Addr)
	p, _ := strconv.Atoi(port)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(p), gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: host, RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12})}
	switch c.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(c.User), gomail.WithPassword(c.Password))
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return errPermanent{err}
	}
	msg := gomail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return errPermanent{err}
	}
	if err := msg.To(d.Address); err != nil {
		return errPermanent{fmt.Errorf("adresse %q : %w", d.Address, err)}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(d.MsgID + "@" + domainOf(c.From))
	msg.SetDateWithValue(now)
	msg.SetBulk()
	msg.SetGenHeader("Content-Language", "fr")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 && se.Reason == gomail.ErrSMTPRcptTo {
			return errPermanent{err}
		}
		return err
	}
	m.ack = "accepté par " + c.Addr
	return nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "vigie.invalid"
}
