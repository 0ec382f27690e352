package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph"
	"github.com/gqlauth/gqlauth/httpapi"
)

// setting is one environment variable the server reads. The table drives
// parsing, --help and the README's configuration table alike.
type setting struct {
	env, def, help string
}

var settings = []setting{
	{"ADDR", ":8080", "listen address"},
	{"DATABASE_URL", "", "postgres://user@host/db (production) or sqlite:PATH; empty: SQLite at ./data/gqlauth.db"},
	{"APP_ENV", "development", "development or production; production requires JWT_SECRET"},
	{"JWT_SECRET", "", "HS256 secret, at least 32 bytes; unset outside production: generated once and kept in the database"},
	{"JWT_SECRET_FILE", "", "file holding the JWT secret (instead of JWT_SECRET)"},
	{"JWT_ALGORITHM", "HS256", "HS256 (shared secret), or EdDSA, ES256 or RS256 (private key in JWT_PRIVATE_KEY_FILE; public keys served at /.well-known/jwks.json)"},
	{"JWT_PRIVATE_KEY_FILE", "", "PKCS#8 PEM private key for EdDSA/ES256/RS256 (`gqlauth keys generate` writes one)"},
	{"JWT_ISSUER", "gqlauth", "iss claim issued and required"},
	{"JWT_AUDIENCE", "gqlauth", "aud claim issued and required"},
	{"JWT_LEEWAY", "30s", "clock skew tolerated on exp, nbf and iat"},
	{"ACCESS_TOKEN_TTL", "15m", "access token lifetime"},
	{"REFRESH_TOKEN_TTL", "720h", "refresh token lifetime (30 days); a session ends after this long unused"},
	{"REFRESH_REUSE_GRACE", "10s", "how long a consumed refresh token may be retried before reuse ends the session; 0 disables"},
	{"ARGON2_MEMORY_KIB", "19456", "argon2id memory per hash in KiB (OWASP: 19 MiB)"},
	{"ARGON2_TIME", "2", "argon2id iterations"},
	{"ARGON2_THREADS", "1", "argon2id parallelism"},
	{"TOKEN_LOCATION", "headers", "where clients carry tokens: headers (Authorization: Bearer), cookies (HttpOnly, with CSRF double submit) or headers,cookies"},
	{"COOKIE_SECURE", "true", "mark token cookies Secure (HTTPS only); false for local development over plain HTTP"},
	{"COOKIE_SAMESITE", "Lax", "SameSite of the token cookies: Lax, Strict or None (None requires COOKIE_SECURE)"},
	{"COOKIE_DOMAIN", "", "Domain of the token cookies; empty: this host only"},
	{"COOKIE_PATH", "/", "Path of the token cookies"},
	{"ACCESS_COOKIE_NAME", "gqlauth_access", "HttpOnly cookie holding the access token"},
	{"REFRESH_COOKIE_NAME", "gqlauth_refresh", "HttpOnly cookie holding the refresh token"},
	{"CSRF_COOKIE_NAME", "gqlauth_csrf", "readable cookie whose value cookie-authenticated requests send in X-CSRF-Token"},
	{"PLAYGROUND", "", "serve the GraphiQL playground at /; default true, false when APP_ENV=production"},
	{"INTROSPECTION", "", "allow schema introspection; default true, false when APP_ENV=production"},
	{"SUGGESTIONS", "", "\"did you mean\" hints in validation errors; default true, false when APP_ENV=production"},
	{"CORS_ALLOWED_ORIGINS", "", "comma-separated origins allowed to call /graphql from a browser, with credentials"},
	{"TRUSTED_PROXIES", "", "comma-separated IPs/CIDRs whose X-Forwarded-For is believed"},
	{"RATE_LIMIT_ACCOUNT", "10", "login/register/changePassword attempts per account per window; 0 disables"},
	{"RATE_LIMIT_IP", "100", "credential attempts (failed refreshes) per client IP per window; 0 disables"},
	{"RATE_LIMIT_WINDOW", "15m", "rate-limit window; a client over a limit waits for its end"},
	{"HASH_WORKERS", "", "concurrent password hashes; default: CPUs minus one (at least 1), leaving a core for token checks"},
	{"HASH_QUEUE", "", "hashes that may wait for a worker before RATE_LIMITED; default 8 per worker"},
	{"HASH_ISOLATION", "nice:5", "where argon2id runs: nice:N (a child process N nice steps below the server, at most 19: token checks go first, hashing keeps a share of a busy CPU), idle (a child at SCHED_IDLE: hashing only gets CPU no one else wants, and stalls on a busy machine), process (a child at the server's priority) or off (in the server process)"},
	{"MAX_BODY_BYTES", "1048576", "largest GraphQL request body"},
	{"QUERY_MAX_DEPTH", "15", "deepest selection nesting (GraphiQL's introspection query is 13 deep)"},
	{"QUERY_MAX_ALIASES", "30", "most aliased fields in one operation"},
	{"QUERY_MAX_COMPLEXITY", "500", "gqlgen complexity limit (a credential mutation costs 100)"},
	{"QUERY_MAX_TOKENS", "5000", "parser token limit"},
	{"QUERY_MAX_NODES", "300", "most selections, arguments, values, directives and variables in one document, checked before validation (whose cost grows faster than the document)"},
	{"OPERATION_TIMEOUT", "10s", "longest one GraphQL request may take, parsing and validation included"},
	{"CACHE_ENTRIES", "50000", "users, sessions and tokens each kept in memory for authenticated requests (LRU bound); 0 disables the cache"},
	{"CACHE_RESYNC_INTERVAL", "", "how often the cache re-reads recent changes; default 30s on PostgreSQL (where NOTIFY is the fast path), 1s on SQLite (catches CLI changes)"},
	{"PRUNE_INTERVAL", "10m", "how often expired sessions, revocations, throttles and old audit events are deleted"},
	{"AUDIT_RETENTION", "2160h", "how long audit events are kept (90 days); 0 keeps them forever"},
	{"SHUTDOWN_TIMEOUT", "15s", "how long in-flight requests may finish after SIGTERM"},
	{"METRICS", "true", "serve Prometheus metrics at /metrics"},
	{"METRICS_ADDR", "", "serve /metrics on this address instead of ADDR (e.g. 127.0.0.1:9090)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "text", "text or json"},
}

// config is the validated configuration.
type config struct {
	Addr            string
	DatabaseURL     string
	Production      bool
	JWTSecret       []byte
	SigningKey      *auth.SigningKey // nil: HS256 with JWTSecret
	Transport       auth.Transport
	Issuer          string
	Audience        string
	Leeway          time.Duration
	AccessTTL       time.Duration
	RefreshTTL      time.Duration
	ReuseGrace      time.Duration
	Argon2          auth.Argon2Params
	Playground      bool
	Introspection   bool
	Suggestions     bool
	CORSOrigins     []string
	TrustedProxies  httpapi.TrustedProxies
	RateLimits      auth.RateLimits
	HashWorkers     int
	HashQueue       int
	HashIsolation   hashIsolation
	MaxBodyBytes    int64
	Limits          graph.Limits
	OpTimeout       time.Duration
	PruneInterval   time.Duration
	CacheEntries    int
	CacheResync     time.Duration // 0: the store's default
	AuditRetention  time.Duration
	Metrics         bool
	MetricsAddr     string
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	LogJSON         bool
}

// loadConfig reads every setting and reports every problem at once, one
// line each, so that a bad deployment is fixed in one round.
func loadConfig(getenv func(string) string) (*config, error) {
	get := func(env string) string {
		if v := strings.TrimSpace(getenv(env)); v != "" {
			return v
		}
		for _, s := range settings {
			if s.env == env {
				return s.def
			}
		}
		return ""
	}
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{env}, args...)...))
	}
	dur := func(env string, min time.Duration) time.Duration {
		d, err := time.ParseDuration(get(env))
		if err != nil {
			bad(env, "not a duration (e.g. 15m, 720h): %q", get(env))
		} else if d < min {
			bad(env, "must be at least %s", min)
		}
		return d
	}
	boolean := func(env string, def bool) bool {
		v := get(env)
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(env, "not a boolean: %q", v)
		}
		return b
	}
	uint32v := func(env string, min uint64) uint32 {
		n, err := strconv.ParseUint(get(env), 10, 32)
		if err != nil || n < min {
			bad(env, "must be a whole number of at least %d", min)
		}
		return uint32(n)
	}

	c := &config{Addr: get("ADDR"), DatabaseURL: get("DATABASE_URL"), Issuer: get("JWT_ISSUER"), Audience: get("JWT_AUDIENCE")}
	switch env := get("APP_ENV"); env {
	case "production":
		c.Production = true
	case "development", "test":
	default:
		bad("APP_ENV", "must be development or production, not %q", env)
	}
	c.JWTSecret = []byte(getenv("JWT_SECRET")) // not trimmed: every byte counts
	if f := get("JWT_SECRET_FILE"); f != "" {
		if len(c.JWTSecret) > 0 {
			bad("JWT_SECRET_FILE", "set either JWT_SECRET or JWT_SECRET_FILE, not both")
		}
		b, err := os.ReadFile(f)
		if err != nil {
			bad("JWT_SECRET_FILE", "cannot read the file: %v", errors.Unwrap(err))
		}
		c.JWTSecret = []byte(strings.TrimRight(string(b), "\r\n"))
	}
	if len(c.JWTSecret) > 0 && len(c.JWTSecret) < auth.MinSecretLen {
		bad("JWT_SECRET", "must be at least %d bytes, got %d (generate one with: openssl rand -base64 48)", auth.MinSecretLen, len(c.JWTSecret))
	}
	switch alg := get("JWT_ALGORITHM"); alg {
	case auth.AlgHS256:
		if get("JWT_PRIVATE_KEY_FILE") != "" {
			bad("JWT_PRIVATE_KEY_FILE", "is for EdDSA, ES256 or RS256; JWT_ALGORITHM is HS256")
		}
	case auth.AlgEdDSA, auth.AlgES256, auth.AlgRS256:
		f := get("JWT_PRIVATE_KEY_FILE")
		if f == "" {
			bad("JWT_PRIVATE_KEY_FILE", "required with JWT_ALGORITHM=%s (write one with: gqlauth keys generate --algorithm %s --out key.pem)", alg, alg)
			break
		}
		b, err := os.ReadFile(f)
		if err != nil {
			bad("JWT_PRIVATE_KEY_FILE", "cannot read the file: %v", errors.Unwrap(err))
			break
		}
		if c.SigningKey, err = auth.ParsePrivateKey(alg, b); err != nil {
			bad("JWT_PRIVATE_KEY_FILE", "%v", err)
		}
	default:
		bad("JWT_ALGORITHM", "must be one of %s, not %q", strings.Join(auth.Algorithms, ", "), alg)
	}
	if len(c.JWTSecret) == 0 && c.Production && get("JWT_ALGORITHM") == auth.AlgHS256 {
		bad("JWT_SECRET", "required when APP_ENV=production: a generated secret kept in the database is for development only (generate one with: openssl rand -base64 48)")
	}
	if c.Issuer == "" {
		bad("JWT_ISSUER", "must not be empty")
	}
	if c.Audience == "" {
		bad("JWT_AUDIENCE", "must not be empty")
	}
	c.Leeway = dur("JWT_LEEWAY", 0)
	c.AccessTTL = dur("ACCESS_TOKEN_TTL", time.Second)
	c.RefreshTTL = dur("REFRESH_TOKEN_TTL", time.Second)
	if c.RefreshTTL > 0 && c.AccessTTL > c.RefreshTTL {
		bad("ACCESS_TOKEN_TTL", "must not exceed REFRESH_TOKEN_TTL")
	}
	c.ReuseGrace = dur("REFRESH_REUSE_GRACE", 0)
	if c.ReuseGrace == 0 {
		c.ReuseGrace = -1 // the service reads 0 as "default"; 0 here means off
	}
	c.Argon2 = auth.DefaultArgon2Params
	c.Argon2.Memory = uint32v("ARGON2_MEMORY_KIB", 64)
	c.Argon2.Time = uint32v("ARGON2_TIME", 1)
	threads := uint32v("ARGON2_THREADS", 1)
	if threads > 255 {
		bad("ARGON2_THREADS", "must be at most 255")
	}
	c.Argon2.Threads = uint8(threads)
	c.Transport = transportConfig(get, boolean, bad)
	c.Transport.Cookie.MaxAge = c.RefreshTTL
	c.Playground = boolean("PLAYGROUND", !c.Production)
	c.Introspection = boolean("INTROSPECTION", !c.Production)
	c.Suggestions = boolean("SUGGESTIONS", !c.Production)
	for _, o := range strings.Split(get("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "*" {
			bad("CORS_ALLOWED_ORIGINS", "\"*\" is not allowed: list the origins (credentials are allowed for them)")
		} else if o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	var err error
	if c.TrustedProxies, err = httpapi.ParseTrustedProxies(get("TRUSTED_PROXIES")); err != nil {
		bad("TRUSTED_PROXIES", "%v", err)
	}
	c.RateLimits.PerAccount = int(uint32v("RATE_LIMIT_ACCOUNT", 0))
	c.RateLimits.PerIP = int(uint32v("RATE_LIMIT_IP", 0))
	c.RateLimits.Window = dur("RATE_LIMIT_WINDOW", time.Second)
	c.HashWorkers = auth.DefaultHashWorkers()
	if get("HASH_WORKERS") != "" {
		c.HashWorkers = int(uint32v("HASH_WORKERS", 1))
	}
	c.HashQueue = 8 * c.HashWorkers
	if get("HASH_QUEUE") != "" {
		c.HashQueue = int(uint32v("HASH_QUEUE", 0))
	}
	if c.HashIsolation, err = parseHashIsolation(get("HASH_ISOLATION")); err != nil {
		bad("HASH_ISOLATION", "%v", err)
	}
	c.MaxBodyBytes = int64(uint32v("MAX_BODY_BYTES", 1024))
	c.Limits = graph.Limits{
		MaxDepth:      int(uint32v("QUERY_MAX_DEPTH", 2)),
		MaxAliases:    int(uint32v("QUERY_MAX_ALIASES", 0)),
		MaxComplexity: int(uint32v("QUERY_MAX_COMPLEXITY", 100)),
		MaxTokens:     int(uint32v("QUERY_MAX_TOKENS", 100)),
		MaxNodes:      int(uint32v("QUERY_MAX_NODES", 50)),
	}
	c.OpTimeout = dur("OPERATION_TIMEOUT", 100*time.Millisecond)
	c.PruneInterval = dur("PRUNE_INTERVAL", time.Second)
	c.CacheEntries = int(uint32v("CACHE_ENTRIES", 0))
	if get("CACHE_RESYNC_INTERVAL") != "" {
		c.CacheResync = dur("CACHE_RESYNC_INTERVAL", 100*time.Millisecond)
	}
	c.AuditRetention = dur("AUDIT_RETENTION", 0)
	c.Metrics = boolean("METRICS", true)
	c.MetricsAddr = get("METRICS_ADDR")
	c.ShutdownTimeout = dur("SHUTDOWN_TIMEOUT", 0)
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	switch f := get("LOG_FORMAT"); f {
	case "json":
		c.LogJSON = true
	case "text":
	default:
		bad("LOG_FORMAT", "must be text or json, not %q", f)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n  %w", joinLines(errs))
	}
	return c, nil
}

