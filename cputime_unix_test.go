//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, user and system: the
// work of the requests measured, garbage collection included, and not the
// time other programs on a shared machine took.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
