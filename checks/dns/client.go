package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/miekg/dns"
	"github.com/vigie-cyber/vigie/checks"
)

// Errors a query can end with; checks name them in their evidence.
var (
	ErrTimeout   = errors.New("no answer before the deadline")
	ErrMalformed = errors.New("malformed DNS answer")
	ErrNoServer  = errors.New("no name server to ask")
)

// RcodeError is an answer whose response code is not NOERROR or NXDOMAIN
// (SERVFAIL, REFUSED...).
type RcodeError struct {
	Server string
	Rcode  int
}

func (e *RcodeError) Error() string {
	return fmt.Sprintf("%s answered %s", e.Server, dns.RcodeToString[e.Rcode])
}

// client sends one DNS message to one server over connections opened by the
// host's Dialer (so tests stay on loopback), UDP first and TCP when the answer
// is truncated. Every exchange has its own deadline.
type client struct {
	dialer  checks.Dialer
	timeout time.Duration
}

const udpSize = 1232 // DNS flag day 2020: no IP fragmentation

// exchange sends m to server ("ip:port") and returns the matching answer.
func (c client) exchange(ctx context.Context, server string, m *dns.Msg) (*dns.Msg, error) {
	r, err := c.exchangeNet(ctx, "udp", server, m)
	if err != nil {
		return nil, err
	}
	if r.Truncated {
		return c.exchangeNet(ctx, "tcp", server, m)
	}
	return r, nil
}

func (c client) exchangeNet(ctx context.Context, network, server string, m *dns.Msg) (*dns.Msg, error) {
	timeout := c.timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wire, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack query: %w", err)
	}
	conn, err := c.dialer.DialContext(ctx, network, server)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", network, server, timeoutOr(ctx, err))
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Closing the connection unblocks a read when the context ends early.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	tcp := network == "tcp"
	if tcp {
		buf := make([]byte, 2+len(wire))
		binary.BigEndian.PutUint16(buf, uint16(len(wire)))
		copy(buf[2:], wire)
		wire = buf
	}
	if _, err := conn.Write(wire); err != nil {
		return nil, fmt.Errorf("%s %s: %w", network, server, timeoutOr(ctx, err))
	}
	for {
		var raw []byte
		if tcp {
			var l [2]byte
			if _, err := io.ReadFull(conn, l[:]); err != nil {
				return nil, fmt.Errorf("tcp %s: %w", server, timeoutOr(ctx, err))
			}
			raw = make([]byte, binary.BigEndian.Uint16(l[:]))
			if _, err := io.ReadFull(conn, raw); err != nil {
				return nil, fmt.Errorf("tcp %s: %w", server, timeoutOr(ctx, err))
			}
		} else {
			// UDP datagrams get lost: resend the same query every third of
			// the timeout until the answer comes or the deadline passes.
			buf := make([]byte, 65535)
			var n int
			for {
				next := time.Now().Add(timeout / 3)
				if dl, ok := ctx.Deadline(); ok && dl.Before(next) {
					next = dl
				}
				conn.SetReadDeadline(next)
				n, err = conn.Read(buf)
				var ne net.Error
				if err != nil && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
					if _, werr := conn.Write(wire); werr == nil {
						continue
					}
				}
				break
			}
			if err != nil {
				return nil, fmt.Errorf("udp %s: %w", server, timeoutOr(ctx, err))
			}
			raw = buf[:n]
		}
		r := new(dns.Msg)
		if err := r.Unpack(raw); err != nil {
			if tcp {
				return nil, fmt.Errorf("%s: %w: %v", server, ErrMalformed, err)
			}
			// A truncated answer may fail to unpack fully; the header still
			// says so and TCP gets the whole answer.
			if len(raw) >= 12 && binary.BigEndian.Uint16(raw) == m.Id && raw[2]&0x02 != 0 {
				return &dns.Msg{MsgHdr: dns.MsgHdr{Id: m.Id, Response: true, Truncated: true}}, nil
			}
			return nil, fmt.Errorf("%s: %w: %v", server, ErrMalformed, err)
		}
		if r.Id != m.Id || !r.Response {
			if tcp {
				return nil, fmt.Errorf("%s: %w: answer ID %d for query %d", server, ErrMalformed, r.Id, m.Id)
			}
			continue // stray or spoofed datagram: keep waiting for ours
		}
		if len(r.Question) > 0 && len(m.Question) > 0 && !sameQuestion(r.Question[0], m.Question[0]) {
			if tcp {
				return nil, fmt.Errorf("%s: %w: answer for another question", server, ErrMalformed)
			}
			continue
		}
		return r, nil
	}
}

func sameQuestion(a, b dns.Question) bool {
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && dns.CanonicalName(a.Name) == dns.CanonicalName(b.Name)
}

func timeoutOr(ctx context.Context, err error) error {
	var ne net.Error
	if ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return ErrTimeout
	}
	return err
}

// newQuery builds a query; do asks for DNSSEC records, cd disables the
// resolver's own validation so Vigie sees (and judges) even bogus data.
func newQuery(name string, qtype uint16, rd, do bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = rd
	m.CheckingDisabled = do
	m.SetEdns0(udpSize, do)
	return m
}
