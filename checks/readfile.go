package checks

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrFileTooLarge is returned by ReadFileMax for a file above its limit.
var ErrFileTooLarge = errors.New("file too large")

// ReadFileMax reads a file, refusing one larger than limit bytes without
// reading more than limit+1 of it: every file Vigie reads from a path a
// user or the disk hands it (a signed scorecard, a spooled one, a CA bundle)
// has a size bound.
func ReadFileMax(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", path, ErrFileTooLarge, limit)
	}
	return data, nil
}
