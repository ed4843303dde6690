package tls

import (
	"bufio"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	gotls "crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigie-cyber/vigie/checks"
)

// Assessment is everything Vigie learnt about one endpoint; the checks only
// judge it.
type Assessment struct {
	Endpoint endpoint
	// Err means the endpoint could not be assessed at all (unreachable,
	// silent, not TLS); every check reports it.
	Err error
	// StartTLS is set for mail endpoints.
	StartTLS *StartTLSInfo
	// Versions holds the accepted protocol versions (SSLv3 and later).
	Versions map[uint16]*VersionScan
	// SSLv2 lists the SSLv2 cipher specs the server accepted (nil: refused).
	SSLv2 []Suite
	// Incomplete names probes that failed for another reason than a
	// refusal (timeouts...), so a pass can say it is partial.
	Incomplete []string
	// Chain is the certificate chain the server sent, leaf first.
	Chain []*x509.Certificate
	// ChainErr says why no certificate could be read.
	ChainErr error
	OCSP     []byte // stapled OCSP response
	ALPN     string
	HTTPS    bool
	HSTS     *HSTSInfo
	HSTSErr  error
	Elapsed  time.Duration
	Conns    int
}

// StartTLSInfo records the plain-text part of a mail endpoint.
type StartTLSInfo struct {
	Protocol string
	Offered  bool
	Greeting string
}

// VersionScan is what one protocol version accepts.
type VersionScan struct {
	Version uint16
	// Suites are the accepted suites, in the order the server chose them
	// (its preference when ServerOrder).
	Suites      []uint16
	ServerOrder bool
	Kx          map[uint16]kxInfo // ephemeral key exchange per suite
}

// HSTSInfo is the Strict-Transport-Security header of an HTTPS endpoint.
type HSTSInfo struct {
	Status            int
	Header            string
	MaxAge            int64
	IncludeSubDomains bool
	Preload           bool
}

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

// assess runs the whole assessment of one endpoint.
func assess(ctx context.Context, d checks.Dialer, ep endpoint, opt scanOptions) *Assessment {
	start := time.Now()
	s := newScanner(ep, d, opt)
	a := &Assessment{Endpoint: ep, Versions: map[uint16]*VersionScan{}, HTTPS: ep.HTTPS}
	defer func() { a.Elapsed, a.Conns = time.Since(start), int(s.conns.Load()) }()
	if ep.Kind != "tls" {
		a.StartTLS = &StartTLSInfo{Protocol: ep.Kind}
	}

	// 1. One hello offering everything: is it TLS at all, and what is the
	// highest version?
	all := append(suitesFor(vTLS13), suitesFor(vTLS12)...)
	f, err := s.hello(ctx, helloParams{Version: vTLS12, Versions: []uint16{vTLS13, vTLS12, vTLS11, vTLS10}, Suites: all})
	var pe *probeError
	switch {
	case ctx.Err() != nil:
		a.Err = ctx.Err()
		return a
	case errors.As(err, &pe) && pe.Kind == "no-starttls":
		return a // StartTLS.Offered stays false
	case errors.As(err, &pe) && (pe.fatal() || opt.Gentle):
		a.Err = err
		return a
	case err == nil && f.Hello == nil && opt.Gentle:
		a.Err = &probeError{"not-tls", fmt.Errorf("refused the first hello (%s)", f.Alert)}
		return a
	}
	if a.StartTLS != nil {
		a.StartTLS.Offered = true
	}
	highest := uint16(0)
	if f != nil && f.Hello != nil {
		highest = f.Hello.Version
	}

	// 2. Every version in parallel, the certificate, then HSTS.
	var mu sync.Mutex
	var wg sync.WaitGroup
	note := func(what string, err error) {
		mu.Lock()
		a.Incomplete = append(a.Incomplete, what+": "+err.Error())
		mu.Unlock()
	}
	var rawCerts [][]byte
	var rawOCSP []byte
	for _, v := range []uint16{vSSL3, vTLS10, vTLS11, vTLS12, vTLS13} {
		if highest != 0 && v > highest && v > vSSL3 {
			continue // the server said it does not go that high
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, fl, err := s.enumerate(ctx, v)
			if err != nil {
				note(versionName(v), err)
			}
			mu.Lock()
			defer mu.Unlock()
			if vs != nil {
				a.Versions[v] = vs
			}
			if fl != nil && len(fl.Certs) > 0 && (rawCerts == nil || v == vTLS12) {
				rawCerts, rawOCSP = fl.Certs, fl.OCSP
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		specs, cert, err := s.sslv2(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			a.Incomplete = append(a.Incomplete, "SSLv2: "+err.Error())
			return
		}
		a.SSLv2 = specs
		if cert != nil && rawCerts == nil {
			rawCerts = [][]byte{cert}
		}
	}()
	var state *gotls.ConnectionState
	var stateErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		state, stateErr = s.goHandshake(ctx, []string{"h2", "http/1.1"})
		if stateErr == nil && (state.NegotiatedProtocol == "h2" || state.NegotiatedProtocol == "http/1.1") {
			mu.Lock()
			a.HTTPS = true
			a.ALPN = state.NegotiatedProtocol
			mu.Unlock()
		}
		mu.Lock()
		https := a.HTTPS
		mu.Unlock()
		if https {
			h, err := s.hsts(ctx)
			mu.Lock()
			a.HSTS, a.HSTSErr = h, err
			mu.Unlock()
		}
	}()
	wg.Wait()
	if ctx.Err() != nil {
		a.Err = ctx.Err()
		return a
	}
	if len(a.Versions) == 0 && a.SSLv2 == nil {
		switch {
		case err != nil:
			a.Err = err
		default:
			a.Err = errors.New("the server refused every protocol version offered")
		}
		return a
	}

	// 3. Certificates: from Go's complete handshake when it worked,
	// otherwise from the raw handshake (SSLv3-only and export servers).
	switch {
	case stateErr == nil && len(state.PeerCertificates) > 0:
		a.Chain, a.OCSP = state.PeerCertificates, state.OCSPResponse
	case len(rawCerts) > 0:
		for _, der := range rawCerts {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				a.ChainErr = fmt.Errorf("parse certificate: %w", err)
				break
			}
			a.Chain = append(a.Chain, c)
		}
		a.OCSP = rawOCSP
	case stateErr != nil:
		a.ChainErr = stateErr
	default:
		a.ChainErr = errors.New("the server sent no certificate")
	}
	slices.Sort(a.Incomplete)
	return a
}

