package main

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph"
	"github.com/gqlauth/gqlauth/httpapi"
	"github.com/gqlauth/gqlauth/passkey"
	"github.com/gqlauth/gqlauth/telemetry"
)

// setting is one environment variable the server reads. The table drives
// parsing, --help and the README's configuration table alike.
type setting struct {
	env, def, help string
}

var settings = []setting{
	{"ADDR", "", "listen address; default :$PORT when PORT is set, else :8080 when APP_ENV=production, else 127.0.0.1:8080 (this machine only; ADDR=:8080 listens on every interface)"},
	{"PORT", "", "port to listen on, on every interface, when ADDR is unset (as Cloud Run, Heroku and Fly set it)"},
	{"DATABASE_URL", "", "postgres://user@host/db (production) or sqlite:PATH; empty: SQLite at ./data/gqlauth.db"},
	{"DATABASE_URL_FILE", "", "file holding DATABASE_URL (instead of DATABASE_URL), as container platforms mount secrets"},
	{"APP_ENV", "development", "development or production; production requires JWT_SECRET"},
	{"JWT_SECRET", "", "HS256 secret, at least 32 bytes; unset outside production: generated once and kept in the database"},
	{"JWT_SECRET_FILE", "", "file holding the JWT secret (instead of JWT_SECRET)"},
	{"JWT_ALGORITHM", "HS256", "HS256 (shared secret), or EdDSA, ES256 or RS256 (private key in JWT_PRIVATE_KEY_FILE; public keys served at /.well-known/jwks.json)"},
	{"JWT_PRIVATE_KEY_FILE", "", "PKCS#8 PEM private key for EdDSA/ES256/RS256 (`gqlauth keys generate` writes one)"},
	{"JWT_ISSUER", "gqlauth", "iss claim issued and required"},
	{"JWT_AUDIENCE", "gqlauth", "aud claim issued and required"},
	{"JWT_LEEWAY", "30s", "clock skew tolerated on exp, nbf and iat: a token is accepted until exp plus this"},
	{"ACCESS_TOKEN_TTL", "15m", "access token lifetime; accepted for up to this plus JWT_LEEWAY, so it must be longer than JWT_LEEWAY"},
	{"REFRESH_TOKEN_TTL", "720h", "refresh token lifetime (30 days); a session ends after this long unused"},
	{"ROLE_SCOPES", "", "the scope claim of each role's access tokens, for a router's @requiresScopes: ROLE=scope scope;ROLE=scope; default USER=user:read user:write;ADMIN=user:read user:write admin"},
	{"FEDERATION_EDGE_DIRECTIVES", "true", "declare Federation's @authenticated and @requiresScopes in the subgraph SDL (_service { sdl }), for Apollo Router to enforce; false for @apollo/gateway, which refuses supergraphs that use them"},
	{"CLAIMS_TEMPLATE", "", "JSON object of extra access-token claims whose strings are Go templates over the user (.ID, .Email, .Role, .Verified, .Claims; functions lower, upper), e.g. Hasura's {\"https://hasura.io/jwt/claims\": {\"x-hasura-user-id\": \"{{.ID}}\", \"x-hasura-default-role\": \"{{.Role | lower}}\"}}; reserved claims refused"},
	{"CLAIMS_TEMPLATE_FILE", "", "file holding CLAIMS_TEMPLATE (instead of CLAIMS_TEMPLATE)"},
	{"CLAIMS_NAMESPACE", "app_metadata", "the access-token claim holding a user's customClaims (set by setUserClaims); empty: custom claims are not issued"},
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
	{"CORS_ALLOWED_ORIGINS", "", "comma-separated origins (scheme://host[:port]) allowed to call /graphql from a browser, with credentials; *, wildcard patterns and null are refused"},
	{"TRUSTED_PROXIES", "", "comma-separated IPs/CIDRs whose X-Forwarded-For is believed"},
	{"RATE_LIMIT_ACCOUNT", "10", "login/register/changePassword attempts per account per window; 0 disables"},
	{"RATE_LIMIT_IP", "100", "credential attempts (failed refreshes) per client IP per window; 0 disables"},
	{"RATE_LIMIT_IPV6_PREFIX", "64", "an IPv6 client is counted by its network of this many bits (32 to 128): one host usually holds a whole /64"},
	{"RATE_LIMIT_WINDOW", "15m", "rate-limit window; a client over a limit waits for its end"},
	{"HASH_WORKERS", "", "concurrent password hashes; default: one per CPU when HASH_ISOLATION runs them at SCHED_IDLE (idle+nice:N, idle), else CPUs minus one (at least 1), leaving a core for token checks"},
	{"HASH_QUEUE", "", "hashes that may wait for a worker before RATE_LIMITED; default 8 per worker"},
	{"HASH_ISOLATION", "idle+nice:5", "where argon2id runs: idle+nice:N (a child at SCHED_IDLE, which token checks always preempt, and while it is starved by other work a second child N nice steps below the server takes the hashes, so logins never stall), idle (SCHED_IDLE alone: stalls on a busy machine), nice:N (one child N nice steps below, at most 19), process (a child at the server's priority) or off (in the server process)"},
	{"MAX_BODY_BYTES", "1048576", "largest GraphQL request body"},
	{"QUERY_MAX_DEPTH", "12", "deepest selection nesting (introspection has its own bound: the standard query, 15 deep, always passes)"},
	{"QUERY_MAX_ALIASES", "30", "most aliased fields in one operation"},
	{"QUERY_MAX_COMPLEXITY", "500", "gqlgen complexity limit (a credential mutation costs 100)"},
	{"QUERY_MAX_TOKENS", "5000", "parser token limit"},
	{"QUERY_MAX_NODES", "300", "most selections, arguments, values, directives and variables in one document, checked before validation (whose cost grows faster than the document)"},
	{"OPERATION_TIMEOUT", "10s", "longest one GraphQL request may take, parsing and validation included"},
	{"CACHE_ENTRIES", "50000", "users, sessions and tokens each kept in memory for authenticated requests (LRU bound); 0 disables the cache"},
	{"CACHE_RESYNC_INTERVAL", "", "how often the cache re-reads recent changes; default 30s on PostgreSQL (where NOTIFY is the fast path), 1s on SQLite (catches CLI changes)"},
	{"PRUNE_INTERVAL", "10m", "how often expired sessions, revocations, throttles and old audit events are deleted"},
	{"AUDIT_RETENTION", "2160h", "how long audit events are kept (90 days); 0 keeps them forever"},
	{"SMTP_URL", "", "where mail is sent: smtp://user:pass@host:587 (STARTTLS required with credentials), smtps://user:pass@host:465 (implicit TLS), smtp://host:PORT without credentials (a local relay: STARTTLS when offered); unset: each mail is written to the log with its link (development; required when APP_ENV=production)"},
	{"SMTP_URL_FILE", "", "file holding SMTP_URL (instead of SMTP_URL), as it carries the SMTP password"},
	{"MAIL_FROM", "gqlauth <noreply@localhost>", "From address of the mail the server sends"},
	{"APP_URL", "http://localhost:5173", "the frontend's base URL (https required when APP_ENV=production); mailed links are APP_URL/verify-email?token=..., APP_URL/reset-password?token=..., APP_URL/confirm-email-change?token=..."},
	{"VERIFY_TOKEN_TTL", "24h", "lifetime of a mailed email-verification link"},
	{"RESET_TOKEN_TTL", "30m", "lifetime of a mailed password-reset or email-change link"},
	{"REQUIRE_VERIFIED_EMAIL", "false", "true: login (after the password check) and register refuse accounts whose address is not verified, with EMAIL_NOT_VERIFIED"},
	{"MAIL_TEMPLATES_DIR", "", "directory whose NAME.subject, NAME.txt and NAME.html files replace the built-in mail templates (NAME: verify-email, reset-password, confirm-email-change, email-changed)"},
	{"MFA_ENCRYPTION_KEY", "", "key (at least 32 bytes) that TOTP secrets are encrypted with (AES-256-GCM, key derived with HKDF); required when APP_ENV=production; unset otherwise: derived from the JWT signing secret or key"},
	{"MFA_ENCRYPTION_KEY_FILE", "", "file holding MFA_ENCRYPTION_KEY (instead of MFA_ENCRYPTION_KEY)"},
	{"MFA_ENCRYPTION_KEY_PREVIOUS", "", "the MFA_ENCRYPTION_KEY before a rotation (or, outside production, the JWT secret it was derived from): still opens TOTP secrets sealed with it; each is sealed again under the new key at its next code, or all at once by `gqlauth mfa rekey`, after which it can go"},
	{"MFA_ENCRYPTION_KEY_PREVIOUS_FILE", "", "file holding MFA_ENCRYPTION_KEY_PREVIOUS (instead of MFA_ENCRYPTION_KEY_PREVIOUS)"},
	{"TOTP_ISSUER", "gqlauth", "issuer named in authenticator apps (the otpauth URI's issuer)"},
	{"REQUIRE_ADMIN_MFA", "", "every ADMIN field and admin operation requires a login with a second factor (aal2); default true when APP_ENV=production, false otherwise"},
	{"WEBAUTHN_RP_ID", "localhost", "the domain passkeys are bound to: the site's host or a registrable suffix of it (example.com serves app.example.com too); changing it orphans every registered passkey"},
	{"WEBAUTHN_RP_NAME", "gqlauth", "the relying party's name, which some authenticators show"},
	{"WEBAUTHN_ORIGINS", "", "comma-separated origins (https://host[:port]; http only on localhost) of the pages that use passkeys, each on WEBAUTHN_RP_ID; required when APP_ENV=production; default otherwise: http://localhost:PORT (ADDR's port) and APP_URL's origin when it is on WEBAUTHN_RP_ID (neither: passkeys are off)"},
	{"WS_MAX_SOCKETS", "10000", "most websockets (subscriptions) open at once, authenticated or not; more are closed with 4429 TOO_MANY_SOCKETS; 0 serves no websockets"},
	{"WS_MAX_SOCKETS_PER_USER", "16", "most websockets one user may hold open at once; more are closed with 4429 TOO_MANY_SOCKETS"},
	{"WS_KEEPALIVE", "20s", "interval of the server's graphql-transport-ws pings on idle websockets; a client that answers none within twice this is dropped"},
	// Sign-in with OpenID Connect providers (docs/oidc.md): the per-provider
	// rows document a pattern, read for each id in OIDC_PROVIDERS (config_oidc.go).
	{"OIDC_PROVIDERS", "", "comma-separated ids of the OpenID Connect providers users may sign in with (e.g. google,corp: lower-case letters, digits, _); each is configured by the OIDC_<ID>_* settings, <ID> being its id in upper case (see docs/oidc.md)"},
	{"OIDC_REDIRECT_URIS", "", "comma-separated redirect URIs a sign-in may ask the provider to send the browser back to (the frontend's callback, e.g. https://app.example.com/oidc/callback), compared exactly; required with OIDC_PROVIDERS; https when APP_ENV=production unless on localhost"},
	{"OIDC_<ID>_ISSUER", "", "the provider's issuer URL (discovery at ISSUER/.well-known/openid-configuration, fetched at start and retried on use), e.g. https://accounts.google.com; https when APP_ENV=production"},
	{"OIDC_<ID>_CLIENT_ID", "", "the client id registered at the provider"},
	{"OIDC_<ID>_CLIENT_SECRET", "", "the client's secret; empty for a public client (PKCE still protects the code)"},
	{"OIDC_<ID>_CLIENT_SECRET_FILE", "", "file holding OIDC_<ID>_CLIENT_SECRET (instead of it)"},
	{"OIDC_<ID>_SCOPES", "openid email profile", "space-separated scopes asked of the provider; openid is required, and email gives the address an account needs"},
	{"OIDC_<ID>_NAME", "", "the provider's name on \"Sign in with …\" buttons; default: the id, capitalized"},
	{"SHUTDOWN_TIMEOUT", "15s", "how long in-flight requests may finish after SIGTERM"},
	{"METRICS", "true", "serve Prometheus metrics at /metrics"},
	{"METRICS_ADDR", "", "serve /metrics on this address instead of ADDR (e.g. 127.0.0.1:9090)"},
	{"METRICS_OPERATIONS", "", "comma-separated operation names that label the operation metrics as such (at most 100); any other operation is labelled by its root field, so clients cannot make up series"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "base URL of an OpenTelemetry collector's OTLP/HTTP receiver (e.g. http://otel-collector:4318): traces go to its /v1/traces; unset (with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): tracing is off and costs nothing"},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "full URL traces are sent to, used as is (e.g. http://tempo:4318/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT"},
	{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "http/protobuf or http/json (grpc is refused: use the collector's HTTP port, 4318)"},
	{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "", "the same for traces alone; wins over OTEL_EXPORTER_OTLP_PROTOCOL"},
	{"OTEL_EXPORTER_OTLP_HEADERS", "", "headers sent with every export, key=value pairs separated by commas, values percent-encoded (e.g. authorization=Bearer%20KEY for a hosted collector)"},
	{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "", "the same for traces alone; wins over OTEL_EXPORTER_OTLP_HEADERS"},
	{"OTEL_SERVICE_NAME", "gqlauth", "service.name of the traces"},
	{"OTEL_RESOURCE_ATTRIBUTES", "", "more resource attributes of the traces, key=value pairs separated by commas (e.g. deployment.environment.name=prod,service.instance.id=replica-1)"},
	{"OTEL_TRACES_SAMPLER", "parentbased_always_on", "which traces are recorded: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio (parentbased_*: as the caller's traceparent says when it sends one)"},
	{"OTEL_TRACES_SAMPLER_ARG", "", "the share of traces the traceidratio samplers record, from 0 to 1; default 1"},
	{"OTEL_SDK_DISABLED", "false", "true: tracing off even with an endpoint set"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "text", "text or json"},
}