// transportConfig reads TOKEN_LOCATION and the cookie settings.
func transportConfig(get func(string) string, boolean func(string, bool) bool, bad func(string, string, ...any)) auth.Transport {
	t := auth.Transport{Cookie: auth.DefaultCookieConfig()}
	for _, loc := range strings.Split(get("TOKEN_LOCATION"), ",") {
		switch strings.TrimSpace(loc) {
		case "headers":
			t.Headers = true
		case "cookies":
			t.Cookies = true
		default:
			bad("TOKEN_LOCATION", "must be headers, cookies or headers,cookies, not %q", get("TOKEN_LOCATION"))
		}
	}
	c := &t.Cookie
	c.Secure = boolean("COOKIE_SECURE", true)
	switch v := strings.ToLower(get("COOKIE_SAMESITE")); v {
	case "lax":
		c.SameSite = http.SameSiteLaxMode
	case "strict":
		c.SameSite = http.SameSiteStrictMode
	case "none":
		c.SameSite = http.SameSiteNoneMode
		if !c.Secure {
			bad("COOKIE_SAMESITE", "None requires COOKIE_SECURE=true (browsers drop insecure SameSite=None cookies)")
		}
	default:
		bad("COOKIE_SAMESITE", "must be Lax, Strict or None, not %q", v)
	}
	c.Domain, c.Path = get("COOKIE_DOMAIN"), get("COOKIE_PATH")
	c.AccessName, c.RefreshName, c.CSRFName = get("ACCESS_COOKIE_NAME"), get("REFRESH_COOKIE_NAME"), get("CSRF_COOKIE_NAME")
	names := map[string]bool{}
	for _, env := range []string{"ACCESS_COOKIE_NAME", "REFRESH_COOKIE_NAME", "CSRF_COOKIE_NAME"} {
		n := get(env)
		if !validCookieName(n) {
			bad(env, "not a valid cookie name: %q", n)
		}
		if names[n] {
			bad(env, "must differ from the other cookie names")
		}
		names[n] = true
	}
	return t
}

// validCookieName accepts an RFC 6265 token.
func validCookieName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}

func joinLines(errs []error) error {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return errors.New(strings.Join(lines, "\n  "))
}

// printSettings writes the settings table for --help.
func printSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tDEFAULT\tMEANING")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.env, def, s.help)
	}
	tw.Flush()
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
