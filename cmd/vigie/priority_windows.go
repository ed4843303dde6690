//go:build windows

package main

import "golang.org/x/sys/windows"

// lowerPriority makes the scan yield to the host's real work.
func lowerPriority() error {
	return windows.SetPriorityClass(windows.CurrentProcess(), windows.BELOW_NORMAL_PRIORITY_CLASS)
}
