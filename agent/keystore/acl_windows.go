//go:build windows

package keystore

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// protectFile replaces a file's DACL with SYSTEM and Administrators only
// (and the calling user when not elevated), inheritance from ProgramData
// removed.
func protectFile(path string) error { return setDACL(path, false) }

// ProtectDir creates the state directory and restricts it the same way,
// inherited by everything created inside (key, state, spool), so the key is
// never readable by Users even between its creation and protectFile.
func ProtectDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return setDACL(dir, true)
}

// callerSID is the SID to grant beside SYSTEM and Administrators: the user
// running vigie without elevation, whose Administrators membership (if any)
// is deny-only. Elevated and SYSTEM callers need no entry of their own.
func callerSID() string {
	t := windows.GetCurrentProcessToken()
	if t.IsElevated() {
		return ""
	}
	u, err := t.GetTokenUser()
	if err != nil {
		return ""
	}
	return u.User.Sid.String()
}

func setDACL(path string, dir bool) error {
	sd, err := windows.SecurityDescriptorFromString(DACLSDDL(dir, callerSID()))
	if err != nil {
		return fmt.Errorf("security descriptor: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("dacl: %w", err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("SetNamedSecurityInfo %s: %w", path, err)
	}
	return nil
}