// enumerate finds every suite version v accepts, in the server's order:
// offer all, remove the one chosen, repeat until the server refuses (the
// method of sslscan and testssl.sh, one connection per accepted suite).
func (s *scanner) enumerate(ctx context.Context, v uint16) (*VersionScan, *flight, error) {
	remaining := suitesFor(v)
	vs := &VersionScan{Version: v, Kx: map[uint16]kxInfo{}}
	var firstFlight *flight
	for len(remaining) > 0 {
		f, err := s.hello(ctx, helloParams{Version: v, Suites: remaining})
		if err != nil {
			var pe *probeError
			if errors.As(err, &pe) && (pe.Kind == "closed" || pe.Kind == "malformed" && len(vs.Suites) == 0) {
				break // a refusal without an alert
			}
			return result(vs), firstFlight, err
		}
		if f.Hello == nil || f.Hello.Version != v {
			break // alert, or the server answered with another version
		}
		id := f.Hello.Suite
		i := slices.Index(remaining, id)
		if i < 0 {
			return result(vs), firstFlight, fmt.Errorf("the server chose suite 0x%04X that was not offered", id)
		}
		remaining = slices.Delete(remaining, i, i+1)
		vs.Suites = append(vs.Suites, id)
		if firstFlight == nil {
			firstFlight = f
		}
		st := suiteByID(id)
		switch {
		case v == vTLS13 && f.Hello.Group != 0:
			vs.Kx[id] = groupKx(f.Hello.Group)
		case st.FS && f.SKE != nil:
			if kx, err := parseSKE(st.Kx, f.SKE); err == nil {
				vs.Kx[id] = kx
			}
		}
	}
	if len(vs.Suites) >= 2 {
		// Offer the accepted suites in reverse: a server that imposes its
		// order still picks its first.
		rev := slices.Clone(vs.Suites)
		slices.Reverse(rev)
		f, err := s.hello(ctx, helloParams{Version: v, Suites: rev})
		if err == nil && f.Hello != nil {
			vs.ServerOrder = f.Hello.Suite == vs.Suites[0]
		}
	}
	return result(vs), firstFlight, nil
}

func result(vs *VersionScan) *VersionScan {
	if len(vs.Suites) == 0 {
		return nil
	}
	return vs
}

// sslv2 sends an SSLv2 CLIENT-HELLO; nil specs means refused.
func (s *scanner) sslv2(ctx context.Context) ([]Suite, []byte, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, nil, err
	}
	defer s.release()
	c, _, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	var challenge [16]byte
	_, _ = rand.Read(challenge[:])
	if _, err := c.Write(buildSSLv2Hello(challenge)); err != nil {
		return nil, nil, nil // refused by closing
	}
	h, err := readSSLv2Hello(c)
	if errors.Is(err, errSSLv2Refused) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, s.classify(ctx, c, err)
	}
	var out []Suite
	for _, id := range h.Specs {
		st, ok := sslv2Specs[id]
		if !ok {
			st = Suite{Name: fmt.Sprintf("SSLv2 0x%06X", id)}
		}
		st.ID = uint16(id >> 8)
		out = append(out, st)
	}
	if len(out) == 0 {
		out = []Suite{{Name: "SSLv2 (no common cipher)"}}
	}
	return out, h.Cert, nil
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

// hsts asks an HTTPS endpoint for its home page headers.
func (s *scanner) hsts(ctx context.Context) (*HSTSInfo, error) {
	tc, err := s.goConn(ctx, []string{"http/1.1"})
	if err != nil {
		return nil, err
	}
	defer tc.Close()
	host := s.ep.ServerName
	if host == "" {
		host = s.ep.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	if s.ep.Port != 443 {
		host += ":" + strconv.Itoa(s.ep.Port)
	}
	_ = tc.SetDeadline(time.Now().Add(s.opt.Step))
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Vigie\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(tc, req); err != nil {
		return nil, fmt.Errorf("HTTP request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(tc, 64<<10)), nil)
	if err != nil {
		return nil, fmt.Errorf("HTTP response: %w", err)
	}
	resp.Body.Close()
	h := &HSTSInfo{Status: resp.StatusCode, Header: resp.Header.Get("Strict-Transport-Security")}
	h.MaxAge, h.IncludeSubDomains, h.Preload = parseHSTS(h.Header)
	return h, nil
}

// parseHSTS reads a Strict-Transport-Security value (RFC 6797 6.1);
// max-age is -1 when absent or invalid.
func parseHSTS(v string) (maxAge int64, sub, preload bool) {
	maxAge = -1
	for _, d := range strings.Split(v, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err == nil && n >= 0 {
				maxAge = n
			}
		case "includesubdomains":
			sub = true
		case "preload":
			preload = true
		}
	}
	return maxAge, sub, preload
}
