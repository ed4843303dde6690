// Package checkstest builds fake hosts for check tests: a file tree, canned
// command outputs, registry values and host facts, all in memory.
package checkstest

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Cmd is a canned command result.
type Cmd struct {
	Out  string
	Code int           // non-zero gives a *checks.ExitError
	Err  error         // returned as is (ErrNotFound, a timeout...)
	Wait time.Duration // simulate a slow command; honours the context
}

// Runner answers commands from a table keyed by "name arg1 arg2".
// Unknown commands are ErrNotFound, as on a host without the program.
type Runner struct {
	mu    sync.Mutex
	Cmds  map[string]Cmd
	Calls []string
	// Envs holds the extra environment of each RunEnv call, in order.
	Envs [][]string
}

// RunEnv records the extra environment (tests assert that data went there
// and not into the command line) and answers like Run; a table entry keyed
// "VAR=value ... name args" (the environment sorted, then the command)
// answers for that environment only.
func (r *Runner) RunEnv(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	sorted := slices.Sorted(slices.Values(env))
	r.mu.Lock()
	r.Envs = append(r.Envs, sorted)
	key := strings.Join(sorted, " ") + " " + strings.TrimSpace(name+" "+strings.Join(args, " "))
	_, specific := r.Cmds[key]
	r.mu.Unlock()
	if specific {
		return r.Run(ctx, key)
	}
	return r.Run(ctx, name, args...)
}

func (r *Runner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	key := strings.TrimSpace(name + " " + strings.Join(args, " "))
	r.mu.Lock()
	r.Calls = append(r.Calls, key)
	c, ok := r.Cmds[key]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, checks.ErrNotFound)
	}
	if c.Wait > 0 {
		select {
		case <-time.After(c.Wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.Err != nil {
		return []byte(c.Out), c.Err
	}
	if c.Code != 0 {
		return []byte(c.Out), &checks.ExitError{Name: name, Code: c.Code}
	}
	return []byte(c.Out), nil
}

// Registry is an in-memory registry: Values["HKLM\\key"]["value"] = string or uint64.
type Registry struct {
	Values map[string]map[string]any
}

func (r Registry) get(key, value string) (any, error) {
	vals, ok := r.Values[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, checks.ErrNotFound)
	}
	v, ok := vals[value]
	if !ok {
		return nil, fmt.Errorf(`%s\%s: %w`, key, value, checks.ErrNotFound)
	}
	return v, nil
}

func (r Registry) String(key, value string) (string, error) {
	v, err := r.get(key, value)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf(`%s\%s is not a string`, key, value)
	}
	return s, nil
}

func (r Registry) Integer(key, value string) (uint64, error) {
	v, err := r.get(key, value)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case uint64:
		return n, nil
	case int:
		return uint64(n), nil
	}
	return 0, fmt.Errorf(`%s\%s is not an integer`, key, value)
}

func (r Registry) SubKeys(key string) ([]string, error) {
	prefix := key + `\`
	seen := map[string]bool{}
	var out []string
	for k := range r.Values {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			name, _, _ := strings.Cut(rest, `\`)
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	if len(out) == 0 {
		if _, ok := r.Values[key]; !ok {
			return nil, fmt.Errorf("%s: %w", key, checks.ErrNotFound)
		}
	}
	return out, nil
}

// Facts returns fixed host facts.
type Facts struct {
	HostInfo protocol.HostInfo
	Listen   []checks.Listener
	Procs    []checks.Process
	Err      error
}

func (f Facts) Info(context.Context) (protocol.HostInfo, error)      { return f.HostInfo, f.Err }
func (f Facts) Listeners(context.Context) ([]checks.Listener, error) { return f.Listen, f.Err }
func (f Facts) Processes(context.Context) ([]checks.Process, error)  { return f.Procs, f.Err }

// Clock is a fixed time used by fake hosts: 2026-11-23 10:00 UTC.
var Clock = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// Host returns a Linux fake host with an empty file system, no commands and
// the fixed clock. Tests fill the fields they need.
func Host() *checks.Host {
	return &checks.Host{
		OS:       "linux",
		FS:       fstest.MapFS{},
		Exec:     &Runner{Cmds: map[string]Cmd{}},
		Facts:    Facts{},
		Registry: Registry{},
		Now:      func() time.Time { return Clock },
		Dialer:   &net.Dialer{Timeout: 2 * time.Second},
		Resolver: net.DefaultResolver,
	}
}

// DirFS returns the testdata tree at dir as a host file system.
func DirFS(dir string) fs.FS { return os.DirFS(dir) }
