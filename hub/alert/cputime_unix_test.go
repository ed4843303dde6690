//go:build unix

package alert_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used, so that a
// benchmark can tell CPU-bound from waiting.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
