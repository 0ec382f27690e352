package auth

import (
	"context"
	"time"
)

// tokenStateStore is what Guard needs of the store.
type tokenStateStore interface {
	// TokenState reads, in one round trip, what decides whether an access
	// token is still good: its user, its session and its jti.
	TokenState(ctx context.Context, userID, sessionID, jti string, now time.Time) (*TokenState, error)
	// CountPasskeys counts a user's passkeys: read only when an admin
	// without TOTP is refused for want of a second factor, to tell "log in
	// with your passkey" from "enroll one".
	CountPasskeys(ctx context.Context, userID string) (int, error)
}

// Guard turns the verified claims the HTTP middleware put in a request's
// context into the caller, as the database sees it now.
type Guard struct {
	store tokenStateStore
	now   func() time.Time
	// adminMFA: ADMIN work needs a second factor (REQUIRE_ADMIN_MFA).
	adminMFA bool
	// passkeysOn: a WebAuthn relying party is configured, so a passkey is
	// a second factor one can sign in with.
	passkeysOn bool
}

// NewGuard returns a Guard reading token state from store.
func NewGuard(store tokenStateStore, now func() time.Time) *Guard {
	return &Guard{store: store, now: now}
}

// Authenticate returns the caller of the request in ctx. The token's
// signature and lifetime were checked by the middleware; this checks what
// only the database knows (revocation, ended sessions, a disabled account,
// the current role), on every request, so that a logout, a disabling or a
// role change takes effect at once rather than at the token's expiry.
func (g *Guard) Authenticate(ctx context.Context) (*Principal, error) {
	if p := PrincipalFrom(ctx); p != nil {
		return p, nil
	}
	claims, err := ClaimsFrom(ctx)
	if err != nil {
		return nil, err
	}
	return g.check(ctx, claims)
}

// check is Authenticate for claims already in hand: the rule every
// authenticated request and every live socket goes through.
func (g *Guard) check(ctx context.Context, claims *Claims) (*Principal, error) {
	st, err := g.store.TokenState(ctx, claims.Subject, claims.SessionID, claims.ID, g.now().UTC())
	if err != nil {
		return nil, Internal(err)
	}
	if !st.valid() {
		return nil, Unauthenticated(ReasonTokenRevoked)
	}
	return &Principal{User: *st.User, Claims: claims, adminMFA: g.adminMFA, guard: g, ctx: ctx}, nil
}

// hasPasskey reports whether p's user has a passkey to sign in with; it
// asks the store, so only a refusal (RequireAdminFactor's) calls it, not
// every request.
func (p *Principal) hasPasskey() bool {
	if p.guard == nil || !p.guard.passkeysOn {
		return false
	}
	n, err := p.guard.store.CountPasskeys(p.ctx, p.User.ID)
	return err == nil && n > 0 // on error, the enrollment answer: a refusal either way
}

// valid reports whether a token with this state is still good: its user
// exists and is enabled, its session has not ended, its jti is not revoked.
func (st *TokenState) valid() bool {
	return st.User != nil && !st.SessionEnded && !st.TokenRevoked && !st.User.Disabled()
}

// authorize authenticates the caller and applies rule to it: the entry of
// every use case that needs a caller.
func (g *Guard) authorize(ctx context.Context, rule func(*Principal) error) (*Principal, error) {
	p, err := g.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if err := rule(p); err != nil {
		return nil, err
	}
	return p, nil
}

// anyone is the rule of use cases open to every authenticated caller.
func anyone(*Principal) error { return nil }
