//go:build unix

package app_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process used so far (user + system): on
// a shared machine, wall time says more about the neighbours than about
// the code.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
