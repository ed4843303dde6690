package tls

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
)

// Record content types and handshake message types (RFC 8446 B.1, B.3).
const (
	recChangeCipherSpec = 20
	recAlert            = 21
	recHandshake        = 22
	recApplicationData  = 23

	hsClientHello       = 1
	hsServerHello       = 2
	hsCertificate       = 11
	hsServerKeyExchange = 12
	hsCertificateReq    = 13
	hsServerHelloDone   = 14
	hsCertificateStatus = 22
)

// Extension numbers.
const (
	extServerName          = 0
	extStatusRequest       = 5
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extALPN                = 16
	extPadding             = 21
	extExtendedMasterSec   = 23
	extSupportedVersions   = 43
	extPSKModes            = 45
	extKeyShare            = 51
	extRenegotiationInfo   = 0xff01
)

// Limits that keep a hostile server from making us read forever.
const (
	maxRecord     = 16384 + 2048
	maxFlight     = 256 << 10
	maxHandshakes = 32
)

// helloRetryRandom marks a TLS 1.3 HelloRetryRequest (RFC 8446 4.1.3).
var helloRetryRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// Signature algorithms we offer: every common one, SHA-1 included, so that
// an old server still answers and we can report what it uses.
var offeredSigAlgs = []uint16{
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
	0x0401, 0x0501, 0x0601, 0x0303, 0x0203, 0x0201, 0x0402, 0x0202,
}

// helloParams describes one ClientHello.
type helloParams struct {
	// Version is the highest version offered. For TLS 1.3 the hello carries
	// supported_versions; Versions, when set, is that list instead.
	Version    uint16
	Versions   []uint16
	Suites     []uint16
	ServerName string
	KeyShare   []byte // x25519 public key, for hellos that offer TLS 1.3
	Random     [32]byte
	SessionID  []byte
}

// buildClientHello returns a ClientHello record for p. SSLv3 hellos carry no
// extension: servers of that age may choke on them.
func buildClientHello(p helloParams) []byte {
	legacy := p.Version
	if legacy > vTLS12 {
		legacy = vTLS12
	}
	offers13 := p.Version == vTLS13 || len(p.Versions) > 0
	var hs cryptobyte.Builder
	hs.AddUint8(hsClientHello)
	hs.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(legacy)
		b.AddBytes(p.Random[:])
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(p.SessionID) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range p.Suites {
				b.AddUint16(s)
			}
			if p.Version != vTLS13 {
				b.AddUint16(0x00FF) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		if p.Version == vSSL3 {
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			if p.ServerName != "" {
				addExt(b, extServerName, func(b *cryptobyte.Builder) {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						b.AddUint8(0) // host_name
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p.ServerName)) })
					})
				})
			}
			addExt(b, extStatusRequest, func(b *cryptobyte.Builder) {
				b.AddUint8(1) // ocsp
				b.AddUint16(0)
				b.AddUint16(0)
			})
			addExt(b, extSupportedGroups, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					for _, g := range offeredGroups {
						b.AddUint16(g)
					}
				})
			})
			addExt(b, extECPointFormats, func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
			})
			addExt(b, extSignatureAlgorithms, func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					for _, s := range offeredSigAlgs {
						b.AddUint16(s)
					}
				})
			})
			addExt(b, extExtendedMasterSec, func(*cryptobyte.Builder) {})
			if offers13 {
				versions := p.Versions
				if len(versions) == 0 {
					versions = []uint16{vTLS13}
				}
				addExt(b, extSupportedVersions, func(b *cryptobyte.Builder) {
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, v := range versions {
							b.AddUint16(v)
						}
					})
				})
				addExt(b, extPSKModes, func(b *cryptobyte.Builder) {
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(1) })
				})
				addExt(b, extKeyShare, func(b *cryptobyte.Builder) {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						b.AddUint16(29) // x25519
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(p.KeyShare) })
					})
				})
			}
		})
	})
	body, err := hs.Bytes()
	if err != nil { // only on lengths beyond the format's limits: a programming error
		panic("tls: building ClientHello: " + err.Error())
	}
	recVersion := vTLS10
	if p.Version == vSSL3 {
		recVersion = vSSL3
	}
	var rec cryptobyte.Builder
	rec.AddUint8(recHandshake)
	rec.AddUint16(recVersion)
	rec.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return rec.BytesOrPanic()
}

