package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// envReader reads settings from the environment, falling back to their
// defaults in the settings table, and collects every problem it meets
// instead of stopping at the first.
type envReader struct {
	getenv   func(string) string
	problems []error
}

// get is the trimmed value of env, or its default.
func (r *envReader) get(env string) string {
	if v := strings.TrimSpace(r.getenv(env)); v != "" {
		return v
	}
	for _, s := range settings {
		if s.env == env {
			return s.def
		}
	}
	return ""
}

// fromFile reads env, or the file named by env_FILE instead, as container
// platforms (Docker and Kubernetes secrets, systemd credentials) mount
// secrets; setting both is a problem. raw keeps the environment value
// untrimmed (every byte of a secret counts); a file's trailing newline is
// never part of the value.
func (r *envReader) fromFile(env string, raw bool) string {
	v := r.get(env)
	if raw {
		v = r.getenv(env)
	}
	f := r.get(env + "_FILE")
	if f == "" {
		return v
	}
	if v != "" {
		r.bad(env+"_FILE", "set either %s or %s_FILE, not both", env, env)
	}
	b, err := os.ReadFile(f)
	if err != nil {
		r.bad(env+"_FILE", "cannot read the file: %v", errors.Unwrap(err))
		return ""
	}
	return strings.TrimRight(string(b), "\r\n")
}

// bad records a problem with env.
func (r *envReader) bad(env, format string, args ...any) {
	r.problems = append(r.problems, fmt.Errorf("%s: "+format, append([]any{env}, args...)...))
}

// duration reads a Go duration of at least min.
func (r *envReader) duration(env string, min time.Duration) time.Duration {
	d, err := time.ParseDuration(r.get(env))
	if err != nil {
		r.bad(env, "not a duration (e.g. 15m, 720h): %q", r.get(env))
	} else if d < min {
		r.bad(env, "must be at least %s", min)
	}
	return d
}

// boolean reads a boolean; def when unset without a default.
func (r *envReader) boolean(env string, def bool) bool {
	v := r.get(env)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.bad(env, "not a boolean: %q", v)
	}
	return b
}

// uint32 reads a whole number of at least min.
func (r *envReader) uint32(env string, min uint64) uint32 {
	n, err := strconv.ParseUint(r.get(env), 10, 32)
	if err != nil || n < min {
		r.bad(env, "must be a whole number of at least %d", min)
	}
	return uint32(n)
}

func joinLines(errs []error) error {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return errors.New(strings.Join(lines, "\n  "))
}
