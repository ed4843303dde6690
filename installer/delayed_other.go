//go:build !windows

package installer

// setDelayedAutoStart is a Windows setting; systemd orders the unit itself.
func setDelayedAutoStart(string) error { return nil }
