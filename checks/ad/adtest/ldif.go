package adtest

import (
	"encoding/base64"
	"unicode/utf16"
)

// UnicodePwd is a password as an LDIF `unicodePwd::` value: the quoted
// password in UTF-16LE, base64 (how Active Directory takes a password).
func UnicodePwd(p string) string {
	u := utf16.Encode([]rune(`"` + p + `"`))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}