func addExt(b *cryptobyte.Builder, typ uint16, body func(*cryptobyte.Builder)) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(body)
}

// serverHello is the part of a ServerHello the assessment needs.
type serverHello struct {
	LegacyVersion uint16
	Version       uint16 // negotiated: supported_versions when present
	Random        []byte
	Suite         uint16
	Compression   uint8
	HRR           bool   // TLS 1.3 HelloRetryRequest
	Group         uint16 // TLS 1.3 key_share (or HRR selected_group)
	StatusRequest bool   // server will staple an OCSP response
	ALPN          string
}

var errMalformed = errors.New("malformed message")

// parseServerHello parses a ServerHello handshake body (after the 4-byte
// handshake header).
func parseServerHello(body []byte) (*serverHello, error) {
	s := cryptobyte.String(body)
	h := &serverHello{}
	var random, sessionID cryptobyte.String
	if !s.ReadUint16(&h.LegacyVersion) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sessionID) || !s.ReadUint16(&h.Suite) || !s.ReadUint8(&h.Compression) {
		return nil, fmt.Errorf("ServerHello: %w", errMalformed)
	}
	h.Random = append([]byte(nil), random...)
	h.Version = h.LegacyVersion
	h.HRR = bytes.Equal(h.Random, helloRetryRandom)
	if s.Empty() {
		return h, nil
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return nil, fmt.Errorf("ServerHello extensions: %w", errMalformed)
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return nil, fmt.Errorf("ServerHello extension: %w", errMalformed)
		}
		switch typ {
		case extSupportedVersions:
			if !data.ReadUint16(&h.Version) {
				return nil, fmt.Errorf("supported_versions: %w", errMalformed)
			}
		case extKeyShare:
			if !data.ReadUint16(&h.Group) { // ServerHello: group + key; HRR: selected_group
				return nil, fmt.Errorf("key_share: %w", errMalformed)
			}
		case extStatusRequest:
			h.StatusRequest = true
		case extALPN:
			var list, proto cryptobyte.String
			if data.ReadUint16LengthPrefixed(&list) && list.ReadUint8LengthPrefixed(&proto) {
				h.ALPN = string(proto)
			}
		}
	}
	return h, nil
}

// alert is a TLS alert record.
type alert struct {
	Level, Desc uint8
}

func (a alert) String() string {
	names := map[uint8]string{0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
		40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter", 50: "decode_error",
		70: "protocol_version", 71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
		109: "missing_extension", 112: "unrecognized_name", 120: "no_application_protocol"}
	if n, ok := names[a.Desc]; ok {
		return n
	}
	return fmt.Sprintf("alert %d", a.Desc)
}

// flight is what a server sent in answer to one ClientHello, up to
// ServerHelloDone (TLS 1.2 and older) or the ServerHello (TLS 1.3, whose
// later messages are encrypted).
type flight struct {
	Hello *serverHello
	Alert *alert
	Certs [][]byte // DER certificates, leaf first (TLS 1.2 and older)
	OCSP  []byte   // stapled OCSP response
	SKE   []byte   // ServerKeyExchange body
	Done  bool     // ServerHelloDone seen
}

// notTLSError is a peer that does not speak TLS; Sample is what it sent.
type notTLSError struct{ Sample []byte }

func (e *notTLSError) Error() string {
	return fmt.Sprintf("not a TLS answer: %q", printable(e.Sample))
}

// printable keeps a short, readable sample of what a peer sent.
func printable(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	out := make([]rune, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, rune(c))
		} else {
			out = append(out, '.')
		}
	}
	return string(out)
}

