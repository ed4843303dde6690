//go:build !windows

package main

import "syscall"

// lowerPriority makes the scan yield to the host's real work (nice 10):
// agents that slow down production hosts are what users of Wazuh and
// OpenSCAP complain about most.
func lowerPriority() error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, 0, 10)
}
