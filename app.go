package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/cache"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/graph"
	"github.com/gqlauth/gqlauth/hashworker"
	"github.com/gqlauth/gqlauth/httpapi"
	"github.com/gqlauth/gqlauth/idp"
	"github.com/gqlauth/gqlauth/mailer"
	"github.com/gqlauth/gqlauth/metrics"
	"github.com/gqlauth/gqlauth/telemetry"
	"github.com/gqlauth/gqlauth/tracing"
)

// app is the wired server: the store, the use cases, the hash worker and
// the HTTP handler. Only `serve` opens one; the CLI opens an operator.
type app struct {
	cfg     *config
	log     *slog.Logger
	store   *db.Store
	svc     *auth.Service
	handler http.Handler
	metrics *metrics.Metrics
	cache   *cache.Store // nil when CACHE_ENTRIES=0
	mailer  *mailer.Sender
	idps    *idp.Providers     // nil when no provider is configured
	tracing *telemetry.Tracing // nil unless OTEL_EXPORTER_OTLP_ENDPOINT is set

	hashWorker hashWorkers // nil when HASH_ISOLATION=off
}

// hashWorkers are the password hash worker processes: one, or an idle one
// with a niced fallback.
type hashWorkers interface {
	auth.KeyDeriver
	PID() int
	Restarts() int64
	Close() error
}

// openStore opens the database and applies the migrations.
func openStore(ctx context.Context, cfg *config) (*db.Store, error) {
	store, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return store, nil
}

// openApp opens the store and wires everything the server runs.
func openApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: store}
	if err := a.init(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) init(ctx context.Context) error {
	logEmailReport(a.log, a.store.EmailMigrationReport())
	cfg := a.cfg
	tokens, err := newTokens(ctx, cfg, a.log, a.store)
	if err != nil {
		return err
	}
	if a.tracing, err = telemetry.Start(ctx, cfg.Tracing, a.log); err != nil {
		return err
	}
	var kdf auth.KeyDeriver
	if cfg.HashIsolation.Process {
		if a.hashWorker, err = startHashWorkers(cfg, a.log); err != nil {
			return fmt.Errorf("HASH_ISOLATION: %w", err)
		}
		kdf = a.hashWorker
	}
	if a.tracing != nil {
		if kdf == nil {
			kdf = auth.InProcessKDF
		}
		kdf = tracing.TraceKeyDeriver(kdf)
	}
	hasher, err := auth.NewHasher(cfg.Argon2, cfg.HashWorkers, cfg.HashQueue, kdf)
	if err != nil {
		return err
	}
	// The dummy hash that unknown emails are checked against is computed
	// now, so that the first such login takes no longer than any other.
	if err := hasher.Warm(ctx); err != nil {
		return err
	}
	a.metrics = metrics.New(a.store.DB().DB, hasher.QueueLength)
	build := readBuildInfo()
	a.metrics.BuildInfo(build.Version, build.GoVersion, build.RevisionLabel())
	hasher.ObserveWait(a.metrics.HashWait)
	if a.hashWorker != nil {
		a.metrics.ObserveHashWorker(a.hashWorker.Restarts)
	}
	sealer, err := tokens.Sealer("mail outbox")
	if err != nil {
		return err
	}
	if err := a.initMailer(sealer); err != nil {
		return err
	}
	var store auth.Store = a.store
	if cfg.CacheEntries > 0 {
		// On PostgreSQL the cache is bypassed until the change listener
		// (started by serve) hears changes; on SQLite this process makes
		// every change through the cache but the CLI's, which resync finds.
		a.cache = cache.New(a.store, cache.Options{Entries: cfg.CacheEntries, Live: a.store.Dialect() != db.Postgres,
			OnChange: a.socketChange})
		a.metrics.ObserveCache(func() metrics.CacheStats {
			st := a.cache.CacheStats()
			return metrics.CacheStats{Hits: st.Hits, Misses: st.Misses, Evictions: st.Evictions,
				Users: st.Users, Sessions: st.Sessions, Tokens: st.Tokens, Capacity: cfg.CacheEntries, Live: st.Live}
		})
		store = a.cache
	}
	opts := serviceOptions(cfg, a.log)
	opts.Links.Sealer = sealer
	if opts.MFA, err = mfaOptions(ctx, cfg, a.store); err != nil {
		return err
	}
	if opts.Passkeys.RP, err = relyingParty(cfg, a.log); err != nil {
		return err
	}
	opts.OnEvent = func(t auth.EventType) { a.metrics.SecurityEvent(string(t)) }
	opts.OIDC, a.idps = oidcOptions(cfg, a.log)
	a.svc = auth.NewService(store, tokens, hasher, opts)
	a.metrics.ObserveSockets(a.svc.Sockets.Open)

	gql := httpapi.Middleware(tokens, httpapi.MiddlewareOptions{ClientIP: cfg.TrustedProxies.ClientIP, Transport: cfg.Transport})(graph.NewHandler(a.svc, graph.HandlerOptions{
		Introspection: cfg.Introspection, Suggestions: cfg.Suggestions,
		Limits: cfg.Limits, Timeout: cfg.OpTimeout, Logger: a.log,
		Observe: a.metrics.Operation, OperationNames: cfg.MetricsOps, OnAuthCheck: a.metrics.AuthCheck,
		Sockets:            a.socketOptions(tokens),
		HideEdgeDirectives: !cfg.EdgeDirectives,
	}))
	var metricsHandler http.Handler
	if cfg.Metrics && cfg.MetricsAddr == "" {
		metricsHandler = a.metrics.Handler()
	}
	var pg http.Handler
	if cfg.Playground {
		if pg, err = httpapi.Playground(httpapi.PlaygroundOptions{Title: "gqlauth", Endpoint: "/graphql", Transport: cfg.Transport}); err != nil {
			return err
		}
	}
	a.handler = httpapi.NewHandler(httpapi.Routes{
		GraphQL: gql, Playground: pg, Ready: a.ready, Logger: a.log,
		MaxBodyBytes: cfg.MaxBodyBytes, CORSOrigins: cfg.CORSOrigins, Metrics: metricsHandler,
		JWKS: tokens.PublicKeys, Tracing: a.tracing.Provider(),
	})
	return nil
}

