package hygiene

import (
	"io/fs"
)

// fsys is the host file system type tests hand to checks.
type fsys = fs.FS

// denyFS refuses every open, as etc/shadow does to a non-root user.
type denyFS struct{}

func (denyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
}
