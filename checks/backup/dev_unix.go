//go:build linux

package backup

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// statDev returns the device ("major:minor") of a file when the host file
// system is the real one (os.DirFS: FileInfo.Sys() is a *syscall.Stat_t).
// Test file systems (fstest.MapFS) have no device: the caller then falls
// back to the mount table.
func statDev(fi fs.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return devString(unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev))), true
}
