// Package httpapi holds the HTTP plumbing around the GraphQL endpoint:
// routing, request ids, access logs and health checks.
package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/gqlauth/gqlauth/reqlog"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// WithRequestID takes the caller's X-Request-Id when it is a sane token
// (so that ids can be followed across services) or draws a new one, and
// returns it in the response.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(reqlog.WithRequestID(r.Context(), id)))
	})
}

// validRequestID keeps ids short and printable so that a client cannot
// inject lines or bulk into the logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