// readFlight reads a server's answer to a ClientHello. It stops at an
// alert, at the end of the server's first flight, or with an error; it never
// reads more than maxFlight bytes.
func readFlight(r io.Reader) (*flight, error) {
	r = io.LimitReader(r, maxFlight)
	f := &flight{}
	var hsBuf []byte
	msgs := 0
	first := true
	for {
		var hdr [5]byte
		if k, err := io.ReadFull(r, hdr[:]); err != nil {
			if first && errors.Is(err, io.ErrUnexpectedEOF) {
				return f, &notTLSError{Sample: hdr[:k]}
			}
			if !first {
				err = noEOF(err)
			}
			return f, err
		}
		typ, ver, n := hdr[0], uint16(hdr[1])<<8|uint16(hdr[2]), int(hdr[3])<<8|int(hdr[4])
		if typ < recChangeCipherSpec || typ > recApplicationData || hdr[1] != 3 || n > maxRecord {
			if first {
				rest := make([]byte, 35)
				m, _ := io.ReadAtLeast(r, rest, 1)
				return f, &notTLSError{Sample: append(hdr[:], rest[:m]...)}
			}
			return f, fmt.Errorf("record type %d version 0x%04x length %d: %w", typ, ver, n, errMalformed)
		}
		first = false
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return f, fmt.Errorf("record truncated: %w", noEOF(err))
		}
		switch typ {
		case recAlert:
			if len(payload) < 2 {
				return f, fmt.Errorf("alert: %w", errMalformed)
			}
			f.Alert = &alert{Level: payload[0], Desc: payload[1]}
			return f, nil
		case recChangeCipherSpec:
			continue // TLS 1.3 middlebox compatibility
		case recApplicationData:
			return f, fmt.Errorf("application data before the handshake: %w", errMalformed)
		}
		hsBuf = append(hsBuf, payload...)
		for len(hsBuf) >= 4 {
			mlen := int(hsBuf[1])<<16 | int(hsBuf[2])<<8 | int(hsBuf[3])
			if mlen > maxFlight {
				return f, fmt.Errorf("handshake message of %d bytes: %w", mlen, errMalformed)
			}
			if len(hsBuf) < 4+mlen {
				break
			}
			mtype, body := hsBuf[0], hsBuf[4:4+mlen]
			hsBuf = hsBuf[4+mlen:]
			if msgs++; msgs > maxHandshakes {
				return f, fmt.Errorf("too many handshake messages: %w", errMalformed)
			}
			if f.Hello == nil && mtype != hsServerHello {
				return f, fmt.Errorf("handshake message %d before ServerHello: %w", mtype, errMalformed)
			}
			switch mtype {
			case hsServerHello:
				if f.Hello != nil {
					return f, fmt.Errorf("second ServerHello: %w", errMalformed)
				}
				h, err := parseServerHello(body)
				if err != nil {
					return f, err
				}
				f.Hello = h
				if h.HRR || h.Version >= vTLS13 {
					return f, nil // the rest is encrypted
				}
			case hsCertificate:
				certs, err := parseCertificateMsg(body)
				if err != nil {
					return f, err
				}
				f.Certs = certs
			case hsCertificateStatus:
				s := cryptobyte.String(body)
				var typ uint8
				var resp cryptobyte.String
				if s.ReadUint8(&typ) && typ == 1 && s.ReadUint24LengthPrefixed(&resp) {
					f.OCSP = append([]byte(nil), resp...)
				}
			case hsServerKeyExchange:
				f.SKE = append([]byte(nil), body...)
			case hsServerHelloDone:
				f.Done = true
				return f, nil
			}
		}
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func parseCertificateMsg(body []byte) ([][]byte, error) {
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, fmt.Errorf("Certificate: %w", errMalformed)
	}
	var out [][]byte
	for !list.Empty() {
		var c cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&c) {
			return nil, fmt.Errorf("Certificate entry: %w", errMalformed)
		}
		out = append(out, append([]byte(nil), c...))
	}
	return out, nil
}

// kxInfo is the strength of an ephemeral key exchange.
type kxInfo struct {
	Kind  string // DHE or ECDHE
	Group string // curve name or "DH 2048"
	Bits  int
}

