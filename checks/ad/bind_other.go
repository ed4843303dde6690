//go:build !windows

package ad

import (
	"errors"

	"github.com/go-ldap/ldap/v3"
)

// kerberosBind is Windows only: the agent binds as the machine account
// through SSPI there. Elsewhere there is no machine credential to use
// without storing a keytab, which Vigie does not do.
func kerberosBind(*ldap.Conn, string) error {
	return errors.New("bind kerberos : seulement sous Windows (compte machine) ; ailleurs, utilisez bind = \"simple\" avec un compte de lecture")
}
