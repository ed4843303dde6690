package livehost

import (
	"context"
	"os"
)

// RunEnv runs a command like Run with env ("NAME=value") added to its
// environment, after the runner's own (later entries win on Windows and
// Linux alike).
func (r ExecRunner) RunEnv(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	base := r.Env
	if base == nil {
		base = os.Environ()
	}
	r.Env = append(append([]string(nil), base...), env...)
	return r.Run(ctx, name, args...)
}