// parseSKE reads the group out of a ServerKeyExchange for kx (DHE or ECDHE).
func parseSKE(kx string, body []byte) (kxInfo, error) {
	s := cryptobyte.String(body)
	switch kx {
	case "DHE", "DH":
		var p cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&p) || len(p) == 0 {
			return kxInfo{}, fmt.Errorf("ServerKeyExchange DH: %w", errMalformed)
		}
		bits := new(big.Int).SetBytes(p).BitLen()
		return kxInfo{Kind: "DHE", Group: fmt.Sprintf("DH %d", bits), Bits: bits}, nil
	case "ECDHE", "ECDH":
		var curveType uint8
		var id uint16
		if !s.ReadUint8(&curveType) || curveType != 3 || !s.ReadUint16(&id) {
			return kxInfo{}, fmt.Errorf("ServerKeyExchange ECDH: %w", errMalformed)
		}
		g, ok := namedGroups[id]
		if !ok {
			g = group{Name: groupName(id)}
		}
		return kxInfo{Kind: "ECDHE", Group: g.Name, Bits: g.Bits}, nil
	}
	return kxInfo{}, fmt.Errorf("no ServerKeyExchange for %s", kx)
}

// groupKx turns a TLS 1.3 group into a kxInfo.
func groupKx(id uint16) kxInfo {
	g, ok := namedGroups[id]
	if !ok {
		return kxInfo{Kind: "ECDHE", Group: groupName(id)}
	}
	if g.Bits >= 2048 {
		return kxInfo{Kind: "DHE", Group: g.Name, Bits: g.Bits}
	}
	return kxInfo{Kind: "ECDHE", Group: g.Name, Bits: g.Bits}
}

// SSLv2 (draft-hickman-netscape-ssl-00). The record header has the high bit
// set and a 15-bit length.

// buildSSLv2Hello returns a CLIENT-HELLO offering every SSLv2 cipher spec.
func buildSSLv2Hello(challenge [16]byte) []byte {
	var specs []byte
	for _, id := range []uint32{0x0700C0, 0x060040, 0x050080, 0x040080, 0x030080, 0x020080, 0x010080} {
		specs = append(specs, byte(id>>16), byte(id>>8), byte(id))
	}
	msg := []byte{1, 0x00, 0x02, byte(len(specs) >> 8), byte(len(specs)), 0, 0, 0, 16}
	msg = append(msg, specs...)
	msg = append(msg, challenge[:]...)
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...)
}

// sslv2Hello is an SSLv2 SERVER-HELLO.
type sslv2Hello struct {
	Cert  []byte
	Specs []uint32
}

// readSSLv2Hello reads an SSLv2 SERVER-HELLO. A TLS server that refuses SSLv2
// answers with a TLS alert or closes: both are errSSLv2Refused.
func readSSLv2Hello(r io.Reader) (*sslv2Hello, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, errSSLv2Refused
	}
	if hdr[0]&0x80 == 0 {
		return nil, errSSLv2Refused // a TLS record (alert) or a 3-byte header error
	}
	n := int(hdr[0]&0x7f)<<8 | int(hdr[1])
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, fmt.Errorf("SSLv2 record truncated: %w", noEOF(err))
	}
	s := cryptobyte.String(msg)
	var typ, hit, certType uint8
	var version, certLen, specLen, idLen uint16
	if !s.ReadUint8(&typ) {
		return nil, fmt.Errorf("SSLv2: %w", errMalformed)
	}
	if typ == 0 { // MSG-ERROR
		return nil, errSSLv2Refused
	}
	if typ != 4 || !s.ReadUint8(&hit) || !s.ReadUint8(&certType) || !s.ReadUint16(&version) ||
		!s.ReadUint16(&certLen) || !s.ReadUint16(&specLen) || !s.ReadUint16(&idLen) {
		return nil, fmt.Errorf("SSLv2 SERVER-HELLO: %w", errMalformed)
	}
	h := &sslv2Hello{}
	var cert, specs cryptobyte.String
	if !s.ReadBytes((*[]byte)(&cert), int(certLen)) || !s.ReadBytes((*[]byte)(&specs), int(specLen)) || specLen%3 != 0 {
		return nil, fmt.Errorf("SSLv2 SERVER-HELLO body: %w", errMalformed)
	}
	h.Cert = append([]byte(nil), cert...)
	for i := 0; i+3 <= len(specs); i += 3 {
		h.Specs = append(h.Specs, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
	}
	return h, nil
}

var errSSLv2Refused = errors.New("SSLv2 refused")

// sniName returns the name to send in server_name: none for IP addresses.
func sniName(host string) string {
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	return host
}
