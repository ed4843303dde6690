package tls

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// References shared by the family: ANSSI hygiene guide measure 21 (secure
// network protocols) and ANSSI-PA-035 (TLS recommendations); CIS 4.1
// (secure configuration); NIS2 21(2)(h) cryptography and (j) secured
// communications.
var (
	refsProto = protocol.Refs{ANSSI: []int{21}, CIS: []string{"4.1"}, NIS2: []string{"h"}}
	refsCert  = protocol.Refs{ANSSI: []int{21}, CIS: []string{"4.1"}, NIS2: []string{"h"}}
	refsMail  = protocol.Refs{ANSSI: []int{21, 24}, CIS: []string{"4.1"}, NIS2: []string{"h", "j"}}
)

type definition struct {
	meta  checks.Meta
	judge judgeFunc
}

func def(id string, sev protocol.Severity, refs protocol.Refs, j judgeFunc) definition {
	return definition{meta: checks.Meta{ID: id, Version: 1, Domain: protocol.DomainTLS, Severity: sev, Refs: refs}, judge: j}
}

// definitions lists the family's checks; IDs are stable. The judges live
// by subject: judge_protocol.go (versions, suites, forward secrecy, ANSSI
// profile), judge_cert.go (the certificate and its OCSP status) and
// judge_service.go (HSTS, STARTTLS).
var definitions = []definition{
	// SSLv2 and SSLv3 are broken (DROWN, POODLE): any client can be forced
	// down to them. ANSSI-PA-035 forbids them.
	def("tls.protocol-ssl", protocol.Critical, refsProto, judgeProtocolSSL),
	// TLS 1.0 and 1.1 are deprecated (RFC 8996): no modern AEAD suites,
	// SHA-1 in the handshake. ANSSI-PA-035: TLS 1.2 and 1.3 only.
	def("tls.protocol-legacy", protocol.High, refsProto, judgeProtocolLegacy),
	// NULL, EXPORT, anonymous, RC4, DES and 3DES suites let an attacker
	// read or alter traffic (FREAK, Logjam, Sweet32, RC4 biases).
	def("tls.ciphers-weak", protocol.High, refsProto, judgeCiphersWeak),
	// Without ephemeral key exchange, stealing the server key later
	// decrypts every recorded session; small DH groups fall to Logjam.
	def("tls.forward-secrecy", protocol.Medium, refsProto, judgeForwardSecrecy),
	// An expired certificate breaks the service and teaches users to click
	// through warnings.
	def("tls.cert-expiry", protocol.High, refsCert, judgeCertExpiry),
	// A chain that does not lead to a trusted authority (self-signed,
	// missing intermediate) cannot be told apart from an impostor.
	def("tls.cert-chain", protocol.High, refsCert, judgeCertChain),
	// A certificate for another name cannot prove the server's identity.
	def("tls.cert-hostname", protocol.High, refsCert, judgeCertHostname),
	// Short keys (RSA < 2048, ECDSA < 256 bits) can be broken.
	def("tls.cert-key", protocol.High, refsCert, judgeCertKey),
	// SHA-1 and MD5 signatures can be forged (SHAttered, Flame).
	def("tls.cert-signature", protocol.High, refsCert, judgeCertSignature),
	// Without OCSP stapling clients cannot cheaply learn a revocation.
	def("tls.ocsp-stapling", protocol.Low, refsCert, judgeOCSPStapling),
	// Without HSTS a first visit over http:// can be hijacked (SSL strip).
	def("tls.hsts", protocol.Medium, refsProto, judgeHSTS),
	// A mail server without working STARTTLS sends mail and passwords in
	// clear text (ANSSI hygiene measure 24).
	def("tls.starttls", protocol.High, refsMail, judgeStartTLS),
	// Overall verdict against ANSSI-PA-035 and Mozilla's server-side TLS
	// profiles (modern, intermediate, old).
	def("tls.profile", protocol.Medium, refsProto, judgeProfile),
}

func list(xs []string) string { return strings.Join(xs, ", ") }

func bi(fr, en string) protocol.Text { return protocol.Text{FR: fr, EN: en} }

// plural writes "1 day", "3 days".
func plural(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// agree picks the singular or plural form of a word for n things.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// gapFR translates a profile gap (kept in English in the facts).
func gapFR(g string) string {
	fixed := map[string]string{
		"TLS 1.2 suites beyond Mozilla intermediate": "suites TLS 1.2 hors du profil Mozilla intermediate",
		"TLS 1.3 CCM suites":                         "suites TLS 1.3 CCM",
		"suites without forward secrecy":             "suites sans confidentialité persistante",
		"CBC suites":                                 "suites CBC",
		"CCM_8 suites":                               "suites CCM_8",
		"custom DH group":                            "groupe DH non standard",
	}
	if fr, ok := fixed[g]; ok {
		return fr
	}
	if k, ok := strings.CutPrefix(g, "certificate key "); ok {
		return "clé du certificat " + k
	}
	if alg, ok := strings.CutSuffix(g, " signature"); ok {
		return "signature " + alg
	}
	return g
}

// needTLS skips checks of a mail endpoint without STARTTLS: there is no TLS
// to judge (tls.starttls fails instead).
func needTLS(a *Assessment) (protocol.Result, bool) {
	if a.StartTLS != nil && !a.StartTLS.Offered {
		return checks.Skipped(protocol.Textf(
			"le serveur %s ne propose pas STARTTLS : aucun TLS à évaluer (voir tls.starttls)",
			"the %s server does not offer STARTTLS: no TLS to assess (see tls.starttls)", strings.ToUpper(a.StartTLS.Protocol))), true
	}
	return protocol.Result{}, false
}

func needCert(a *Assessment) (protocol.Result, bool) {
	if r, skip := needTLS(a); skip {
		return r, true
	}
	if len(a.Chain) == 0 {
		err := a.ChainErr
		if err == nil {
			err = errors.New("no certificate")
		}
		return checks.Errored(protocol.Textf("certificat illisible", "certificate unreadable"), err), true
	}
	return protocol.Result{}, false
}

// versions lists the accepted versions, oldest first.
func (a *Assessment) versions() []uint16 {
	var out []uint16
	if a.SSLv2 != nil {
		out = append(out, vSSL2)
	}
	for _, v := range allVersions {
		if a.Versions[v] != nil {
			out = append(out, v)
		}
	}
	return out
}

func versionNames(vs []uint16) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = versionName(v)
	}
	return out
}

// acceptedSuite is a suite accepted with a version.
type acceptedSuite struct {
	V uint16
	S Suite
}

func (a *Assessment) suites() []acceptedSuite {
	var out []acceptedSuite
	for _, s := range a.SSLv2 {
		out = append(out, acceptedSuite{vSSL2, s})
	}
	for _, v := range allVersions {
		if vs := a.Versions[v]; vs != nil {
			for _, id := range vs.Suites {
				out = append(out, acceptedSuite{v, suiteByID(id)})
			}
		}
	}
	return out
}

func (a *Assessment) partial() (string, string) {
	if len(a.Incomplete) == 0 {
		return "", ""
	}
	return " (analyse partielle : " + list(a.Incomplete) + ")", " (partial assessment: " + list(a.Incomplete) + ")"
}
