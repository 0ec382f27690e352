package auth

import "context"

// TokenCarrier is how a request's tokens travel besides the response body:
// the HTTP layer implements it with cookies, and puts one in the context of
// every request so that resolvers can hand over or take back tokens
// without knowing about HTTP. The zero carrier (no HTTP request, or the
// Authorization header only) carries nothing.
type TokenCarrier interface {
	// TokensInBody reports whether the response body should carry the
	// tokens: not when they travel only in HttpOnly cookies, where a
	// script that can read the body (an XSS) must not get them.
	TokensInBody() bool
	// Deliver hands a newly issued token pair to the client.
	Deliver(res *AuthResult)
	// Clear takes the client's tokens back (after a logout).
	Clear()
	// StoredRefresh returns the refresh token the client stores with the
	// carrier and the CSRF value the request sent with it, for `refresh`
	// called without an argument.
	StoredRefresh() (token, csrf string, ok bool)
	// BindFlow keeps secret in the client's browser (a host-only HttpOnly
	// cookie) for as long as a sign-in with a provider lives, so that the
	// sign-in can be finished only there; false when this server sets no
	// cookies (header mode: nothing binds the browser, and the page's own
	// check of state is the defence).
	BindFlow(secret string) bool
	// FlowBinding is the secret BindFlow kept, as the browser sent it
	// back with this request; "" when none came.
	FlowBinding() string
}

type carrierKey struct{}

// WithTokenCarrier stores the request's carrier in ctx.
func WithTokenCarrier(ctx context.Context, c TokenCarrier) context.Context {
	return context.WithValue(ctx, carrierKey{}, c)
}

// TokenCarrierFrom returns the request's carrier, or one that carries
// nothing and leaves the tokens in the body.
func TokenCarrierFrom(ctx context.Context) TokenCarrier {
	if c, ok := ctx.Value(carrierKey{}).(TokenCarrier); ok && c != nil {
		return c
	}
	return bodyOnly{}
}

// bodyOnly is the carrier of a request whose tokens travel in the body and
// the Authorization header alone.
type bodyOnly struct{}

func (bodyOnly) TokensInBody() bool                    { return true }
func (bodyOnly) Deliver(*AuthResult)                   {}
func (bodyOnly) Clear()                                {}
func (bodyOnly) StoredRefresh() (string, string, bool) { return "", "", false }
func (bodyOnly) BindFlow(string) bool                  { return false }
func (bodyOnly) FlowBinding() string                   { return "" }
