package auth

import (
	"net"
	"net/http"
	"strings"
)

// maxUserAgent bounds what a client can make us store per session and event.
const maxUserAgent = 512

// Middleware verifies the bearer token of each request and records the
// result, with the client's IP and user agent, in the request context. It
// never rejects a request itself: a login sent with a stale header must
// still work, so the schema directives decide what needs a token.
//
// clientIP tells the client's address (see httpapi.TrustedProxies); nil
// means the TCP peer.
func Middleware(tokens *Tokens, clientIP func(*http.Request) string) func(http.Handler) http.Handler {
	if clientIP == nil {
		clientIP = peerIP
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			claims, err := bearerClaims(tokens, r.Header.Get("Authorization"))
			ctx = WithCredential(ctx, claims, err)
			ctx = WithRequestInfo(ctx, RequestInfo{IP: clientIP(r), UserAgent: truncate(r.UserAgent(), maxUserAgent)})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func bearerClaims(tokens *Tokens, header string) (*Claims, error) {
	if header == "" {
		return nil, Unauthenticated(ReasonTokenMissing)
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, Unauthenticated(ReasonTokenInvalid)
	}
	return tokens.Parse(strings.TrimSpace(token), AccessToken)
}

// peerIP is the TCP peer's address.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
