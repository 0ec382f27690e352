package main

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where the bench ran.
type machine struct {
	CPU       string
	NumCPU    int
	Memory    string
	Kernel    string
	GoVersion string
}

func readMachine() machine {
	m := machine{CPU: "unknown CPU", NumCPU: runtime.NumCPU(), Memory: "?", GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kib int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kib)
				m.Memory = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	} else {
		m.Kernel = runtime.GOOS
	}
	return m
}

// loadAverage is the machine's one-minute load average: more than its CPUs
// means something else was running too.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// fmtDur prints a latency with three significant figures in ms (µs below
// 1 ms), so that columns read alike.
func fmtDur(d time.Duration) string {
	switch ms := float64(d) / float64(time.Millisecond); {
	case d == 0:
		return "0"
	case ms < 1:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	default:
		return fmt.Sprintf("%.0f ms", ms)
	}
}

func fmtRate(r float64) string {
	if r < 100 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

func fmtMiB(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// redactURL is a database URL fit for the report: no password, no query.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}
