package tls

import (
	"bufio"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// serve accepts connections on a loopback port and runs handle for each
// until the test ends.
func serve(t testing.TB, handle func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// legacyServer answers hellos the way a 2000s-era server would: SSLv2,
// SSLv3 and TLS 1.0 with RC4, 3DES and export suites, none of which
// Debian's openssl can serve any more. It is written from the protocol
// specifications, independently of the code under test.
type legacyServer struct {
	Versions []uint16 // SSL 3.0 / TLS versions accepted (no TLS 1.3)
	Suites   []uint16 // in server preference order
	SSLv2    []uint32 // SSLv2 cipher specs; nil refuses SSLv2
	Cert     []byte   // DER
}

func (s legacyServer) handle(c net.Conn) {
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	if first[0]&0x80 != 0 { // SSLv2 CLIENT-HELLO
		if s.SSLv2 == nil {
			return // close: SSLv2 refused
		}
		hdr := make([]byte, 2)
		io.ReadFull(br, hdr)
		n := int(hdr[0]&0x7f)<<8 | int(hdr[1])
		msg := make([]byte, n)
		if _, err := io.ReadFull(br, msg); err != nil || msg[0] != 1 {
			return
		}
		var specs []byte
		for _, id := range s.SSLv2 {
			specs = append(specs, byte(id>>16), byte(id>>8), byte(id))
		}
		body := []byte{4, 0, 1, 0, 2, byte(len(s.Cert) >> 8), byte(len(s.Cert)), byte(len(specs) >> 8), byte(len(specs)), 0, 16}
		body = append(body, s.Cert...)
		body = append(body, specs...)
		body = append(body, make([]byte, 16)...)
		c.Write(append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...))
		return
	}
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != 22 {
		return
	}
	rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(br, rec); err != nil {
		return
	}
	hs := cryptobyte.String(rec)
	var typ uint8
	var body, random, sid, suites, comp cryptobyte.String
	var ver uint16
	if !hs.ReadUint8(&typ) || typ != 1 || !hs.ReadUint24LengthPrefixed(&body) ||
		!body.ReadUint16(&ver) || !body.ReadBytes((*[]byte)(&random), 32) || !body.ReadUint8LengthPrefixed(&sid) ||
		!body.ReadUint16LengthPrefixed(&suites) || !body.ReadUint8LengthPrefixed(&comp) {
		sendAlert(c, 50)
		return
	}
	// A TLS 1.3-only hello (supported_versions without anything we know)
	// still carries legacy_version 0x0303; an old server negotiates down to
	// what it knows, as long as the client's version is not below it.
	chosen := uint16(0)
	for _, v := range s.Versions {
		if v <= ver && v > chosen {
			chosen = v
		}
	}
	if chosen == 0 {
		sendAlert(c, 70)
		return
	}
	var offered []uint16
	for !suites.Empty() {
		var id uint16
		suites.ReadUint16(&id)
		offered = append(offered, id)
	}
	suite := uint16(0)
	for _, id := range s.Suites {
		if slices.Contains(offered, id) {
			suite = id
			break
		}
	}
	if suite == 0 {
		sendAlert(c, 40)
		return
	}
	var b cryptobyte.Builder
	b.AddUint8(2)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(chosen)
		b.AddBytes(make([]byte, 32))
		b.AddUint8(0)
		b.AddUint16(suite)
		b.AddUint8(0)
	})
	b.AddUint8(11)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.Cert) })
		})
	})
	b.AddUint8(14)
	b.AddUint24(0)
	msgs := b.BytesOrPanic()
	out := []byte{22, byte(chosen >> 8), byte(chosen), byte(len(msgs) >> 8), byte(len(msgs))}
	c.Write(append(out, msgs...))
	// Real servers wait for the ClientKeyExchange; this one gives up, which
	// is enough for a client that only looks.
	time.Sleep(50 * time.Millisecond)
}

func sendAlert(c net.Conn, desc byte) {
	c.Write([]byte{21, 3, 1, 0, 2, 2, desc})
}

// smtpFront speaks SMTP and, after STARTTLS, splices the connection to a
// TLS backend (an openssl s_server), like a mail server would do in-process.
// With offer false it never advertises STARTTLS.
func smtpFront(backend int, offer bool) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		io.WriteString(c, "220 mail.mairie.example ESMTP test\r\n")
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				if offer {
					io.WriteString(c, "250-mail.mairie.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
				} else {
					io.WriteString(c, "250-mail.mairie.example\r\n250 8BITMIME\r\n")
				}
			case cmd == "STARTTLS" && offer:
				io.WriteString(c, "220 2.0.0 Ready to start TLS\r\n")
				up, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(backend)))
				if err != nil {
					return
				}
				defer up.Close()
				go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, up)
				return
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "502 5.5.2 command not recognised\r\n")
			}
		}
	}
}
