package tls

import (
	"context"
	gotls "crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
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

// assess runs the whole assessment of one endpoint. The connection
// mechanics are in probe.go (the scanner, its connections and errors, Go
// handshakes), the per-version suite enumeration and SSLv2 in enumerate.go,
// the HTTP header probe in hsts.go; the bytes on the wire in wire.go.
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