// config is the validated configuration.
type config struct {
	Addr            string
	LocalOnly       bool // Addr is the development default, loopback only
	DatabaseURL     string
	Production      bool
	JWTSecret       []byte
	SigningKey      *auth.SigningKey  // nil: HS256 with JWTSecret
	Claims          *auth.ClaimShaper // scope, CLAIMS_TEMPLATE, custom claims
	EdgeDirectives  bool              // @authenticated, @requiresScopes in _service
	Transport       httpapi.Transport
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
	MetricsOps      []string
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	LogJSON         bool
	Mail            mailConfig
	Tracing         telemetry.Config // off unless an OTLP endpoint is set
	// RequireVerifiedEmail refuses logins of unverified accounts.
	RequireVerifiedEmail bool
	Mfa                  mfaConfig
	WebAuthn             passkey.Config
	Sockets              socketConfig
	Oidc                 oidcConfig
}

// loadConfig reads every setting and reports every problem at once, one
// line each, so that a bad deployment is fixed in one round. Each concern
// reads its own settings; later ones may use what earlier ones decided
// (production mode, the refresh token's lifetime).
func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{}
	r := &envReader{getenv: getenv}
	for _, read := range []func(*envReader, *config){readServer, readTokens, readClaims, readTransport, readEdge, readHashing, readRuntime, readMail, readMfa, readOidc, readTracing, readSockets, readWebAuthn} {
		read(r, c)
	}
	if len(r.problems) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n  %w", joinLines(r.problems))
	}
	return c, nil
}

// readServer reads where the server listens and what it stores in.
func readServer(r *envReader, c *config) {
	c.DatabaseURL = r.fromFile("DATABASE_URL", false)
	switch env := r.get("APP_ENV"); env {
	case "production":
		c.Production = true
	case "development", "test":
	default:
		r.bad("APP_ENV", "must be development or production, not %q", env)
	}
	c.Addr = r.get("ADDR")
	port := r.get("PORT")
	if port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			r.bad("PORT", "must be a port number from 1 to 65535, not %q", port)
		}
	}
	switch {
	case c.Addr != "":
	case port != "":
		// Platforms that set PORT route to the container's own interface.
		c.Addr = ":" + port
	case c.Production:
		c.Addr = ":8080"
	default:
		// A development server with generated secrets and the playground
		// is for this machine; listening on every interface is a choice.
		c.Addr, c.LocalOnly = "127.0.0.1:8080", true
	}
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
