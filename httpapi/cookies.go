package httpapi

import (
	"net/http"
	"time"

	"github.com/gqlauth/gqlauth/auth"
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
	// FlowName is HttpOnly and binds a sign-in with a provider to the
	// browser that began it (auth.TokenCarrier.BindFlow), for ten minutes.
	// It is host-only on path /, and with Secure it takes the __Host-
	// prefix, so that no sibling subdomain can plant one (cookie tossing).
	FlowName string
	Domain   string
	Path     string
	Secure   bool
	SameSite http.SameSite
	// MaxAge is how long the browser keeps the cookies: the refresh
	// token's lifetime, so an expired access token is still sent and
	// answered TOKEN_EXPIRED (refresh and retry) rather than TOKEN_MISSING.
	MaxAge time.Duration
}

// DefaultCookieConfig is the cookie configuration without overrides.
func DefaultCookieConfig() CookieConfig {
	return CookieConfig{
		AccessName: "gqlauth_access", RefreshName: "gqlauth_refresh", CSRFName: "gqlauth_csrf", FlowName: "gqlauth_oidc",
		CSRFHeader: "X-CSRF-Token", Path: "/", Secure: true, SameSite: http.SameSiteLaxMode,
	}
}

// cookieCarrier is the request's auth.TokenCarrier: register, login,
// refresh and logout set or clear cookies through it without touching HTTP
// themselves.
type cookieCarrier struct {
	cfg     *Transport
	w       http.ResponseWriter
	refresh string        // the refresh cookie, if any
	csrf    string        // the CSRF header, if any
	req     *http.Request // in cookie mode: where FlowBinding reads the flow cookie
}

// TokensInBody implements auth.TokenCarrier.
func (t *cookieCarrier) TokensInBody() bool { return t.cfg.Headers }

func (t *cookieCarrier) usesCookies() bool { return t.cfg.Cookies }

// Deliver implements auth.TokenCarrier: it sets the cookies of a newly issued token pair (cookie mode only).
func (t *cookieCarrier) Deliver(res *auth.AuthResult) {
	if !t.usesCookies() {
		return
	}
	c := &t.cfg.Cookie
	t.set(c.AccessName, res.Access.Token, true)
	t.set(c.RefreshName, res.Refresh.Token, true)
	t.set(c.CSRFName, res.CSRF, false)
}

// Clear implements auth.TokenCarrier: it expires the token cookies (cookie mode only).
func (t *cookieCarrier) Clear() {
	if !t.usesCookies() {
		return
	}
	c := &t.cfg.Cookie
	for _, name := range []string{c.AccessName, c.RefreshName, c.CSRFName} {
		http.SetCookie(t.w, t.cookie(name, "", -1, name != c.CSRFName))
	}
}

// StoredRefresh implements auth.TokenCarrier: the refresh token from its
// cookie and the CSRF value the request sent.
func (t *cookieCarrier) StoredRefresh() (token, csrf string, ok bool) {
	if !t.usesCookies() || t.refresh == "" {
		return "", "", false
	}
	return t.refresh, t.csrf, true
}

// BindFlow implements auth.TokenCarrier: when cookies are used at all, it
// sets the flow cookie for as long as a flow lives.
func (t *cookieCarrier) BindFlow(secret string) bool {
	if !t.usesCookies() || t.cfg.Cookie.FlowName == "" {
		return false
	}
	c := &t.cfg.Cookie
	http.SetCookie(t.w, &http.Cookie{
		Name: flowCookieName(c), Value: secret, Path: "/", MaxAge: int(auth.OidcFlowTTL / time.Second),
		Secure: c.Secure, HttpOnly: true, SameSite: c.SameSite,
	})
	return true
}

// FlowBinding implements auth.TokenCarrier.
func (t *cookieCarrier) FlowBinding() string {
	if t.req == nil {
		return ""
	}
	return cookieValue(t.req, flowCookieName(&t.cfg.Cookie))
}

// flowCookieName is FlowName, with the __Host- prefix when the cookie is
// Secure: browsers then refuse one set with a Domain or another path.
func flowCookieName(c *CookieConfig) string {
	if c.Secure {
		return "__Host-" + c.FlowName
	}
	return c.FlowName
}

func (t *cookieCarrier) set(name, value string, httpOnly bool) {
	http.SetCookie(t.w, t.cookie(name, value, int(t.cfg.Cookie.MaxAge/time.Second), httpOnly))
}

func (t *cookieCarrier) cookie(name, value string, maxAge int, httpOnly bool) *http.Cookie {
	c := &t.cfg.Cookie
	return &http.Cookie{
		Name: name, Value: value, Path: c.Path, Domain: c.Domain, MaxAge: maxAge,
		Secure: c.Secure, HttpOnly: httpOnly, SameSite: c.SameSite,
	}
}
