package tls

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/vigie-cyber/vigie/checks"
)

// maxCAFile bounds a CA bundle read from the configuration.
const maxCAFile = 1 << 20

// LoadRoots returns the system's trusted roots plus the CA certificates of
// pemFile: an entity whose intranet or webmail uses certificates from its own
// authority gives its CA, and public sites keep verifying against the system
// roots. The file must hold at least one PEM certificate.
func LoadRoots(pemFile string) (*x509.CertPool, error) {
	data, err := checks.ReadFileMax(pemFile, maxCAFile)
	if err != nil {
		return nil, fmt.Errorf("autorité de certification : %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("autorité de certification %s : certificat %d illisible : %v", pemFile, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("autorité de certification %s : aucun certificat PEM (« -----BEGIN CERTIFICATE----- ») dans ce fichier", pemFile)
	}
	return pool, nil
}
