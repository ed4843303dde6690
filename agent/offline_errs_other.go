//go:build !windows

package agent

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// classifyOffline sorts a write error on the offline folder (Linux, BSD).
func classifyOffline(err error) OfflineErrorKind {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG):
		return OfflineFull
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return OfflineReadOnly
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO),
		errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENOTDIR):
		// EIO, ENODEV: the device went away under an open file.
		return OfflineMissing
	}
	return OfflineOther
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// EINVAL: a file system that cannot sync a folder (some FUSE
		// mounts); the file itself was synced.
		return err
	}
	return nil
}
