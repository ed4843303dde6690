//go:build !unix

package app_test

import "time"

func processCPU() time.Duration { return 0 } // not measured: the benchmarks report wall time only
