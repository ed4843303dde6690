//go:build !windows

package installer

import "github.com/kardianos/service"

// runForced is s.Run: systemd needs no dispatcher, and kardianos/service
// runs the same way from the unit and from a terminal.
func runForced(s service.Service) error { return s.Run() }
