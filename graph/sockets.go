package graph

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/reqlog"
)

// SocketOptions serve subscriptions over websockets at the GraphQL
// endpoint, with the graphql-transport-ws protocol (the `graphql-ws` npm
// client).
type SocketOptions struct {
	// Credential reads the access token of a connection_init payload, or
	// of a re-authenticating ping's: the HTTP layer's rules, as for a
	// request's headers. ctx is the handshake request's.
	Credential func(ctx context.Context, payload map[string]any) (*auth.Claims, error)
	// KeepAlive is the interval of the server's pings; a client that
	// answers none within twice this is dropped.
	KeepAlive time.Duration
	// ReadLimit bounds one message from the client.
	ReadLimit int64
}

// The close codes a socket ends with (docs/api.md lists them). 4401,
// 4403 and 4429 are those graphql-ws itself uses for the same meanings,
// and make its client give up rather than reconnect; 1013 makes it
// reconnect (to another replica, behind a load balancer).
const (
	closeUnauthorized = 4401
	closeForbidden    = 4403
	closeTooMany      = 4429
	closeInternal     = 4500
	closeTryAgain     = 1013
)

// initTimeout is how long a client may take to send connection_init.
const initTimeout = 10 * time.Second

// flushTimeout bounds the wait for a final event to be written before the
// socket closes anyway.
const flushTimeout = 500 * time.Millisecond

// closeFor is the close code and reason of a socket that ended with err.
func closeFor(err error) (int, string) {
	switch auth.ErrorCode(err) {
	case auth.CodeUnauthenticated:
		return closeUnauthorized, "Unauthorized"
	case auth.CodeForbidden:
		return closeForbidden, "Forbidden"
	case auth.CodeTooManySockets:
		return closeTooMany, string(auth.CodeTooManySockets)
	case auth.CodeUnavailable:
		return closeTryAgain, "Try again later"
	}
	return closeInternal, "Internal server error"
}

// sockets is the websocket transport and what it needs to keep each
// connection's authentication live.
type sockets struct {
	svc  *auth.Service
	opts SocketOptions
	log  *slog.Logger
}

// transport is gqlgen's websocket transport, answering only websocket
// handshakes (gqlgen's own takes any request with an Upgrade header, an
// h2c upgrade included).
func (s *sockets) transport() graphql.Transport {
	limit := s.opts.ReadLimit
	// No PingPongInterval: gqlgen would run a goroutine per socket for
	// it; socketConn.keepAlive does the same with a timer.
	return socketTransport{transport.Websocket{
		Implementation:   socketAccept{s: s},
		InitFunc:         s.init,
		InitTimeout:      initTimeout,
		PayloadReadLimit: &limit,
	}}
}

type socketTransport struct{ transport.Websocket }

// Supports takes websocket handshakes only.
func (t socketTransport) Supports(r *http.Request) bool { return isWebSocket(r) }

// isWebSocket reports whether r asks for a websocket.
func isWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// wrap gives each websocket handshake a connection record that the
// transport's hooks share, and releases the connection's socket once
// gqlgen is done with it (its Do returns when the connection has ended).
func (s *sockets) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		c := &socketConn{s: s, flushed: make(chan struct{}, 1), done: make(chan struct{})}
		defer c.release()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), socketConnKey{}, c)))
	})
}

type socketConnKey struct{}

func connFrom(ctx context.Context) *socketConn {
	c, _ := ctx.Value(socketConnKey{}).(*socketConn)
	return c
}

// socketAccept accepts the handshake with coder/websocket, as gqlgen does
// by default, and counts the connection against the total cap. The Origin
// was checked by the HTTP layer, by the CORS policy's list.
type socketAccept struct{ s *sockets }

// Accept implements transport.WebsocketImplementation.
func (a socketAccept) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c := connFrom(r.Context())
	inner := transport.CoderWebsocketImplementation{}
	inner.AcceptOptions.InsecureSkipVerify = true // the HTTP layer checked the Origin
	ws, err := inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	sk, err := a.s.svc.Sockets.Admit(auth.RequestInfoFrom(r.Context()).IP)
	if err != nil {
		// Refused before connection_init: the client hears the close
		// code, and gqlgen reads nothing more.
		c.end(err, 0)
		return c, nil
	}
	c.mu.Lock()
	c.sk = sk
	c.mu.Unlock()
	sk.OnEnd(c.end)
	return c, nil
}

// init authenticates the connection with its connection_init payload.
func (s *sockets) init(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	c := connFrom(ctx)
	c.mu.Lock()
	sk := c.sk
	c.mu.Unlock()
	if sk == nil {
		return ctx, nil, auth.Unauthenticated(auth.ReasonTokenMissing) // refused, or ended already
	}
	claims, err := s.opts.Credential(ctx, payload)
	var p *auth.Principal
	if err == nil {
		p, err = sk.Authenticate(ctx, claims)
	}
	if err != nil {
		s.logFailure(ctx, err)
		code, reason := closeFor(err)
		ctx = transport.WithWebsocketCloseCode(ctx, code)
		return transport.AppendCloseReason(ctx, reason), nil, err
	}
	reqlog.SetUserID(ctx, p.User.ID)
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.ctx, c.cancel = ctx, cancel
	c.mu.Unlock()
	c.keepAlive(s.opts.KeepAlive)
	ack := transport.InitPayload{"expiresAt": claims.ExpiresAt.UTC().Format(time.RFC3339)}
	return auth.WithSocket(ctx, sk), &ack, nil
}

func (s *sockets) logFailure(ctx context.Context, err error) {
	if c := auth.ErrorCode(err); c == auth.CodeInternal || c == auth.CodeUnavailable {
		s.log.WarnContext(ctx, "websocket authentication failed", "request_id", reqlog.RequestID(ctx), "err", err)
	}
}
