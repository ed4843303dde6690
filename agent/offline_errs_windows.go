//go:build windows

package agent

import (
	"errors"
	"io/fs"
	"syscall"
)

// Windows error codes (winerror.h) a removable drive gives.
const (
	errorWriteProtect    syscall.Errno = 19
	errorNotReady        syscall.Errno = 21
	errorHandleDiskFull  syscall.Errno = 39
	errorDiskFull        syscall.Errno = 112
	errorDeviceRemoved   syscall.Errno = 1617
	errorNoMediaInDrive  syscall.Errno = 1112
	errorInvalidDrive    syscall.Errno = 15
	errorDevNotExist     syscall.Errno = 55
	errorUnrecognisedVol syscall.Errno = 1005
)

// classifyOffline sorts a write error on the offline folder (Windows).
func classifyOffline(err error) OfflineErrorKind {
	var no syscall.Errno
	if errors.As(err, &no) {
		switch no {
		case errorDiskFull, errorHandleDiskFull:
			return OfflineFull
		case errorWriteProtect:
			return OfflineReadOnly
		case errorNotReady, errorDeviceRemoved, errorNoMediaInDrive, errorInvalidDrive, errorDevNotExist, errorUnrecognisedVol:
			return OfflineMissing
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return OfflineMissing
	case errors.Is(err, fs.ErrPermission):
		return OfflineReadOnly
	}
	return OfflineOther
}

// syncDir: Windows cannot flush a folder handle; the file was flushed
// (FlushFileBuffers) before its rename.
func syncDir(string) error { return nil }
