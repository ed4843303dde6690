//go:build !windows

package installer

import (
	"fmt"
	"os"
	"syscall"
)

// pathOwner returns "uid:N" for a file or folder.
func pathOwner(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("%s: no owner information", path)
	}
	return fmt.Sprintf("uid:%d", st.Uid), nil
}

// installingAdmin is "" on Unix: root is trusted already, and a folder of
// another uid is never reused.
func installingAdmin() string { return "" }
