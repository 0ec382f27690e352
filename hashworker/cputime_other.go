//go:build !linux

package hashworker

// cpuTime is not known here: a worker's progress cannot be told from its
// silence, and Options.Timeout acts as a deadline.
func cpuTime(pid int) (int64, bool) { return 0, false }
