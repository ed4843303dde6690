package tls

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Protocol versions as they appear on the wire.
const (
	vSSL2  uint16 = 0x0002
	vSSL3  uint16 = 0x0300
	vTLS10 uint16 = 0x0301
	vTLS11 uint16 = 0x0302
	vTLS12 uint16 = 0x0303
	vTLS13 uint16 = 0x0304
)

// allVersions lists every version Vigie probes, oldest first.
var allVersions = []uint16{vSSL2, vSSL3, vTLS10, vTLS11, vTLS12, vTLS13}

func versionName(v uint16) string {
	switch v {
	case vSSL2:
		return "SSLv2"
	case vSSL3:
		return "SSLv3"
	case vTLS10:
		return "TLS 1.0"
	case vTLS11:
		return "TLS 1.1"
	case vTLS12:
		return "TLS 1.2"
	case vTLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// Suite is what a cipher suite's name says about its strength.
type Suite struct {
	ID     uint16
	Name   string // IANA name
	Kx     string // RSA, DHE, ECDHE, DH, ECDH, PSK, SRP, KRB5, NULL; "any" for TLS 1.3
	Auth   string // RSA, DSS, ECDSA, anon, PSK...
	Cipher string // AES_128_GCM, 3DES_EDE_CBC, RC4_128...
	MAC    string // SHA, SHA256, MD5, or "" for AEAD suites named without one
	Bits   int    // symmetric key bits (40 for export, 56 for DES, 112 for 3DES)

	Null, Export, Anon, RC4, DES, Block64, RC2 bool // broken properties
	AEAD, CBC, FS, TLS13                       bool
}

// Weak reports the broken properties of the suite in plain words; empty when
// nothing is broken. These are the suites that testssl.sh and sslscan flag
// red: no encryption, export-grade keys, no authentication, RC4, DES, 3DES
// and other 64-bit block ciphers (Sweet32).
func (s Suite) Weak() []string {
	var w []string
	if s.Null {
		w = append(w, "NULL")
	}
	if s.Export {
		w = append(w, "EXPORT")
	}
	if s.Anon {
		w = append(w, "anon")
	}
	if s.RC4 {
		w = append(w, "RC4")
	}
	if s.RC2 {
		w = append(w, "RC2")
	}
	if s.DES {
		w = append(w, "DES")
	}
	if s.Block64 {
		w = append(w, "3DES/64-bit block")
	}
	if s.Bits > 0 && s.Bits < 112 && len(w) == 0 {
		w = append(w, strconv.Itoa(s.Bits)+"-bit")
	}
	return w
}

// suiteByID returns the classified suite for an ID; unknown IDs get a name
// with their number and no property.
func suiteByID(id uint16) Suite {
	if s, ok := suiteTable[id]; ok {
		return s
	}
	return Suite{ID: id, Name: fmt.Sprintf("0x%04X", id)}
}

// suiteTable is the classified IANA registry, built once.
var suiteTable = func() map[uint16]Suite {
	m := make(map[uint16]Suite, len(ianaSuites))
	for id, name := range ianaSuites {
		m[id] = classify(id, name)
	}
	return m
}()

// classify reads a suite's properties from its IANA name
// ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").
func classify(id uint16, name string) Suite {
	s := Suite{ID: id, Name: name}
	rest := strings.TrimPrefix(name, "TLS_")
	kx, enc, ok := strings.Cut(rest, "_WITH_")
	if !ok { // TLS 1.3: TLS_AES_128_GCM_SHA256
		s.Kx, s.Auth, s.TLS13, s.FS = "any", "any", true, true
		enc = rest
	} else {
		if strings.Contains(kx, "_EXPORT") {
			s.Export = true
			kx = kx[:strings.Index(kx, "_EXPORT")]
		}
		parts := strings.Split(kx, "_")
		s.Kx = parts[0]
		if len(parts) > 1 {
			s.Auth = strings.Join(parts[1:], "_")
		} else {
			s.Auth = parts[0]
		}
		if s.Kx == "NULL" {
			s.Anon = true
		}
		if strings.Contains(kx, "anon") {
			s.Anon = true
		}
		s.FS = (s.Kx == "DHE" || s.Kx == "ECDHE") && !s.Anon
	}
	toks := strings.Split(enc, "_")
	switch last := toks[len(toks)-1]; last {
	case "SHA", "SHA256", "SHA384", "MD5", "NULL":
		if len(toks) > 1 {
			s.MAC = last
			toks = toks[:len(toks)-1]
		}
	}
	s.Cipher = strings.Join(toks, "_")
	c := s.Cipher
	switch {
	case c == "NULL":
		s.Null = true
	case strings.HasPrefix(c, "RC4"):
		s.RC4 = true
	case strings.HasPrefix(c, "3DES"):
		s.Block64, s.CBC, s.Bits = true, true, 112
	case strings.HasPrefix(c, "DES"):
		s.DES, s.CBC = true, true
		s.Bits = 56
		if strings.HasPrefix(c, "DES40") || strings.Contains(c, "_40") {
			s.Bits = 40
		}
	case strings.HasPrefix(c, "RC2"):
		s.RC2, s.CBC = true, true
	case strings.HasPrefix(c, "IDEA"):
		s.Block64, s.CBC, s.Bits = true, true, 128
	}
	if strings.Contains(c, "GCM") || strings.Contains(c, "CCM") || strings.Contains(c, "POLY1305") {
		s.AEAD = true
	} else if strings.Contains(c, "CBC") {
		s.CBC = true
	}
	if s.Bits == 0 {
		for _, t := range toks {
			if n, err := strconv.Atoi(t); err == nil && n >= 40 {
				s.Bits = n
				break
			}
		}
		if strings.HasPrefix(c, "CHACHA20") {
			s.Bits = 256
		}
	}
	if s.Export && (s.Bits == 0 || s.Bits > 56) {
		s.Bits = 40
	}
	return s
}

// tls12Only reports suites that exist only from TLS 1.2 on (AEAD and
// SHA-2 MACs), which a server must not pick for an older version.
func (s Suite) tls12Only() bool {
	return s.AEAD || s.MAC == "SHA256" || s.MAC == "SHA384"
}

// suitesFor lists the suites to offer for a version, strongest first so
// that a server following the client's order picks a good one.
func suitesFor(v uint16) []uint16 {
	var out []uint16
	for id, s := range suiteTable {
		switch {
		case v == vTLS13:
			if s.TLS13 {
				out = append(out, id)
			}
		case s.TLS13:
		case v < vTLS12 && s.tls12Only():
		default:
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b uint16) int { return suiteRank(suiteTable[a]) - suiteRank(suiteTable[b]) })
	return out
}

// suiteRank orders suites for our offer: forward-secret AEAD first, broken
// ones last, ties broken by ID for a stable order.
func suiteRank(s Suite) int {
	r := 0
	if !s.FS {
		r += 4
	}
	if !s.AEAD {
		r += 2
	}
	if len(s.Weak()) > 0 {
		r += 16
	}
	return r<<16 | int(s.ID)
}

// SSLv2 cipher specs (three bytes each), from the SSL 2.0 draft.
var sslv2Specs = map[uint32]Suite{
	0x010080: {Name: "SSL_CK_RC4_128_WITH_MD5", RC4: true, Bits: 128},
	0x020080: {Name: "SSL_CK_RC4_128_EXPORT40_WITH_MD5", RC4: true, Export: true, Bits: 40},
	0x030080: {Name: "SSL_CK_RC2_128_CBC_WITH_MD5", RC2: true, Bits: 128},
	0x040080: {Name: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", RC2: true, Export: true, Bits: 40},
	0x050080: {Name: "SSL_CK_IDEA_128_CBC_WITH_MD5", Block64: true, Bits: 128},
	0x060040: {Name: "SSL_CK_DES_64_CBC_WITH_MD5", DES: true, Bits: 56},
	0x0700C0: {Name: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", Block64: true, Bits: 112},
}

// Named groups (RFC 8422, RFC 7919, RFC 8446) with their size in bits.
type group struct {
	Name string
	Bits int // curve order bits, or prime bits for finite-field groups
}

var namedGroups = map[uint16]group{
	19: {"secp192r1", 192}, 21: {"secp224r1", 224}, 22: {"secp256k1", 256},
	23: {"secp256r1", 256}, 24: {"secp384r1", 384}, 25: {"secp521r1", 521},
	26: {"brainpoolP256r1", 256}, 27: {"brainpoolP384r1", 384}, 28: {"brainpoolP512r1", 512},
	29: {"x25519", 256}, 30: {"x448", 448},
	256: {"ffdhe2048", 2048}, 257: {"ffdhe3072", 3072}, 258: {"ffdhe4096", 4096},
	259: {"ffdhe6144", 6144}, 260: {"ffdhe8192", 8192},
	0x11EC: {"X25519MLKEM768", 256},
}

// offeredGroups is our supported_groups list, strongest common first; the
// weak curves at the end reveal servers that only know them.
var offeredGroups = []uint16{29, 23, 24, 25, 30, 256, 257, 258, 259, 260, 26, 27, 28, 22, 21, 19}

func groupName(id uint16) string {
	if g, ok := namedGroups[id]; ok {
		return g.Name
	}
	return fmt.Sprintf("group 0x%04x", id)
}
