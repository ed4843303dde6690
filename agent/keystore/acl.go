package keystore

import (
	"regexp"
	"strings"
)

// Well-known SIDs (never names: "Administrateurs" on a French Windows).
const (
	SIDLocalSystem    = "S-1-5-18"     // NT AUTHORITY\SYSTEM
	SIDAdministrators = "S-1-5-32-544" // BUILTIN\Administrators
)

// ACE is one access-control entry of the key's DACL.
type ACE struct {
	SID     string
	Rights  string // SDDL rights: FA = full access (GENERIC_ALL for files)
	Inherit bool   // object and container inherit (for directories)
}

// sidPattern is the textual form of a SID (S-1-5-21-...-1001): anything else
// is never written into a security descriptor.
var sidPattern = regexp.MustCompile(`^S-1-[0-9]+(-[0-9]+){1,15}$`)

// keyACEs is who may touch the agent key and state: SYSTEM (the service)
// and the local Administrators, nobody else, whatever ProgramData grants.
// user, when set, is the SID of a user running vigie without elevation (a
// trial `vigie scan --out` in a folder of their own): without an entry of
// their own they could create the key but never read it again, their
// Administrators membership being deny-only in a filtered token.
func keyACEs(dir bool, user string) []ACE {
	aces := []ACE{
		{SID: SIDLocalSystem, Rights: "FA", Inherit: dir},
		{SID: SIDAdministrators, Rights: "FA", Inherit: dir},
	}
	if user != "" && user != SIDLocalSystem && user != SIDAdministrators && sidPattern.MatchString(user) {
		aces = append(aces, ACE{SID: user, Rights: "FA", Inherit: dir})
	}
	return aces
}

// DACLSDDL renders the protected DACL ("D:P": inherited entries from the
// parent are removed) in SDDL, which Windows turns into a binary DACL with
// ConvertStringSecurityDescriptorToSecurityDescriptor. A pure function, so
// it is tested on every OS. user is the SID of a non-elevated caller, or "".
func DACLSDDL(dir bool, user string) string {
	var b strings.Builder
	b.WriteString("D:P")
	for _, a := range keyACEs(dir, user) {
		flags := ""
		if a.Inherit {
			flags = "OICI"
		}
		b.WriteString("(A;" + flags + ";" + a.Rights + ";;;" + a.SID + ")")
	}
	return b.String()
}
