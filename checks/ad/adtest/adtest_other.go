//go:build !linux

package adtest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
)

// New is Linux-only: it needs samba and network namespaces.
func New(ctx context.Context, opts Options) (*DC, error) {
	return nil, fmt.Errorf("%w: Linux only", ErrUnavailable)
}

// NSDialer is a stub off Linux.
type NSDialer struct{ Namespace string }

// DialContext always fails off Linux.
func (NSDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, fmt.Errorf("%w: Linux only", ErrUnavailable)
}

// Dialer returns the stub dialer.
func (d *DC) Dialer() NSDialer { return NSDialer{Namespace: d.Namespace} }

// Exec is a stub off Linux.
func (d *DC) Exec(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}

// Ldbmodify is a stub off Linux.
func (d *DC) Ldbmodify(context.Context, string, ...string) error { return ErrUnavailable }

// Ldbadd is a stub off Linux.
func (d *DC) Ldbadd(context.Context, string, ...string) error { return ErrUnavailable }

// LdbFile is a stub off Linux.
func LdbFile(context.Context, string, string, string, ...string) error { return ErrUnavailable }
