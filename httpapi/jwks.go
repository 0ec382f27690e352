package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/gqlauth/gqlauth/auth"
)

// jwksMaxAge is how long verifiers may cache the key set. A new key shows
// up here when its first replica starts, and verifiers (jose, Apollo
// Router) refetch a cached set when a token names a kid they lack, so the
// cache only spares this server needless fetches.
const jwksMaxAge = "public, max-age=300"

// jwksHandler serves the public keys as an RFC 7517 JWK Set. With HS256
// the set is empty: a shared secret is never published.
func jwksHandler(keys func() []*auth.VerifyKey, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set := struct {
			Keys []*auth.JWK `json:"keys"`
		}{Keys: []*auth.JWK{}}
		for _, k := range keys() {
			j, err := k.JWK()
			if err != nil {
				log.ErrorContext(r.Context(), "key not publishable", "kid", k.ID, "err", err)
				continue
			}
			set.Keys = append(set.Keys, j)
		}
		b, err := json.Marshal(set)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", jwksMaxAge)
		w.Header().Set("Access-Control-Allow-Origin", "*") // public keys, readable by any page
		_, _ = w.Write(b)
	})
}
