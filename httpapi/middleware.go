package httpapi

import (
	"context"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gqlauth/gqlauth/auth"
)

// maxUserAgent bounds what a client can make us store per session and event.
const maxUserAgent = 512

// MiddlewareOptions configure Middleware.
type MiddlewareOptions struct {
	// ClientIP tells the client's address (see TrustedProxies);
	// nil means the TCP peer.
	ClientIP func(*http.Request) string
	// Transport says where tokens may travel; the zero value means the
	// Authorization header only.
	Transport Transport
}

// Middleware verifies the access token of each request, from the
// Authorization header or the access cookie, and records the result, with
// the client's IP and user agent and a token carrier for resolvers, in the
// request context. It never rejects a request itself: a login sent with a
// stale token must still work, so the schema directives decide what needs
// a token.
func Middleware(tokens *auth.Tokens, opts MiddlewareOptions) func(http.Handler) http.Handler {
	clientIP := opts.ClientIP
	if clientIP == nil {
		clientIP = peerIP
	}
	tr := opts.Transport
	if !tr.Cookies {
		tr.Headers = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			claims, err := credentialOf(tokens, &tr, r)
			ctx = auth.WithCredential(ctx, claims, err)
			ctx = auth.WithRequestInfo(ctx, auth.RequestInfo{IP: clientIP(r), UserAgent: storableText(r.UserAgent(), maxUserAgent)})
			tt := &cookieCarrier{cfg: &tr, w: w}
			if tr.Cookies {
				tt.refresh = cookieValue(r, tr.Cookie.RefreshName)
				tt.csrf = r.Header.Get(tr.Cookie.CSRFHeader)
				tt.req = r // the flow cookie is read only by a sign-in's finish
				if isWebSocket(r) {
					// A browser's websocket sends no headers of its own: the
					// CSRF value comes in connection_init (SocketCredential).
					ctx = context.WithValue(ctx, handshakeCookieKey{}, cookieValue(r, tr.Cookie.AccessName))
				}
			}
			ctx = auth.WithTokenCarrier(ctx, tt)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// credentialOf verifies the request's access token. A bearer header wins
// over a cookie: it is sent deliberately, so it needs no CSRF check. A
// cookie is sent by the browser on any request to this site, so it counts
// only with the matching CSRF header.
func credentialOf(tokens *auth.Tokens, tr *Transport, r *http.Request) (*auth.Claims, error) {
	if h := r.Header.Get("Authorization"); h != "" && tr.Headers {
		return bearerClaims(tokens, h)
	}
	if tr.Cookies {
		if raw := cookieValue(r, tr.Cookie.AccessName); raw != "" {
			claims, err := tokens.Parse(raw, auth.AccessToken)
			if err != nil {
				return nil, err
			}
			if err := auth.CheckCSRF(claims, r.Header.Get(tr.Cookie.CSRFHeader)); err != nil {
				return nil, err
			}
			return claims, nil
		}
	}
	return nil, auth.Unauthenticated(auth.ReasonTokenMissing)
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func bearerClaims(tokens *auth.Tokens, header string) (*auth.Claims, error) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, auth.Unauthenticated(auth.ReasonTokenInvalid)
	}
	return tokens.Parse(strings.TrimSpace(token), auth.AccessToken)
}

// peerIP is the TCP peer's address.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// storableText makes a header value fit for a text column: at most n
// bytes, cut on a character boundary, with invalid UTF-8 and NUL bytes
// replaced. Header values may carry any byte above 0x7f, which PostgreSQL
// would refuse, failing the login (or dropping its audit event) for what
// is only the client's odd header.
func storableText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
