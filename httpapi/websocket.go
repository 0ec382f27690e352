package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gqlauth/gqlauth/auth"
)

// guardSocket stands before websocket handshakes: a browser opens a
// websocket to any site with that site's cookies, and neither CORS nor
// SameSite=Lax stops it, so a handshake from an Origin the CORS policy
// does not allow is refused (cross-site websocket hijacking). A handshake
// without an Origin comes from no browser, and has no cookie to ride on.
func guardSocket(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Sec-WebSocket-Version") != "13" || r.Header.Get("Sec-WebSocket-Key") == "" {
			w.Header().Set("Sec-WebSocket-Version", "13")
			reject(w, http.StatusBadRequest, auth.CodeBadRequest, "not a websocket handshake (RFC 6455, version 13)", nil)
			return
		}
		if !originAllowed(r, origins) {
			reject(w, http.StatusForbidden, auth.CodeForbidden,
				"this Origin may not open a websocket here: it must be this server's or one of CORS_ALLOWED_ORIGINS", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed reports whether r's Origin is absent, this server's own
// host, or one of the allowed origins, which CheckOrigin made exact.
func originAllowed(r *http.Request, origins []string) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false // "null" among others
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range origins {
		if strings.EqualFold(a, o) {
			return true
		}
	}
	return false
}

// isWebSocket reports whether r asks for a websocket.
func isWebSocket(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	for _, v := range r.Header.Values("Upgrade") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "websocket") {
				return true
			}
		}
	}
	return false
}

type handshakeCookieKey struct{}

// SocketCredential reads the access token of a websocket's connection_init
// payload (or of a re-authenticating ping's), by the rules Middleware
// applies to a request's headers: the payload's Authorization entry
// ("Bearer <token>"), or, in cookie mode, the access cookie the handshake
// carried, which counts only with the CSRF cookie's value in the payload's
// X-CSRF-Token entry (a page of another site can make the browser send the
// cookie, not read the value). Entry names are matched without regard to
// case. ctx is the handshake request's, as Middleware left it.
func SocketCredential(tokens *auth.Tokens, tr Transport) func(ctx context.Context, payload map[string]any) (*auth.Claims, error) {
	if !tr.Cookies {
		tr.Headers = true
	}
	return func(ctx context.Context, payload map[string]any) (*auth.Claims, error) {
		if h := payloadEntry(payload, "Authorization"); h != "" && tr.Headers {
			return bearerClaims(tokens, h)
		}
		if raw, _ := ctx.Value(handshakeCookieKey{}).(string); raw != "" && tr.Cookies {
			claims, err := tokens.Parse(raw, auth.AccessToken)
			if err != nil {
				return nil, err
			}
			if err := auth.CheckCSRF(claims, payloadEntry(payload, tr.Cookie.CSRFHeader)); err != nil {
				return nil, err
			}
			return claims, nil
		}
		return nil, auth.Unauthenticated(auth.ReasonTokenMissing)
	}
}

// payloadEntry is the string entry name of payload, in any case.
func payloadEntry(payload map[string]any, name string) string {
	for k, v := range payload {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s
		}
	}
	return ""
}
