package tls

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	gotls "crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigie-cyber/vigie/checks"
)

// scanOptions tunes one assessment.
type scanOptions struct {
	Step     time.Duration // deadline of every network step
	Parallel int           // connections at once to one endpoint
	// Gentle stops at once when the first hello gets no TLS answer: used
	// for the host's own ports, most of which are not TLS at all.
	Gentle bool
}

// scanner opens connections to one endpoint.
type scanner struct {
	ep       endpoint
	dialer   checks.Dialer
	opt      scanOptions
	sem      chan struct{}
	keyShare []byte
	conns    atomic.Int32
}

func newScanner(ep endpoint, d checks.Dialer, opt scanOptions) *scanner {
	if opt.Step <= 0 {
		opt.Step = 3 * time.Second
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 6
	}
	if d == nil {
		d = &net.Dialer{}
	}
	key, err := ecdh.X25519().GenerateKey(rand.Reader)
	share := make([]byte, 32)
	if err == nil {
		share = key.PublicKey().Bytes()
	}
	return &scanner{ep: ep, dialer: d, opt: opt, sem: make(chan struct{}, opt.Parallel), keyShare: share}
}

// probeError classifies why a connection gave no usable answer.
type probeError struct {
	Kind string // unreachable, silent, stalled, not-tls, closed, malformed, starttls, no-starttls
	Err  error
}

func (e *probeError) Error() string { return e.Kind + ": " + e.Err.Error() }

func (e *probeError) Unwrap() error { return e.Err }

// fatal reports errors that end the assessment of an endpoint.
func (e *probeError) fatal() bool {
	switch e.Kind {
	case "unreachable", "silent", "stalled", "not-tls", "starttls", "no-starttls":
		return true
	}
	return false
}

// countingConn counts bytes read, to tell a silent peer from one that
// stalled mid-handshake.
type countingConn struct {
	net.Conn
	n    atomic.Int64
	stop func() bool
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// open dials the endpoint, sets the step deadline, and runs the STARTTLS
// dialogue for mail endpoints. Cancelling ctx interrupts any I/O.
func (s *scanner) open(ctx context.Context) (*countingConn, string, error) {
	dctx, cancel := context.WithTimeout(ctx, s.opt.Step)
	raw, err := s.dialer.DialContext(dctx, "tcp", net.JoinHostPort(s.ep.Host, strconv.Itoa(s.ep.Port)))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "", &probeError{"unreachable", err}
	}
	s.conns.Add(1)
	deadline := time.Now().Add(s.opt.Step)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = raw.SetDeadline(deadline)
	c := &countingConn{Conn: raw}
	c.stop = context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	if s.ep.Kind == "tls" {
		return c, "", nil
	}
	greet, err := startTLS(c, s.ep.Kind)
	if err != nil {
		c.Close()
		if errors.Is(err, errNoStartTLS) {
			return nil, greet, &probeError{"no-starttls", err}
		}
		return nil, greet, s.classify(ctx, c, &probeError{"starttls", err})
	}
	// The STARTTLS dialogue used part of the step; give the handshake a
	// fresh one.
	_ = raw.SetDeadline(time.Now().Add(s.opt.Step))
	return c, greet, nil
}

// classify turns an I/O error into a probeError.
func (s *scanner) classify(ctx context.Context, c *countingConn, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pe *probeError
	if errors.As(err, &pe) && pe.Kind != "starttls" {
		return err
	}
	var nt *notTLSError
	var ne net.Error
	switch {
	case errors.As(err, &nt):
		return &probeError{"not-tls", err}
	case errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded):
		if c.n.Load() == 0 {
			return &probeError{"silent", fmt.Errorf("no answer within %s", s.opt.Step)}
		}
		return &probeError{"stalled", fmt.Errorf("the server stopped answering mid-handshake (no progress within %s)", s.opt.Step)}
	case pe != nil:
		return err
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), isReset(err):
		if c.n.Load() == 0 {
			return &probeError{"closed", errors.New("the server closed the connection without answering")}
		}
		return &probeError{"closed", fmt.Errorf("the server closed the connection: %w", err)}
	case errors.Is(err, errMalformed):
		return &probeError{"malformed", err}
	}
	return &probeError{"malformed", err}
}

func isReset(err error) bool {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe") ||
		strings.Contains(msg, "forcibly closed") // Windows WSAECONNRESET
}

// acquire bounds the connections open at once to the endpoint.
func (s *scanner) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *scanner) release() { <-s.sem }

// hello sends one ClientHello and reads the answer.
func (s *scanner) hello(ctx context.Context, p helloParams) (*flight, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	c, _, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	p.ServerName = s.ep.ServerName
	p.KeyShare = s.keyShare
	if _, err := rand.Read(p.Random[:]); err != nil {
		return nil, err
	}
	if p.Version == vTLS13 || len(p.Versions) > 0 {
		p.SessionID = make([]byte, 32)
		_, _ = rand.Read(p.SessionID)
	}
	if _, err := c.Write(buildClientHello(p)); err != nil {
		return nil, s.classify(ctx, c, err)
	}
	f, err := readFlight(c)
	if err != nil {
		if f != nil && f.Hello != nil && f.Hello.Version < vTLS13 && len(f.Certs) > 0 {
			// The suite and certificate are known; only the tail of the
			// flight is missing.
			return f, nil
		}
		return f, s.classify(ctx, c, err)
	}
	return f, nil
}

// goSuites is every suite Go's client can negotiate, insecure ones
// included: the aim is to read the certificate, not to protect data.
var goSuites = func() []uint16 {
	var ids []uint16
	for _, s := range gotls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range gotls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}()

// goHandshake completes a real handshake with crypto/tls to read the
// certificate chain (encrypted in TLS 1.3), the stapled OCSP response and
// the application protocol.
func (s *scanner) goHandshake(ctx context.Context, alpn []string) (*gotls.ConnectionState, error) {
	c, err := s.goConn(ctx, alpn)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	st := c.ConnectionState()
	return &st, nil
}

func (s *scanner) goConn(ctx context.Context, alpn []string) (*gotls.Conn, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	c, _, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	tc := gotls.Client(c, &gotls.Config{
		InsecureSkipVerify: true, // verified by the cert-chain check against the configured roots
		ServerName:         s.ep.ServerName,
		MinVersion:         gotls.VersionTLS10,
		CipherSuites:       goSuites,
		NextProtos:         alpn,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}
