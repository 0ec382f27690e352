package hashworker

import (
	"fmt"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// startWithPriority starts cmd at SCHED_IDLE or nice steps below this
// process (at most nice 19).
//
// A child inherits the scheduling policy and nice value of the thread that
// forks it, so cmd is started from a thread of its own whose priority was
// lowered first (on Linux both calls below act on the calling thread, not
// the process). Every thread the worker ever creates inherits the same,
// with no window in which one runs at full priority. The thread is then
// discarded (see onDiscardedThread), because an unprivileged process
// cannot raise a priority it has lowered.
func startWithPriority(cmd *exec.Cmd, idle bool, nice int) error {
	if !idle && nice == 0 {
		return cmd.Start()
	}
	return onDiscardedThread(func() error {
		if idle {
			attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
			if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
				return fmt.Errorf("set SCHED_IDLE: %w", err)
			}
		} else {
			// The raw system call answers 20 - nice, so that it is never
			// negative. Relative, and capped at 19, the new value is never
			// below the current one: raising a priority needs privilege.
			raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
			if err != nil {
				return fmt.Errorf("read nice: %w", err)
			}
			target := min(19, 20-raw+nice)
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, target); err != nil {
				return fmt.Errorf("set nice %d: %w", target, err)
			}
		}
		return cmd.Start()
	})
}

// onDiscardedThread runs f on an OS thread that no other goroutine will
// run on afterwards: a goroutine that exits while locked to its thread
// makes the runtime end the thread. The process's main thread cannot be
// ended (the runtime would park it for good, at whatever priority f left
// it), so a goroutine that finds itself there keeps the main thread busy
// while another goroutine, which then must land elsewhere, runs f.
func onDiscardedThread(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			errc <- onDiscardedThread(f)
			runtime.UnlockOSThread()
			return
		}
		errc <- f() // and exit locked
	}()
	return <-errc
}
