//go:build !linux

package hashworker

import "os/exec"

// startWithPriority starts cmd at the server's own priority: lowering a
// single thread's priority so that only the child inherits it is a Linux
// behaviour. The worker still keeps hashing off the server's heap.
func startWithPriority(cmd *exec.Cmd, idle bool, nice int) error { return cmd.Start() }
