package hashworker

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// statFields reads a /proc/…/stat file (proc(5)) and returns its fields
// from the third on, so that field n is at index n-3: the command before
// them is in parentheses and may itself hold spaces.
func statFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])), nil
}

// cpuTime is the CPU time pid has used (user + system, in clock ticks).
// Where there is no /proc (not Linux) it is not known: a worker's
// progress cannot be told from its silence, and Options.Timeout acts as a
// deadline.
func cpuTime(pid int) (int64, bool) {
	f, err := statFields("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil || len(f) < 15-3+1 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[14-3], 10, 64)
	s, err2 := strconv.ParseInt(f[15-3], 10, 64)
	return u + s, err1 == nil && err2 == nil
}
