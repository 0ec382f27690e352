package auth

import (
	"context"
	"net/http"
	"time"
)

// Transport says where clients may carry their tokens: the Authorization
// header, cookies, or both (TOKEN_LOCATION).
type Transport struct {
	Headers bool
	Cookies bool
	Cookie  CookieConfig
}

// CookieConfig shapes the cookies of cookie mode.
type CookieConfig struct {
	AccessName  string // HttpOnly, holds the access token
	RefreshName string // HttpOnly, holds the refresh token
	// CSRFName is readable by the page's scripts, which copy it into
	// CSRFHeader on every request: the double submit.
	CSRFName   string
	CSRFHeader string
	Domain     string
	Path       string
	Secure     bool
	SameSite   http.SameSite
	// MaxAge is how long the browser keeps the cookies: the refresh
	// token's lifetime, so an expired access token is still sent and
	// answered TOKEN_EXPIRED (refresh and retry) rather than TOKEN_MISSING.
	MaxAge time.Duration
}

// DefaultCookieConfig is the cookie configuration without overrides.
func DefaultCookieConfig() CookieConfig {
	return CookieConfig{
		AccessName: "gqlauth_access", RefreshName: "gqlauth_refresh", CSRFName: "gqlauth_csrf",
		CSRFHeader: "X-CSRF-Token", Path: "/", Secure: true, SameSite: http.SameSiteLaxMode,
	}
}

// TokenTransport is the request's link to the response for resolvers: the
// middleware puts one in the context, and register, login, refresh and
// logout use it to set or clear cookies without touching HTTP themselves.
type TokenTransport struct {
	cfg     *Transport
	w       http.ResponseWriter
	refresh string // the refresh cookie, if any
	csrf    string // the CSRF header, if any
}

type transportKey struct{}

// WithTokenTransport stores t in ctx.
func WithTokenTransport(ctx context.Context, t *TokenTransport) context.Context {
	return context.WithValue(ctx, transportKey{}, t)
}

// TokenTransportFrom returns the request's transport; nil (headers only)
// outside an HTTP request, and every method works on nil.
func TokenTransportFrom(ctx context.Context) *TokenTransport {
	t, _ := ctx.Value(transportKey{}).(*TokenTransport)
	return t
}

// TokensInBody reports whether the response body should carry the tokens:
// not when they travel only in HttpOnly cookies, where a script that can
// read the body (an XSS) must not get them.
func (t *TokenTransport) TokensInBody() bool { return t == nil || t.cfg.Headers }

// UsesCookies reports whether tokens are delivered in cookies.
func (t *TokenTransport) UsesCookies() bool { return t != nil && t.cfg.Cookies }

// Deliver sets the cookies of a newly issued token pair (cookie mode only).
func (t *TokenTransport) Deliver(res *AuthResult) {
	if !t.UsesCookies() {
		return
	}
	c := &t.cfg.Cookie
	t.set(c.AccessName, res.Access.Token, true)
	t.set(c.RefreshName, res.Refresh.Token, true)
	t.set(c.CSRFName, res.CSRF, false)
}

// Clear expires the token cookies (cookie mode only).
func (t *TokenTransport) Clear() {
	if !t.UsesCookies() {
		return
	}
	c := &t.cfg.Cookie
	for _, name := range []string{c.AccessName, c.RefreshName, c.CSRFName} {
		http.SetCookie(t.w, t.cookie(name, "", -1, name != c.CSRFName))
	}
}

// RefreshCookie returns the refresh token from its cookie and the CSRF
// value the request sent, for `refresh` called without an argument.
func (t *TokenTransport) RefreshCookie() (token, csrf string, ok bool) {
	if !t.UsesCookies() || t.refresh == "" {
		return "", "", false
	}
	return t.refresh, t.csrf, true
}

func (t *TokenTransport) set(name, value string, httpOnly bool) {
	http.SetCookie(t.w, t.cookie(name, value, int(t.cfg.Cookie.MaxAge/time.Second), httpOnly))
}

func (t *TokenTransport) cookie(name, value string, maxAge int, httpOnly bool) *http.Cookie {
	c := &t.cfg.Cookie
	return &http.Cookie{
		Name: name, Value: value, Path: c.Path, Domain: c.Domain, MaxAge: maxAge,
		Secure: c.Secure, HttpOnly: httpOnly, SameSite: c.SameSite,
	}
}
