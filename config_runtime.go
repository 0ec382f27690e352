package main

import (
	"regexp"
	"slices"
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
	var err error
	if c.HashIsolation, err = parseHashIsolation(r.get("HASH_ISOLATION")); err != nil {
		r.bad("HASH_ISOLATION", "%v", err)
	}
	c.HashWorkers = auth.DefaultHashWorkers(c.HashIsolation.Preemptible())
	if r.get("HASH_WORKERS") != "" {
		c.HashWorkers = int(r.uint32("HASH_WORKERS", 1))
	}
	c.HashQueue = 8 * c.HashWorkers
	if r.get("HASH_QUEUE") != "" {
		c.HashQueue = int(r.uint32("HASH_QUEUE", 0))
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
	c.MetricsOps = readOperationNames(r, "METRICS_OPERATIONS")
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

// maxMetricsOperations keeps the listed names, with the schema's root
// fields, under the metrics' own bound (metrics.MaxOperationLabels).
const maxMetricsOperations = 100

// graphQLName is the syntax of a GraphQL name, which an operation name is.
var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// readOperationNames reads a comma-separated list of operation names.
func readOperationNames(r *envReader, env string) []string {
	var names []string
	for _, n := range strings.Split(r.get(env), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !graphQLName.MatchString(n) {
			r.bad(env, "not a GraphQL operation name: %q", n)
			continue
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) > maxMetricsOperations {
		r.bad(env, "at most %d names, not %d", maxMetricsOperations, len(names))
	}
	return names
}
