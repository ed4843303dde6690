package tls

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errNoStartTLS is a mail server that does not offer STARTTLS: its mail
// travels in clear text.
var errNoStartTLS = errors.New("STARTTLS not offered")

// startTLSError is a mail dialogue that went wrong before TLS.
type startTLSError struct {
	Step string
	Err  error
}

func (e *startTLSError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *startTLSError) Unwrap() error { return e.Err }

const (
	maxLine  = 4096
	maxLines = 100
)

// startTLS runs the plain-text part of kind's protocol on rw until the
// server is ready for a ClientHello. It returns the server's greeting.
func startTLS(rw io.ReadWriter, kind string) (string, error) {
	br := bufio.NewReaderSize(rw, maxLine)
	switch kind {
	case "smtp":
		greet, err := smtpReply(br, "220")
		if err != nil {
			return "", &startTLSError{"SMTP greeting", err}
		}
		if _, err := io.WriteString(rw, "EHLO vigie.invalid\r\n"); err != nil {
			return greet, &startTLSError{"SMTP EHLO", err}
		}
		ehlo, err := smtpReply(br, "250")
		if err != nil {
			return greet, &startTLSError{"SMTP EHLO", err}
		}
		if !hasWord(ehlo, "STARTTLS", 4) {
			return greet, errNoStartTLS
		}
		if _, err := io.WriteString(rw, "STARTTLS\r\n"); err != nil {
			return greet, &startTLSError{"SMTP STARTTLS", err}
		}
		if _, err := smtpReply(br, "220"); err != nil {
			return greet, &startTLSError{"SMTP STARTTLS", err}
		}
		return greet, nil
	case "imap":
		greet, err := readLine(br)
		if err != nil {
			return "", &startTLSError{"IMAP greeting", err}
		}
		if !strings.HasPrefix(greet, "* OK") {
			return greet, &startTLSError{"IMAP greeting", fmt.Errorf("unexpected %q", printable([]byte(greet)))}
		}
		if _, err := io.WriteString(rw, "a1 CAPABILITY\r\n"); err != nil {
			return greet, &startTLSError{"IMAP CAPABILITY", err}
		}
		caps, err := imapTagged(br, "a1")
		if err != nil {
			return greet, &startTLSError{"IMAP CAPABILITY", err}
		}
		if !hasWord(caps+"\n"+greet, "STARTTLS", 0) {
			return greet, errNoStartTLS
		}
		if _, err := io.WriteString(rw, "a2 STARTTLS\r\n"); err != nil {
			return greet, &startTLSError{"IMAP STARTTLS", err}
		}
		if _, err := imapTagged(br, "a2"); err != nil {
			return greet, &startTLSError{"IMAP STARTTLS", err}
		}
		return greet, nil
	case "pop3":
		greet, err := readLine(br)
		if err != nil || !strings.HasPrefix(greet, "+OK") {
			return greet, &startTLSError{"POP3 greeting", orUnexpected(err, greet)}
		}
		if _, err := io.WriteString(rw, "CAPA\r\n"); err != nil {
			return greet, &startTLSError{"POP3 CAPA", err}
		}
		var caps []string
		first, err := readLine(br)
		if err == nil && strings.HasPrefix(first, "+OK") {
			for i := 0; i < maxLines; i++ {
				l, err := readLine(br)
				if err != nil || l == "." {
					break
				}
				caps = append(caps, l)
			}
		}
		if !hasWord(strings.Join(caps, "\n"), "STLS", 0) {
			return greet, errNoStartTLS
		}
		if _, err := io.WriteString(rw, "STLS\r\n"); err != nil {
			return greet, &startTLSError{"POP3 STLS", err}
		}
		if l, err := readLine(br); err != nil || !strings.HasPrefix(l, "+OK") {
			return greet, &startTLSError{"POP3 STLS", orUnexpected(err, l)}
		}
		return greet, nil
	}
	return "", fmt.Errorf("no STARTTLS dialogue for %q", kind)
}

func orUnexpected(err error, line string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("unexpected %q", printable([]byte(line)))
}

// readLine reads one CRLF line of at most maxLine bytes.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("line longer than %d bytes", maxLine)
	}
	if err != nil {
		return "", noEOF(err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// smtpReply reads a (multi-line) SMTP reply and checks its code.
func smtpReply(br *bufio.Reader, code string) (string, error) {
	var lines []string
	for i := 0; i < maxLines; i++ {
		l, err := readLine(br)
		if err != nil {
			return strings.Join(lines, "\n"), err
		}
		lines = append(lines, l)
		if len(l) < 3 || l[:3] != code {
			return strings.Join(lines, "\n"), fmt.Errorf("expected %s, got %q", code, printable([]byte(l)))
		}
		if len(l) == 3 || l[3] == ' ' {
			return strings.Join(lines, "\n"), nil
		}
	}
	return strings.Join(lines, "\n"), fmt.Errorf("reply longer than %d lines", maxLines)
}

// imapTagged reads untagged lines until the tagged completion, which must be OK.
func imapTagged(br *bufio.Reader, tag string) (string, error) {
	var lines []string
	for i := 0; i < maxLines; i++ {
		l, err := readLine(br)
		if err != nil {
			return strings.Join(lines, "\n"), err
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l[len(tag)+1:], "OK") {
				return strings.Join(lines, "\n"), fmt.Errorf("server said %q", printable([]byte(l)))
			}
			return strings.Join(lines, "\n"), nil
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n"), fmt.Errorf("reply longer than %d lines", maxLines)
}

// hasWord reports whether a line of text, past skip bytes, has word as a
// whole space-separated token (case-insensitive).
func hasWord(text, word string, skip int) bool {
	for _, l := range strings.Split(text, "\n") {
		if len(l) < skip {
			continue
		}
		for _, f := range strings.FieldsFunc(l[skip:], func(r rune) bool { return r == ' ' || r == '[' || r == ']' }) {
			if strings.EqualFold(f, word) {
				return true
			}
		}
	}
	return false
}
