package keystore

import (
	"strings"
	"testing"
)

// TestKeyDACL: the key's DACL is protected (nothing inherited from
// ProgramData, which grants Users read) and grants full access to SYSTEM and
// Administrators by well-known SID only; the directory's entries are
// inherited by the key, state and spool created inside. A non-elevated
// caller is added by its own SID (it could not read its key otherwise); a
// malformed SID is never written into the descriptor.
func TestKeyDACL(t *testing.T) {
	t.Parallel()
	const user = "S-1-5-21-1004336348-1177238915-682003330-1001"
	cases := []struct {
		dir        bool
		user, want string
	}{
		{false, "", "D:P(A;;FA;;;S-1-5-18)(A;;FA;;;S-1-5-32-544)"},
		{true, "", "D:P(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)"},
		{false, user, "D:P(A;;FA;;;S-1-5-18)(A;;FA;;;S-1-5-32-544)(A;;FA;;;" + user + ")"},
		{true, user, "D:P(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)(A;OICI;FA;;;" + user + ")"},
		{false, SIDLocalSystem, "D:P(A;;FA;;;S-1-5-18)(A;;FA;;;S-1-5-32-544)"},
		{false, "S-1-1-0)(A;;FA;;;WD", "D:P(A;;FA;;;S-1-5-18)(A;;FA;;;S-1-5-32-544)"},
		{false, "BU", "D:P(A;;FA;;;S-1-5-18)(A;;FA;;;S-1-5-32-544)"},
	}
	for _, c := range cases {
		if got := DACLSDDL(c.dir, c.user); got != c.want {
			t.Errorf("DACLSDDL(%v, %q) = %q, want %q", c.dir, c.user, got, c.want)
		}
	}
	for _, dir := range []bool{false, true} {
		s := DACLSDDL(dir, "")
		for _, forbidden := range []string{"S-1-1-0", "S-1-5-32-545", "S-1-5-11", ";WD)", ";BU)", ";AU)", "(D;"} {
			if strings.Contains(s, forbidden) {
				t.Errorf("DACL %q grants or denies %s", s, forbidden)
			}
		}
		for _, a := range keyACEs(dir, user) {
			if !strings.HasPrefix(a.SID, "S-1-5-") {
				t.Errorf("ACE by name, not SID: %+v", a)
			}
		}
	}
}
