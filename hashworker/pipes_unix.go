//go:build unix

package hashworker

import (
	"os"
	"syscall"
)

// pipes returns the worker's request and reply pipes in non-blocking mode,
// so that Go's network poller waits on them. Read from a blocking stdin,
// the loop that takes requests would sit in a read system call holding
// one of the worker's processors, and the hash it had just started would
// wait in that processor's queue until the runtime's monitor took the
// processor away (up to 10 ms later): with a hash in flight per CPU that
// left a quarter of the machine idle (hashworker.BenchmarkIDKeyAllCores).
func pipes() (in, out *os.File) {
	in, out = os.Stdin, os.Stdout
	// The descriptors, not os.Stdin.Fd(), which would put the file back
	// into blocking mode.
	if syscall.SetNonblock(syscall.Stdin, true) == nil {
		in = os.NewFile(uintptr(syscall.Stdin), "hash requests")
	}
	if syscall.SetNonblock(syscall.Stdout, true) == nil {
		out = os.NewFile(uintptr(syscall.Stdout), "hash replies")
	}
	return in, out
}
