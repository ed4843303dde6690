package checks

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// ErrNotFound means a command or registry key is not on this host; checks turn
// it into not-applicable.
var ErrNotFound = errors.New("not found")

// ErrUnsupported is returned by OS-specific facilities on other systems
// (the registry on Linux).
var ErrUnsupported = errors.New("not supported on this system")

// Host is the only door a check has to the machine. Tests build one over
// testdata/ trees and fakes (see checkstest); production uses livehost.New().
type Host struct {
	// OS is the GOOS of the observed host ("linux", "windows").
	OS string
	// FS is the host file system rooted at "/" (or the system drive on
	// Windows); paths are slash-separated without a leading slash.
	FS fs.FS
	// Exec runs commands with a deadline.
	Exec Runner
	// Facts gives host facts (gopsutil-backed in production).
	Facts Facts
	// Registry reads the Windows registry; ErrUnsupported elsewhere.
	Registry Registry
	// Now is the clock.
	Now func() time.Time
	// Dialer opens network connections (TLS and DNS checks).
	Dialer Dialer
	// Resolver looks up names (TLS endpoints given by name).
	Resolver *net.Resolver
}

// Runner runs a command and returns its standard output. A non-zero exit is
// an *ExitError carrying the code and standard error (and the output is still
// returned); a missing program is ErrNotFound.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExitError is a command that ran and exited non-zero.
type ExitError struct {
	Name   string
	Code   int
	Stderr string
}

func (e *ExitError) Error() string {
	if e.Stderr != "" {
		return e.Name + ": exit status " + strconv.Itoa(e.Code) + ": " + e.Stderr
	}
	return e.Name + ": exit status " + strconv.Itoa(e.Code)
}

// Dialer opens connections; *net.Dialer satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// KeyExists tells whether a registry key exists: false, nil when it does
// not; an error when it could not be read (access denied), which is not
// the same as absent.
func KeyExists(r Registry, key string) (bool, error) {
	_, err := r.SubKeys(key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}

// Registry reads Windows registry values. Keys are full paths such as
// `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
type Registry interface {
	String(key, value string) (string, error)
	Integer(key, value string) (uint64, error)
	// SubKeys lists the names of a key's sub-keys.
	SubKeys(key string) ([]string, error)
}

// Listener is a listening socket.
type Listener struct {
	Proto   string `json:"proto"` // tcp, tcp6, udp, udp6
	Address string `json:"address"`
	Port    int    `json:"port"`
	PID     int32  `json:"pid,omitempty"`
	Process string `json:"process,omitempty"`
}

// Process is a running process.
type Process struct {
	PID  int32  `json:"pid"`
	Name string `json:"name"`
	Exe  string `json:"exe,omitempty"`
}

// Facts gives host facts (gopsutil in production, see livehost).
type Facts interface {
	Info(ctx context.Context) (protocol.HostInfo, error)
	Listeners(ctx context.Context) ([]Listener, error)
	Processes(ctx context.Context) ([]Process, error)
}

// EnvRunner is a Runner that can also add variables to a command's
// environment. Values from the configuration (a backup path) reach scripts
// this way, as data, never spliced into the script's text where a quote
// could end a string. livehost.ExecRunner and checkstest.Runner implement it.
type EnvRunner interface {
	Runner
	RunEnv(ctx context.Context, env []string, name string, args ...string) ([]byte, error)
}
