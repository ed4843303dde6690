//go:build windows

package installer

import "golang.org/x/sys/windows"

// pathOwner returns the owner SID of a file or folder.
func pathOwner(path string) (string, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return "", err
	}
	sid, _, err := sd.Owner()
	if err != nil {
		return "", err
	}
	return sid.String(), nil
}

// installingAdmin is the SID of the user running the installation when its
// token is elevated, else "".
func installingAdmin() string {
	t := windows.GetCurrentProcessToken()
	if !t.IsElevated() {
		return ""
	}
	u, err := t.GetTokenUser()
	if err != nil {
		return ""
	}
	return u.User.Sid.String()
}
