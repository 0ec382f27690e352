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
	// Nice is the worker's nice value when not Idle; with Idle, that of
	// the fallback worker that takes the hashes while the idle one is
	// starved (0: no fallback).
	Nice int
}

// Preemptible reports whether hashes run at SCHED_IDLE, which the kernel
// preempts at once for a request: then logins may use every core. A nice
// value alone does not protect token checks once every core hashes (p99
// 2.7-3.3x under EEVDF; docs/password-hashing.md).
func (h hashIsolation) Preemptible() bool { return h.Process && h.Idle }

func parseHashIsolation(v string) (hashIsolation, error) {
	nice := func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 19 {
			return 0, fmt.Errorf("nice value must be 1 to 19: %q", v)
		}
		return n, nil
	}
	switch {
	case v == "off":
		return hashIsolation{}, nil
	case v == "process":
		return hashIsolation{Process: true}, nil
	case v == "idle":
		return hashIsolation{Process: true, Idle: true}, nil
	case strings.HasPrefix(v, "idle+nice:"):
		n, err := nice(strings.TrimPrefix(v, "idle+nice:"))
		return hashIsolation{Process: true, Idle: true, Nice: n}, err
	case strings.HasPrefix(v, "nice:"):
		n, err := nice(strings.TrimPrefix(v, "nice:"))
		return hashIsolation{Process: true, Nice: n}, err
	}
	return hashIsolation{}, fmt.Errorf("want idle+nice:N, idle, nice:N, process or off: %q", v)
}
