//go:build windows

package ad

import (
	"fmt"

	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"
)

// kerberosBind binds as the process's account through SSPI: the agent runs
// as LocalSystem, which is the machine account on the network, so nothing
// secret is stored. The service principal is the DC's DNS name, read from
// the rootDSE (anonymous read, allowed by AD) when host is "localhost".
func kerberosBind(conn *ldap.Conn, host string) error {
	if host == "localhost" || host == "127.0.0.1" || host == "::1" {
		res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false,
			"(objectClass=*)", []string{"dnsHostName"}, nil))
		if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("dnsHostName") == "" {
			return fmt.Errorf("bind kerberos : nom DNS du contrôleur illisible dans le rootDSE (%v)", err)
		}
		host = res.Entries[0].GetAttributeValue("dnsHostName")
	}
	client, err := gssapi.NewSSPIClient()
	if err != nil {
		return fmt.Errorf("bind kerberos (SSPI) : %w", err)
	}
	defer client.Close()
	if err := conn.GSSAPIBind(client, "ldap/"+host, ""); err != nil {
		return fmt.Errorf("bind kerberos en tant que compte machine (ldap/%s) : %w", host, err)
	}
	return nil
}
