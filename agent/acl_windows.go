//go:build windows

package agent

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// protectKey replaces the key file's DACL with SYSTEM and Administrators
// only, inheritance from ProgramData removed.
func protectKey(path string) error { return setDACL(path, false) }

// protectDir creates the state directory and restricts it the same way,
// inherited by everything created inside (key, state, spool), so the key is
// never readable by Users even between its creation and protectKey.
func protectDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return setDACL(dir, true)
}

func setDACL(path string, dir bool) error {
	sd, err := windows.SecurityDescriptorFromString(DACLSDDL(dir))
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
