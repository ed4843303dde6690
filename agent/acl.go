package agent

import "strings"

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

// keyACEs is who may touch the agent key and state: SYSTEM (the service)
// and the local Administrators, nobody else, whatever ProgramData grants.
func keyACEs(dir bool) []ACE {
	return []ACE{
		{SID: SIDLocalSystem, Rights: "FA", Inherit: dir},
		{SID: SIDAdministrators, Rights: "FA", Inherit: dir},
	}
}

// DACLSDDL renders the protected DACL ("D:P": inherited entries from the
// parent are removed) in SDDL, which Windows turns into a binary DACL with
// ConvertStringSecurityDescriptorToSecurityDescriptor. A pure function, so
// it is tested on every OS.
func DACLSDDL(dir bool) string {
	var b strings.Builder
	b.WriteString("D:P")
	for _, a := range keyACEs(dir) {
		flags := ""
		if a.Inherit {
			flags = "OICI"
		}
		b.WriteString("(A;" + flags + ";" + a.Rights + ";;;" + a.SID + ")")
	}
	return b.String()
}
