//go:build !linux

package backup

import "io/fs"

// statDev has no device number to offer outside Linux; the mount table (or
// PowerShell on Windows) answers instead.
func statDev(fs.FileInfo) (string, bool) { return "", false }
