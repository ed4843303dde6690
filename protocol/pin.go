package protocol

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
)

// Certificate pinning, shared by every Vigie client that talks to a hub it
// has pinned: the agent to its regional hub, a regional hub to the national
// hub (federation). The pin is part of the contract: hub_spki_sha256 in the
// enrolment response, --fingerprint on the command lines.

// SPKISHA256 is the hex SHA-256 of a certificate's SubjectPublicKeyInfo:
// what clients pin. It survives a certificate renewal that keeps the key.
func SPKISHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// ErrNoPeerCertificate: the server presented no certificate.
var ErrNoPeerCertificate = errors.New("no certificate")

// PinnedTLSConfig accepts only a server whose leaf certificate has the
// pinned SPKI (hex SHA-256): neither a CA compromise nor a DNS takeover can
// impersonate it. Chain and name are not checked: the pin is stronger. On
// a mismatch the handshake fails with mismatch(seen), seen being the SPKI
// the server presented, so that each client words its own advice; the
// comparison is in constant time.
func PinnedTLSConfig(spki string, mismatch func(seen string) error) *tls.Config {
	want, _ := hex.DecodeString(spki)
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return mismatch("")
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if len(want) != sha256.Size || subtle.ConstantTimeCompare(sum[:], want) != 1 {
				return mismatch(hex.EncodeToString(sum[:]))
			}
			return nil
		},
	}
}
