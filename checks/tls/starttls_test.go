package tls

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// scripted is a plain-text server on a pipe: it sends greet, then answers
// each command line with replies[command] (or "BAD\r\n").
func scripted(t *testing.T, greet string, replies map[string]string) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	_ = client.SetDeadline(time.Now().Add(2 * time.Second))
	go func() {
		io.WriteString(server, greet)
		br := bufio.NewReader(server)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			r, ok := replies[strings.TrimSpace(line)]
			if !ok {
				r = "BAD\r\n"
			}
			if _, err := io.WriteString(server, r); err != nil {
				return
			}
		}
	}()
	return client
}

func TestStartTLSDialogue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, kind, greet string
		replies           map[string]string
		want              error // nil, errNoStartTLS, or any error (errAny)
	}{
		{"smtp ok", "smtp", "220-mail.example ESMTP\r\n220 ready\r\n", map[string]string{
			"EHLO vigie.invalid": "250-mail.example\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
			"STARTTLS":           "220 2.0.0 go ahead\r\n"}, nil},
		{"smtp no starttls", "smtp", "220 mail.example ESMTP\r\n", map[string]string{
			"EHLO vigie.invalid": "250-mail.example\r\n250 8BITMIME\r\n"}, errNoStartTLS},
		{"smtp refused", "smtp", "220 mail.example ESMTP\r\n", map[string]string{
			"EHLO vigie.invalid": "250-mail.example\r\n250 STARTTLS\r\n", "STARTTLS": "454 4.7.0 TLS not available\r\n"}, errAny},
		{"smtp not smtp", "smtp", "SSH-2.0-OpenSSH_9.2\r\n", nil, errAny},
		{"imap ok", "imap", "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n", map[string]string{
			"a1 CAPABILITY": "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\n",
			"a2 STARTTLS":   "a2 OK Begin TLS negotiation now.\r\n"}, nil},
		{"imap no starttls", "imap", "* OK ready\r\n", map[string]string{
			"a1 CAPABILITY": "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n"}, errNoStartTLS},
		{"pop3 ok", "pop3", "+OK Dovecot ready.\r\n", map[string]string{
			"CAPA": "+OK\r\nTOP\r\nSTLS\r\nUIDL\r\n.\r\n", "STLS": "+OK Begin TLS negotiation now.\r\n"}, nil},
		{"pop3 no stls", "pop3", "+OK ready\r\n", map[string]string{"CAPA": "+OK\r\nTOP\r\n.\r\n"}, errNoStartTLS},
		{"line too long", "imap", "* OK " + strings.Repeat("x", 5000) + "\r\n", nil, errAny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn := scripted(t, c.greet, c.replies)
			_, err := startTLS(conn, c.kind)
			switch {
			case c.want == nil && err != nil:
				t.Errorf("startTLS: %v", err)
			case c.want == errAny && err == nil:
				t.Error("startTLS: no error")
			case c.want == errNoStartTLS && !errors.Is(err, errNoStartTLS):
				t.Errorf("startTLS: %v, want %v", err, errNoStartTLS)
			}
		})
	}
}

var errAny = errors.New("any error")
