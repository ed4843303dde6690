package agent

import (
	"strings"
	"testing"
)

// TestKeyDACL: the key's DACL is protected (nothing inherited from
// ProgramData, which grants Users read) and grants full access to SYSTEM and
// Administrators by well-known SID only; the directory's entries are
// inherited by the key, state and spool created inside.
func TestKeyDACL(t *testing.T) {
	t.Parallel()
	if got, want := DACLSDDL(false), "D:P(A;;FA;;;S-1-5-18)(A;;FA;;;S-1-5-32-544)"; got != want {
		t.Errorf("file DACL %q, want %q", got, want)
	}
	if got, want := DACLSDDL(true), "D:P(A;OICI;FA;;;S-1-5-18)(A;OICI;FA;;;S-1-5-32-544)"; got != want {
		t.Errorf("dir DACL %q, want %q", got, want)
	}
	for _, dir := range []bool{false, true} {
		s := DACLSDDL(dir)
		for _, forbidden := range []string{"S-1-1-0", "S-1-5-32-545", "S-1-5-11", ";WD)", ";BU)", ";AU)", "(D;"} {
			if strings.Contains(s, forbidden) {
				t.Errorf("DACL %q grants or denies %s", s, forbidden)
			}
		}
		for _, a := range keyACEs(dir) {
			if !strings.HasPrefix(a.SID, "S-1-5-") {
				t.Errorf("ACE by name, not SID: %+v", a)
			}
		}
	}
}
