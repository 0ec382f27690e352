package httpapi

import (
	"net/http"
	"strings"
)

// The playground page loads GraphiQL and React from jsDelivr and runs an
// inline bootstrap script; every other response is data and needs nothing.
const (
	apiCSP        = "default-src 'none'; frame-ancestors 'none'"
	playgroundCSP = "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; " +
		"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://cdn.jsdelivr.net; " +
		"font-src 'self' data: https://cdn.jsdelivr.net; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'"
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
