//go:build windows

package installer

import (
	"github.com/kardianos/service"
	"golang.org/x/sys/windows/svc"
)

// runForced runs s under the service control dispatcher whatever
// service.Interactive() says (see RunService): kardianos/service's Windows
// service is itself the svc.Handler that reports start and stop to the
// service manager.
func runForced(s service.Service) error {
	h, ok := s.(svc.Handler)
	if !ok {
		return s.Run()
	}
	return svc.Run(ServiceName, h)
}
