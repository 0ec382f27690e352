package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// readHashing reads the argon2id cost and where and how many hashes run.
func readHashing(r *envReader, c *config) {
	c.Argon2 = auth.DefaultArgon2Params
	c.Argon2.Memory = r.uint32("ARGON2_MEMORY_KIB", 64)
	c.Argon2.Time = r.uint32("ARGON2_TIME", 1)
	threads := r.uint32("ARGON2_THREADS", 1)
	if threads > 255 {
		r.bad("ARGON2_THREADS", "must be at most 255")
	}
	c.Argon2.Threads = uint8(threads)
	c.HashWorkers = auth.DefaultHashWorkers()
	if r.get("HASH_WORKERS") != "" {
		c.HashWorkers = int(r.uint32("HASH_WORKERS", 1))
	}
	c.HashQueue = 8 * c.HashWorkers
	if r.get("HASH_QUEUE") != "" {
		c.HashQueue = int(r.uint32("HASH_QUEUE", 0))
	}
	var err error
	if c.HashIsolation, err = parseHashIsolation(r.get("HASH_ISOLATION")); err != nil {
		r.bad("HASH_ISOLATION", "%v", err)
	}
}

// readRuntime reads the background jobs, the cache, metrics and logs.
func readRuntime(r *envReader, c *config) {
	c.PruneInterval = r.duration("PRUNE_INTERVAL", time.Second)
	c.CacheEntries = int(r.uint32("CACHE_ENTRIES", 0))
	if r.get("CACHE_RESYNC_INTERVAL") != "" {
		c.CacheResync = r.duration("CACHE_RESYNC_INTERVAL", 100*time.Millisecond)
	}
	c.AuditRetention = r.duration("AUDIT_RETENTION", 0)
	c.Metrics = r.boolean("METRICS", true)
	c.MetricsAddr = r.get("METRICS_ADDR")
	c.ShutdownTimeout = r.duration("SHUTDOWN_TIMEOUT", 0)
	if err := c.LogLevel.UnmarshalText([]byte(r.get("LOG_LEVEL"))); err != nil {
		r.bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	switch f := r.get("LOG_FORMAT"); f {
	case "json":
		c.LogJSON = true
	case "text":
	default:
		r.bad("LOG_FORMAT", "must be text or json, not %q", f)
	}
}

// hashIsolation is where password hashes run (HASH_ISOLATION).
type hashIsolation struct {
	Process bool // in a hash worker process (hashworker) rather than inline
	Idle    bool // the worker at SCHED_IDLE
	Nice    int  // the worker's nice value when not Idle
}

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
