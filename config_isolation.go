package main

import (
	"fmt"
	"strconv"
	"strings"
)

// hashIsolation is where password hashes run (HASH_ISOLATION).
type hashIsolation struct {
	Process bool // in a hash worker process (hashworker) rather than inline
	Idle    bool // the worker at SCHED_IDLE
	Nice    int  // the worker's nice value when not Idle
}

// LowerPriority reports whether hashes run below the server's CPU priority.
func (h hashIsolation) LowerPriority() bool { return h.Process && (h.Idle || h.Nice > 0) }

func parseHashIsolation(v string) (hashIsolation, error) {
	switch {
	case v == "off":
		return hashIsolation{}, nil
	case v == "process":
		return hashIsolation{Process: true}, nil
	case v == "idle":
		return hashIsolation{Process: true, Idle: true}, nil
	case strings.HasPrefix(v, "nice:"):
		n, err := strconv.Atoi(strings.TrimPrefix(v, "nice:"))
		if err != nil || n < 1 || n > 19 {
			return hashIsolation{}, fmt.Errorf("nice value must be 1 to 19: %q", v)
		}
		return hashIsolation{Process: true, Nice: n}, nil
	}
	return hashIsolation{}, fmt.Errorf("want idle, nice:N, process or off: %q", v)
}