// startHashWorkers starts the hash worker process(es) for HASH_ISOLATION:
// with idle+nice:N, an idle worker and a niced one that takes the hashes
// while the idle one is starved (see hashworker.Tiered).
func startHashWorkers(cfg *config, log *slog.Logger) (hashWorkers, error) {
	iso := cfg.HashIsolation
	if iso.Idle && iso.Nice > 0 {
		return hashworker.StartTiered(hashworker.Options{Log: log}, hashworker.Options{Nice: iso.Nice, Log: log}, cfg.HashWorkers, 0)
	}
	return hashworker.Start(hashworker.Options{Idle: iso.Idle, Nice: iso.Nice, Log: log})
}

// serviceOptions are the use cases' settings from the configuration.
func serviceOptions(cfg *config, log *slog.Logger) auth.ServiceOptions {
	return auth.ServiceOptions{
		ReuseGrace: cfg.ReuseGrace, RateLimits: cfg.RateLimits, AuditRetention: cfg.AuditRetention,
		Logger: log, BindCSRF: cfg.Transport.Cookies, SocketLimits: cfg.Sockets.Limits,
		Links:                auth.LinkOptions{AppURL: cfg.Mail.AppURL, VerifyTTL: cfg.Mail.VerifyTTL, ResetTTL: cfg.Mail.ResetTTL},
		RequireVerifiedEmail: cfg.RequireVerifiedEmail,
	}
}

// newTokens builds the token issuer and verifier from the configured key,
// or from the HS256 secret (see jwtSecret).
func newTokens(ctx context.Context, cfg *config, log *slog.Logger, store *db.Store) (*auth.Tokens, error) {
	key := cfg.SigningKey
	if key == nil {
		secret, err := jwtSecret(ctx, cfg, log, store)
		if err != nil {
			return nil, err
		}
		if key, err = auth.NewHMACKey(secret); err != nil {
			return nil, err
		}
	}
	return auth.NewTokens(auth.TokenConfig{
		Key: key, Issuer: cfg.Issuer, Audience: cfg.Audience,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, Leeway: cfg.Leeway,
		Shaper: shaper(cfg),
	}, nil)
}

// shaper is the configured claim shaping, with REQUIRE_ADMIN_MFA's say on
// the admin scope.
func shaper(cfg *config) *auth.ClaimShaper {
	if cfg.Claims == nil {
		return nil
	}
	s := *cfg.Claims
	s.AdminNeedsAAL2 = cfg.Mfa.RequireAdmin
	return &s
}

