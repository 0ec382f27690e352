package auth

import (
	"log/slog"
	"time"
)

// Service wires gqlauth's use cases, one small type each. Resolvers and
// the CLI call them; they own every rule about accounts, sessions and
// tokens. A new feature adds a type here, not methods on a big one.
type Service struct {
	Guard    *Guard
	Accounts *Accounts
	Sessions *Sessions
	Admin    *Admin
	// The email lifecycle: verify an address, reset a forgotten
	// password, change the address.
	Verification *Verification
	Recovery     *Recovery
	EmailChange  *EmailChange
	Throttle     *Throttle
	Keys         *Keyring
	Pruner       *Pruner
	Tokens       *Tokens
	Mfa          *Mfa
	Passkeys     *Passkeys
	Sockets      *Sockets
	// Sign-in with OpenID Connect providers.
	Oidc *Oidc
}

// Store is the persistence of all the use cases together: each declares
// beside itself the part it uses. The db package implements it for
// PostgreSQL and SQLite. Every use case that changes more than one row
// does so inside Tx, so the use case decides what is atomic and the store
// only says how.
type Store interface {
	accountStore
	sessionStore
	adminStore
	tokenStateStore
	throttleStore
	keyStore
	pruneStore
	auditStore
	socketStore
	linkStore
	mfaStore
	passkeyStore
	oidcStore
}

// ServiceOptions are the Service's tunables; zero values take defaults.
type ServiceOptions struct {
	ReuseGrace time.Duration // negative disables the grace window
	RateLimits RateLimits    // the zero value disables throttling
	// AuditRetention is how long audit events are kept; 0 keeps them forever.
	AuditRetention time.Duration
	// OnEvent, if set, hears of every audited event (for metrics).
	OnEvent func(EventType)
	// BindCSRF binds a double-submit value to every token pair, for
	// clients that receive their tokens in cookies.
	BindCSRF bool
	// SocketLimits cap the live sockets (subscriptions); zero fields take
	// DefaultSocketLimits.
	SocketLimits SocketLimits
	// Links configure mailed links (base URL, lifetimes, sealing).
	Links LinkOptions
	// RequireVerifiedEmail makes login (and register) refuse accounts
	// whose address is not verified, with EMAIL_NOT_VERIFIED.
	RequireVerifiedEmail bool
	// ResetRequestFloor is how long requestPasswordReset takes at least
	// (DefaultResetRequestFloor when zero).
	ResetRequestFloor time.Duration
	Logger            *slog.Logger
	// MFA configures the second factor.
	MFA MfaOptions
	// Passkeys configure WebAuthn.
	Passkeys PasskeyOptions
	// OIDC configures sign-in with providers.
	OIDC OidcOptions
	// Now is the clock of every use case (tests pass a fake one).
	Now func() time.Time
}

// NewService wires the use cases over one store. tokens may be nil for a
// caller that never issues or verifies a token (the CLI): then only Admin,
// Guard, Throttle and Pruner may be used.
func NewService(store Store, tokens *Tokens, hasher *Hasher, opts ServiceOptions) *Service {
	log, now := opts.Logger, opts.Now
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	grace := opts.ReuseGrace
	if grace == 0 {
		grace = DefaultReuseGrace
	}
	audit := &auditor{store: store, log: log, now: now, onEvent: opts.OnEvent}
	guard := NewGuard(store, now)
	guard.adminMFA = opts.MFA.RequireAdmin
	guard.passkeysOn = opts.Passkeys.RP != nil
	throttle := &Throttle{store: store, limits: opts.RateLimits, audit: audit, log: log, now: now}
	issue := &issuer{tokens: tokens, bindCSRF: opts.BindCSRF}
	links := newLinks(store, opts.Links)
	mfa := newMfa(store, guard, throttle, issue, audit, log, now, opts.MFA)
	accounts := &Accounts{store: store, guard: guard, hasher: hasher, throttle: throttle, issue: issue, audit: audit, now: now,
		links: links, requireVerified: opts.RequireVerifiedEmail, mfa: mfa}
	floor := opts.ResetRequestFloor
	if floor <= 0 {
		floor = DefaultResetRequestFloor
	}
	oidc := &Oidc{store: store, guard: guard, throttle: throttle, issue: issue, audit: audit, links: links, mfa: mfa,
		accounts: accounts, log: log, now: now, idps: opts.OIDC.Providers, redirects: opts.OIDC.RedirectURIs,
		requireVerified: opts.RequireVerifiedEmail, passkeysOn: opts.Passkeys.RP != nil}
	return &Service{
		Guard:        guard,
		Accounts:     accounts,
		Verification: &Verification{store: store, guard: guard, throttle: throttle, links: links, audit: audit, now: now},
		Recovery: &Recovery{store: store, hasher: hasher, throttle: throttle, links: links, audit: audit, log: log, now: now,
			floor: floor, sleep: sleepCtx},
		EmailChange: &EmailChange{store: store, guard: guard, throttle: throttle, links: links, audit: audit, now: now},
		Sessions: &Sessions{store: store, guard: guard, throttle: throttle, issue: issue, tokens: tokens,
			audit: audit, log: log, now: now, reuseGrace: grace, requireVerified: opts.RequireVerifiedEmail},
		Admin:    &Admin{store: store, guard: guard, accounts: accounts, audit: audit, now: now},
		Throttle: throttle,
		Keys:     &Keyring{store: store, tokens: tokens, log: log, now: now},
		Pruner:   &Pruner{store: store, retention: opts.AuditRetention, log: log, now: now},
		Tokens:   tokens,
		Mfa:      mfa,
		Passkeys: &Passkeys{store: store, guard: guard, throttle: throttle, issue: issue, audit: audit, mfa: mfa,
			now: now, rp: opts.Passkeys.RP},
		Sockets: newSockets(guard, store, opts.SocketLimits, log, now),
		Oidc:    oidc,
	}
}
