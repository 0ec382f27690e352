package httpapi

import (
	"net/http"
	"strings"
)

// The playground page loads its scripts and styles from this server only
// (no inline script or style; GraphiQL's stylesheet inlines its fonts and
// icons as data: URLs); every other response is data and needs nothing.
const (
	apiCSP        = "default-src 'none'; frame-ancestors 'none'"
	playgroundCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.URL.Path == "/" {
			h.Set("Content-Security-Policy", playgroundCSP)
		} else {
			h.Set("Content-Security-Policy", apiCSP)
		}
		if strings.HasPrefix(r.URL.Path, "/graphql") {
			// Responses carry tokens and account data: never cache them.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