// jwtSecret returns the configured secret or, outside production, one
// generated on first start and kept in the store so restarts keep tokens
// valid.
func jwtSecret(ctx context.Context, cfg *config, log *slog.Logger, store *db.Store) ([]byte, error) {
	if len(cfg.JWTSecret) > 0 {
		return cfg.JWTSecret, nil
	}
	if cfg.Production {
		return nil, errors.New("JWT_SECRET is required when APP_ENV=production")
	}
	s, err := store.Setting(ctx, "jwt_secret", func() (string, error) {
		b := make([]byte, 48)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return base64.RawStdEncoding.EncodeToString(b), nil
	})
	if err != nil {
		return nil, fmt.Errorf("load generated JWT secret: %w", err)
	}
	log.Warn("JWT_SECRET is not set: using a generated secret kept in the database; set JWT_SECRET in production")
	return []byte(s), nil
}

func (a *app) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return err
	}
	pending, err := a.store.MigrationsPending(ctx)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("migrations pending")
	}
	return nil
}

// serve answers HTTP on ln until ctx ends, then drains in-flight requests
// for up to the shutdown timeout.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if err := a.startKeys(ctx); err != nil {
		return err
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go a.svc.Pruner.Run(bgCtx, a.cfg.PruneInterval)
	if a.cache != nil {
		go a.store.Listen(bgCtx, a.log, a.cache.Apply, a.changesLive)
		go a.cache.RunResync(bgCtx, a.resyncInterval(), a.log)
	}
	if a.svc.Tokens.SigningKey().Public() {
		go a.svc.Keys.Run(bgCtx, keyRefreshInterval)
	}
	go a.mailer.Run(bgCtx)
	go a.watchChanges(bgCtx)
	if a.idps != nil {
		go a.idps.Warm(bgCtx)
	}

	errc := make(chan error, 2)
	if a.cfg.Metrics && a.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: a.metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
		defer msrv.Close()
		go func() {
			if err := msrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		a.log.Info("metrics listening", "addr", mln.Addr().String())
	}
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	// Shutdown does not wait for websockets (hijacked connections): they
	// are told to reconnect elsewhere, and waited for, meanwhile.
	drained := make(chan struct{})
	go func() { a.svc.Sockets.Drain(sctx); close(drained) }()
	err := srv.Shutdown(sctx)
	<-drained
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// resyncInterval is CACHE_RESYNC_INTERVAL or the store's default: on
// PostgreSQL NOTIFY carries changes at once and resync only repairs; on
// SQLite resync is how another process's changes (the CLI's) arrive.
func (a *app) resyncInterval() time.Duration {
	switch {
	case a.cfg.CacheResync > 0:
		return a.cfg.CacheResync
	case a.store.Dialect() == db.Postgres:
		return 30 * time.Second
	}
	return time.Second
}

// keyRefreshInterval is how often a server re-reads the accepted public
// keys: how soon a retired key leaves the JWKS, and a key another replica
// started signing with enters it.
const keyRefreshInterval = time.Minute

// startKeys publishes an asymmetric signing key for every replica (and the
// JWKS) and loads the keys of other replicas and earlier rotations.
func (a *app) startKeys(ctx context.Context) error {
	tokens := a.svc.Tokens
	if !tokens.SigningKey().Public() {
		return nil
	}
	if err := a.svc.Keys.Publish(ctx); err != nil {
		return err
	}
	if err := tokens.SetKeySource(ctx, a.svc.Keys.Accepted); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	a.log.Info("signing tokens", "alg", tokens.Algorithm(), "kid", tokens.KeyID(), "accepted_keys", len(tokens.PublicKeys()))
	return nil
}

// traceFlushTimeout bounds the export of the last spans at shutdown, so
// that a collector that is down delays a stop by this much at most.
const traceFlushTimeout = 5 * time.Second

func (a *app) close() error {
	if a.tracing != nil {
		// The spans of the last requests are still batched: send them.
		ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
		if err := a.tracing.Shutdown(ctx); err != nil {
			a.log.Warn("trace export at shutdown failed", "err", err)
		}
		cancel()
	}
	if a.hashWorker != nil {
		a.hashWorker.Close()
	}
	return a.store.Close()
}
