//go:build windows

package installer

import (
	"fmt"

	"golang.org/x/sys/windows/svc/mgr"
)

// setDelayedAutoStart turns on delayed automatic start for an installed
// service. It is a separate step because creating the service with it set
// deletes the service when the setting cannot be applied (Wine does not
// implement SERVICE_CONFIG_DELAYED_AUTO_START_INFO): the service is more
// useful started at boot without delay than not installed.
func setDelayedAutoStart(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.Config()
	if err != nil {
		return err
	}
	if c.DelayedAutoStart {
		return nil
	}
	c.DelayedAutoStart = true
	if err := s.UpdateConfig(c); err != nil {
		return fmt.Errorf("démarrage automatique différé : %w", err)
	}
	return nil
}
