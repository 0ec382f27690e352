package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// corsFor allows exactly the listed origins, with credentials (cookies), and
// the headers a GraphQL client sends. rs/cors handles preflights and the
// Vary header, the details that hand-written CORS gets wrong. No origins
// means no CORS headers at all (rs/cors would read an empty list as "*").
func corsFor(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "X-CSRF-Token", "X-Request-Id", "Apollo-Require-Preflight"},
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
		AllowCredentials: true,
		MaxAge:           600,
	}).Handler
}

// CheckOrigin refuses a CORS_ALLOWED_ORIGINS entry that would allow more
// than the one site it seems to name. Every allowed origin gets
// credentials, so a pattern (rs/cors reads "https://*" or
// "https://*.example.com" as wildcards) hands sessions to sites no one
// listed, and "null" is the origin of sandboxed iframes, file: pages and
// some redirects: any site can send it.
func CheckOrigin(o string) error {
	switch {
	case o == "*":
		return errors.New(`"*" is not allowed: list the origins (credentials are allowed for them)`)
	case strings.Contains(o, "*"):
		return fmt.Errorf("%q is a pattern: a wildcard allows, with credentials, origins no one listed; list each origin", o)
	case strings.EqualFold(o, "null"):
		return fmt.Errorf("%q is not allowed: sandboxed iframes and file: pages send the origin null, so any site can", o)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
		return fmt.Errorf("%q is not an origin: want scheme://host[:port], e.g. https://app.example.com", o)
	}
	return nil
}
