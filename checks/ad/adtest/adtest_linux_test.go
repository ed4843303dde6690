//go:build linux

package adtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// TestHarnessServesLDAPS proves the peer is real: a simple bind as the
// Administrator over LDAPS, verified against the harness CA, reads the
// rootDSE samba built at provisioning.
func TestHarnessServesLDAPS(t *testing.T) {
	dc := Start(t, Options{})
	t.Logf("provision %v, start %v", dc.Timings.Provision, dc.Timings.Start)
	ctx := context.Background()
	raw, err := dc.Dialer().DialContext(ctx, "tcp", LDAPSAddr)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(dc.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn := ldap.NewConn(tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: Hostname}), true)
	conn.Start()
	defer conn.Close()
	if err := conn.Bind("Administrator@"+Realm, AdminPassword); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"defaultNamingContext", "dnsHostName"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Entries[0].GetAttributeValue("defaultNamingContext"); got != BaseDN {
		t.Fatalf("defaultNamingContext = %q, want %q", got, BaseDN)
	}
	if _, err := os.Stat(dc.Sysvol); err != nil {
		t.Fatalf("sysvol: %v", err)
	}
}
