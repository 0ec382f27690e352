package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/graph"
	"github.com/gqlauth/gqlauth/httpapi"
)

// readTransport reads TOKEN_LOCATION and the cookie settings.
func readTransport(r *envReader, c *config) {
	t := httpapi.Transport{Cookie: httpapi.DefaultCookieConfig()}
	for _, loc := range strings.Split(r.get("TOKEN_LOCATION"), ",") {
		switch strings.TrimSpace(loc) {
		case "headers":
			t.Headers = true
		case "cookies":
			t.Cookies = true
		default:
			r.bad("TOKEN_LOCATION", "must be headers, cookies or headers,cookies, not %q", r.get("TOKEN_LOCATION"))
		}
	}
	ck := &t.Cookie
	ck.Secure = r.boolean("COOKIE_SECURE", true)
	switch v := strings.ToLower(r.get("COOKIE_SAMESITE")); v {
	case "lax":
		ck.SameSite = http.SameSiteLaxMode
	case "strict":
		ck.SameSite = http.SameSiteStrictMode
	case "none":
		ck.SameSite = http.SameSiteNoneMode
		if !ck.Secure {
			r.bad("COOKIE_SAMESITE", "None requires COOKIE_SECURE=true (browsers drop insecure SameSite=None cookies)")
		}
	default:
		r.bad("COOKIE_SAMESITE", "must be Lax, Strict or None, not %q", v)
	}
	ck.Domain, ck.Path = r.get("COOKIE_DOMAIN"), r.get("COOKIE_PATH")
	ck.AccessName, ck.RefreshName, ck.CSRFName = r.get("ACCESS_COOKIE_NAME"), r.get("REFRESH_COOKIE_NAME"), r.get("CSRF_COOKIE_NAME")
	names := map[string]bool{}
	for _, env := range []string{"ACCESS_COOKIE_NAME", "REFRESH_COOKIE_NAME", "CSRF_COOKIE_NAME"} {
		n := r.get(env)
		if !validCookieName(n) {
			r.bad(env, "not a valid cookie name: %q", n)
		}
		if names[n] {
			r.bad(env, "must differ from the other cookie names")
		}
		names[n] = true
	}
	ck.MaxAge = c.RefreshTTL
	c.Transport = t
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

// readEdge reads what faces clients: the developer conveniences, who may
// call from a browser, whose addresses to believe, and the request limits.
func readEdge(r *envReader, c *config) {
	c.Playground = r.boolean("PLAYGROUND", !c.Production)
	c.Introspection = r.boolean("INTROSPECTION", !c.Production)
	c.Suggestions = r.boolean("SUGGESTIONS", !c.Production)
	for _, o := range strings.Split(r.get("CORS_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		} else if err := httpapi.CheckOrigin(o); err != nil {
			r.bad("CORS_ALLOWED_ORIGINS", "%v", err)
		} else {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	var err error
	if c.TrustedProxies, err = httpapi.ParseTrustedProxies(r.get("TRUSTED_PROXIES")); err != nil {
		r.bad("TRUSTED_PROXIES", "%v", err)
	}
	c.RateLimits.PerAccount = int(r.uint32("RATE_LIMIT_ACCOUNT", 0))
	c.RateLimits.PerIP = int(r.uint32("RATE_LIMIT_IP", 0))
	c.RateLimits.Window = r.duration("RATE_LIMIT_WINDOW", time.Second)
	if c.RateLimits.IPv6Prefix = int(r.uint32("RATE_LIMIT_IPV6_PREFIX", 32)); c.RateLimits.IPv6Prefix > 128 {
		r.bad("RATE_LIMIT_IPV6_PREFIX", "must be at most 128")
	}
	c.MaxBodyBytes = int64(r.uint32("MAX_BODY_BYTES", 1024))
	c.Limits = graph.Limits{
		MaxDepth:      int(r.uint32("QUERY_MAX_DEPTH", 2)),
		MaxAliases:    int(r.uint32("QUERY_MAX_ALIASES", 0)),
		MaxComplexity: int(r.uint32("QUERY_MAX_COMPLEXITY", 100)),
		MaxTokens:     int(r.uint32("QUERY_MAX_TOKENS", 100)),
		MaxNodes:      int(r.uint32("QUERY_MAX_NODES", 50)),
	}
	c.OpTimeout = r.duration("OPERATION_TIMEOUT", 100*time.Millisecond)
}
