package httpapi

import (
	"net/http"

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
