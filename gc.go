package main

import (
	"log/slog"
	"runtime/debug"
)

// tuneGC sets the collector for a password server's allocation pattern
// unless the operator chose (GOGC or GOMEMLIMIT in the environment). With
// HASH_ISOLATION=off every argon2id hash allocates its whole memory cost
// (19 MiB by default) in this process and drops it, so with Go's default
// GOGC=100 a login triggers about one collection, and the collections' CPU
// and assists land on the requests that only check a token. A higher GOGC
// collects far less often; a soft memory limit, sized from the hashing
// pool, keeps the process's memory bounded all the same. With a hash worker the heap holds only requests and caches,
// and the higher GOGC still trades a little memory for fewer collections.
func tuneGC(getenv func(string) string, cfg *config, log *slog.Logger) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		// The hashing term is kept with a hash worker too: it is headroom
		// the caches (CACHE_ENTRIES of each kind) can grow into without the
		// collector running ever more often near the limit.
		hashing := int64(cfg.HashWorkers) * int64(cfg.Argon2.Memory) << 10
		limit := 64<<20 + 2*hashing
		debug.SetMemoryLimit(limit)
		log.Debug("garbage collector tuned", "gogc", 400, "memory_limit_mib", limit>>20)
	}
}
