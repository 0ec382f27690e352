package auth

import "context"

type ctxKey int

const (
	credentialKey ctxKey = iota
	principalKey
	requestInfoKey
	socketKey
)

// credential is what the middleware found in the request: verified claims,
// or the reason there are none. It is never an HTTP failure by itself.
type credential struct {
	claims *Claims
	err    error
}

// WithCredential records the outcome of token verification in ctx.
func WithCredential(ctx context.Context, claims *Claims, err error) context.Context {
	return context.WithValue(ctx, credentialKey, &credential{claims: claims, err: err})
}

// ClaimsFrom returns the verified access token claims of the request, or the
// UNAUTHENTICATED error that explains their absence.
func ClaimsFrom(ctx context.Context) (*Claims, error) {
	if sk := SocketFrom(ctx); sk != nil {
		// A socket's token can be replaced in band, and expires while
		// the socket lives: its current claims are the credential.
		return sk.Claims()
	}
	c, _ := ctx.Value(credentialKey).(*credential)
	if c == nil {
		return nil, Unauthenticated(ReasonTokenMissing)
	}
	if c.err != nil {
		return nil, c.err
	}
	return c.claims, nil
}

// WithPrincipal stores an authenticated caller so that nested directives
// and the service do not look it up twice for one field.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFrom returns the caller stored by WithPrincipal, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// RequestInfo describes the client for sessions and the audit log.
type RequestInfo struct {
	IP        string
	UserAgent string
}

// WithRequestInfo stores the client's description in ctx.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey, ri)
}

// RequestInfoFrom returns the client's description, or the zero value.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey).(RequestInfo)
	return ri
}
