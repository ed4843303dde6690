//go:build !windows

package agent

import (
	"os"

	"golang.org/x/sys/unix"
)

func lockFileHandle(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			return err
		}
	}
}

func unlockFileHandle(f *os.File) { unix.Flock(int(f.Fd()), unix.LOCK_UN) }
