package hashworker

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// cpuTime is the CPU time pid has used (user + system, in clock ticks),
// from /proc/PID/stat.
func cpuTime(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// After "pid (comm) ", fields start at state (field 3); utime and stime
	// are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(string(f[14-3]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[15-3]), 10, 64)
	return u + s, err1 == nil && err2 == nil
}
