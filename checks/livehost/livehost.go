// Package livehost is the live implementation of checks.Host: the machine
// this program runs on, read through the file system, real commands
// (os/exec), gopsutil and the Windows registry. It lives apart from package
// checks so that what only needs the check model (the hub reading the
// guidance catalogue, report) does not link gopsutil or os/exec.
package livehost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/host"
	gnet "github.com/shirou/gopsutil/v3/net"
	"github.com/shirou/gopsutil/v3/process"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// New returns the Host of the machine this program runs on.
func New() *checks.Host {
	return &checks.Host{
		OS:       runtime.GOOS,
		FS:       os.DirFS(systemRoot()),
		Exec:     ExecRunner{MaxOutput: 16 << 20},
		Facts:    liveFacts{},
		Registry: liveRegistry(),
		Now:      time.Now,
		Dialer:   &net.Dialer{Timeout: 5 * time.Second},
		Resolver: net.DefaultResolver,
	}
}

func systemRoot() string {
	if runtime.GOOS == "windows" {
		d := os.Getenv("SystemDrive")
		if d == "" {
			d = "C:"
		}
		return d + `\`
	}
	return "/"
}

// ExecRunner runs real commands. The context carries the deadline; output is
// capped so a runaway command cannot exhaust the agent's memory budget.
type ExecRunner struct {
	MaxOutput int64
	// Env, when set, replaces the environment (LC_ALL=C is always added so
	// that parsers never meet localised text).
	Env []string
}

func (r ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, checks.ErrNotFound)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(append([]string(nil), env...), "LC_ALL=C", "LANG=C")
	limit := r.MaxOutput
	if limit <= 0 {
		limit = 16 << 20
	}
	var stdout, stderr capped
	stdout.max, stderr.max = limit, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", filepath.Base(name), ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.Bytes(), &checks.ExitError{Name: filepath.Base(name), Code: ee.ExitCode(), Stderr: strings.TrimSpace(stderr.String())}
	}
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	return stdout.Bytes(), nil
}

// capped is a buffer that silently stops growing at max bytes. It does not
// embed bytes.Buffer: io.Copy would use the promoted ReadFrom and bypass the cap.
type capped struct {
	buf bytes.Buffer
	max int64
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - int64(c.buf.Len())
	if room > 0 {
		if int64(len(p)) > room {
			c.buf.Write(p[:room])
		} else {
			c.buf.Write(p)
		}
	}
	return len(p), nil
}

func (c *capped) Bytes() []byte  { return c.buf.Bytes() }
func (c *capped) String() string { return c.buf.String() }

type liveFacts struct{}

func (liveFacts) Info(ctx context.Context) (protocol.HostInfo, error) {
	i, err := host.InfoWithContext(ctx)
	if err != nil {
		return protocol.HostInfo{}, fmt.Errorf("host info: %w", err)
	}
	return protocol.HostInfo{
		Hostname:        i.Hostname,
		OS:              i.OS,
		Platform:        i.Platform,
		PlatformFamily:  i.PlatformFamily,
		PlatformVersion: i.PlatformVersion,
		KernelVersion:   i.KernelVersion,
		Arch:            i.KernelArch,
		BootTime:        time.Unix(int64(i.BootTime), 0).UTC(),
	}, nil
}

func (liveFacts) Listeners(ctx context.Context) ([]checks.Listener, error) {
	conns, err := gnet.ConnectionsWithContext(ctx, "inet")
	if err != nil {
		return nil, fmt.Errorf("sockets: %w", err)
	}
	var out []checks.Listener
	names := map[int32]string{}
	for _, c := range conns {
		isTCP := c.Type == 1 // SOCK_STREAM
		if isTCP && c.Status != "LISTEN" {
			continue
		}
		if !isTCP && c.Raddr.IP != "" && c.Raddr.Port != 0 {
			continue // connected UDP socket, not a listener
		}
		proto := "udp"
		if isTCP {
			proto = "tcp"
		}
		if c.Family == 10 || c.Family == 23 { // AF_INET6 on Linux, Windows
			proto += "6"
		}
		l := checks.Listener{Proto: proto, Address: c.Laddr.IP, Port: int(c.Laddr.Port), PID: c.Pid}
		if c.Pid > 0 {
			n, ok := names[c.Pid]
			if !ok {
				if p, err := process.NewProcessWithContext(ctx, c.Pid); err == nil {
					n, _ = p.NameWithContext(ctx)
				}
				names[c.Pid] = n
			}
			l.Process = n
		}
		out = append(out, l)
	}
	return out, nil
}

func (liveFacts) Processes(ctx context.Context) ([]checks.Process, error) {
	ps, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("processes: %w", err)
	}
	out := make([]checks.Process, 0, len(ps))
	for _, p := range ps {
		n, err := p.NameWithContext(ctx)
		if err != nil {
			continue // process gone
		}
		out = append(out, checks.Process{PID: p.Pid, Name: n})
	}
	return out, nil
}
