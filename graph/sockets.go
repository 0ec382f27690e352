package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/reqlog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
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
	sk, err := a.s.svc.Sockets.Admit()
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

// socketConn is one websocket connection: gqlgen's connection, with the
// in-band re-authentication read off its pings, and the closing of the
// socket when its authentication ends.
type socketConn struct {
	s *sockets

	mu     sync.Mutex
	ws     transport.WebsocketConn
	sk     *auth.Socket
	ctx    context.Context // the authenticated connection's; nil before
	cancel context.CancelFunc
	closed bool

	// flushed hears each subscription whose final event was written.
	flushed chan struct{}
	nflush  int
	// done is closed once the close has been started.
	done chan struct{}
	// setup, while not nil, is closed once the subscription the client
	// last started (pending) is set up, or refused: the client's next
	// message waits for it, so that whatever the client does after a
	// subscribe (a ping, say) sees the subscription in place.
	setup   chan struct{}
	pending string

	lastSeen  atomic.Int64 // when the client's last message came, in Unix ns
	keepTimer *time.Timer
	released  bool
}

var (
	_ transport.WebsocketConn          = (*socketConn)(nil)
	_ transport.WebsocketReadLimiter   = (*socketConn)(nil)
	_ transport.WebsocketReadDeadliner = (*socketConn)(nil)
)

// end closes the connection with the code for err, once the final events
// handed to finals subscriptions are written (or flushTimeout passed).
func (c *socketConn) end(err error, finals int) {
	if finals > 0 {
		deadline := time.NewTimer(flushTimeout)
		defer deadline.Stop()
	wait:
		for {
			c.mu.Lock()
			n := c.nflush
			c.mu.Unlock()
			if n >= finals {
				break
			}
			select {
			case <-c.flushed:
			case <-deadline.C:
				break wait
			}
		}
	}
	c.mu.Lock()
	ws, cancel := c.ws, c.cancel
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return
	}
	code, reason := closeFor(err)
	_ = ws.WriteClose(code, reason)
	close(c.done)
	if cancel != nil {
		cancel() // gqlgen's own close, with 1000, then finds the close started
	}
}

// flush notes that a subscription's final event was written.
func (c *socketConn) flush() {
	c.mu.Lock()
	c.nflush++
	c.mu.Unlock()
	select {
	case c.flushed <- struct{}{}:
	default:
	}
}

func (c *socketConn) release() {
	c.mu.Lock()
	sk := c.sk
	c.released = true
	if c.keepTimer != nil {
		c.keepTimer.Stop()
	}
	c.mu.Unlock()
	if sk != nil {
		sk.Close()
	}
}

func (c *socketConn) refused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sk == nil && c.closed
}

// NextReader reads the client's next message. A ping whose payload
// carries an Authorization entry re-authenticates the socket: gqlgen then
// sees a ping whose payload is the new expiry (or nothing, if the token
// was refused and the socket is closing), which its pong echoes.
func (c *socketConn) NextReader() (int, io.Reader, error) {
	if c.refused() {
		return 0, nil, transport.ErrWebsocketClosed
	}
	c.awaitSetup()
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return typ, r, err
	}
	c.lastSeen.Store(time.Now().UnixNano())
	data, err := io.ReadAll(r)
	if err != nil {
		return typ, nil, err
	}
	if bytes.Contains(data, []byte(`"subscribe"`)) {
		var m struct{ Type, ID string }
		if json.Unmarshal(data, &m) == nil && m.Type == "subscribe" {
			c.mu.Lock()
			c.setup, c.pending = make(chan struct{}), m.ID
			c.mu.Unlock()
		}
	}
	if bytes.Contains(data, []byte(`"ping"`)) {
		if data = c.reauthenticate(data); data == nil {
			// Refused: the socket is closing, with no pong.
			select {
			case <-c.done:
			case <-time.After(flushTimeout):
			}
			return typ, nil, transport.ErrWebsocketClosed
		}
	}
	return typ, bytes.NewReader(data), nil
}

// reauthenticate handles a ping that carries a new access token: it
// returns the ping gqlgen is to see, or nil when the token was refused.
func (c *socketConn) reauthenticate(data []byte) []byte {
	var m struct {
		Type    string         `json:"type"`
		Payload map[string]any `json:"payload"`
	}
	if json.Unmarshal(data, &m) != nil || m.Type != "ping" || !hasAuthorization(m.Payload) {
		return data
	}
	c.mu.Lock()
	ctx, sk := c.ctx, c.sk
	c.mu.Unlock()
	if ctx == nil || sk == nil {
		return []byte(`{"type":"ping"}`) // before connection_init: gqlgen refuses it
	}
	claims, err := c.s.opts.Credential(ctx, m.Payload)
	if err != nil {
		claims = nil // Reauthenticate refuses it, and ends the socket
	}
	exp, err := sk.Reauthenticate(ctx, claims)
	if err != nil {
		c.s.logFailure(ctx, err)
		return nil
	}
	out, _ := json.Marshal(map[string]any{"type": "ping", "payload": map[string]any{"expiresAt": exp.UTC().Format(time.RFC3339)}})
	return out
}

func hasAuthorization(p map[string]any) bool {
	for k := range p {
		if strings.EqualFold(k, "Authorization") {
			return true
		}
	}
	return false
}

// keepAlive pings the client every interval (graphql-transport-ws's ping,
// which graphql-ws answers by itself) and drops the connection when the
// client has sent nothing, not even a pong, for twice that: a dead peer
// must not keep its place under the caps.
func (c *socketConn) keepAlive(interval time.Duration) {
	if interval <= 0 {
		return
	}
	c.lastSeen.Store(time.Now().UnixNano())
	var tick func()
	tick = func() {
		c.mu.Lock()
		over := c.closed || c.released
		c.mu.Unlock()
		if over {
			return
		}
		if time.Since(time.Unix(0, c.lastSeen.Load())) > 2*interval {
			_ = c.ws.Close() // the read fails, and gqlgen ends the connection
			return
		}
		_ = c.ws.WriteJSON(json.RawMessage(`{"type":"ping"}`))
		c.mu.Lock()
		if !c.released {
			c.keepTimer = time.AfterFunc(interval, tick)
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.keepTimer = time.AfterFunc(interval, tick)
	c.mu.Unlock()
}

// setupTimeout bounds how long the client's next message waits for a
// subscription's setup.
const setupTimeout = time.Second

func (c *socketConn) awaitSetup() {
	c.mu.Lock()
	ch := c.setup
	c.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-time.After(setupTimeout):
		c.setupDone("")
	}
}

// setupDone notes that the pending subscription (id, or whichever is
// pending if id is "") is set up or refused.
func (c *socketConn) setupDone(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.setup != nil && (id == "" || id == c.pending) {
		close(c.setup)
		c.setup, c.pending = nil, ""
	}
}

// WriteJSON writes gqlgen's message v. While a subscription is being set
// up, it looks for the complete that gqlgen sends at once when it refuses
// one (a document that does not parse or validate).
func (c *socketConn) WriteJSON(v any) error {
	c.mu.Lock()
	pending := c.setup != nil
	c.mu.Unlock()
	if !pending {
		return c.ws.WriteJSON(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	err = c.ws.WriteJSON(json.RawMessage(b))
	var m struct{ Type, ID string }
	if json.Unmarshal(b, &m) == nil && m.Type == "complete" {
		c.setupDone(m.ID)
	}
	return err
}

// WriteClose, Close and Subprotocol are gqlgen's connection's.

func (c *socketConn) WriteClose(code int, msg string) error { return c.ws.WriteClose(code, msg) }

func (c *socketConn) Close() error { return c.ws.Close() }

func (c *socketConn) Subprotocol() string { return c.ws.Subprotocol() }

// SetReadLimit and SetReadDeadline pass gqlgen's bounds on to its
// connection.
func (c *socketConn) SetReadLimit(limit int64) {
	if l, ok := c.ws.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.ws.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// subscription is one running subscription on a socket: its final
// event's place in its stream (set by the stream), and the number of
// times gqlgen has asked for its next response, which only gqlgen's
// goroutine for it touches.
type subscription struct {
	conn  *socketConn
	final struct {
		sync.Mutex
		n int64
	}
	asked int64
}

type subscriptionKey struct{}

func subscriptionFrom(ctx context.Context) *subscription {
	s, _ := ctx.Value(subscriptionKey{}).(*subscription)
	return s
}

// socketOperations keeps each transport to its operations: subscriptions
// over the websocket only, where their authentication stays live, and
// queries and mutations over HTTP only, where its guards (CSRF, request
// size, timeouts, cookies) apply.
func socketOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	subscribing := oc.Operation != nil && oc.Operation.Operation == ast.Subscription
	sk := auth.SocketFrom(ctx)
	if c := connFrom(ctx); c != nil {
		// Set up (its resolver has run) or refused, either way.
		defer c.setupDone("")
	}
	refuse := func(msg string) graphql.ResponseHandler {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message: msg, Extensions: map[string]any{"code": string(auth.CodeBadRequest)}}}})
	}
	switch {
	case sk == nil && subscribing:
		return refuse("subscriptions are served over the websocket at /graphql (graphql-transport-ws)")
	case sk != nil && !subscribing:
		return refuse("only subscriptions are served over the websocket; send queries and mutations over HTTP")
	case sk != nil:
		c := connFrom(ctx)
		if c == nil {
			break
		}
		ctx = context.WithValue(ctx, subscriptionKey{}, &subscription{conn: c})
	}
	return next(ctx)
}

// flushFinal notices that a subscription's final event has been written:
// gqlgen writes each response before it asks for the next, so when it asks
// past the final one, that one is on the wire. The subscription then waits
// for its socket to close, so that gqlgen does not complete it (the client
// hears the close code instead).
func flushFinal(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	sub := subscriptionFrom(ctx)
	if sub == nil {
		return next(ctx)
	}
	sub.asked++
	sub.final.Lock()
	final := sub.final.n
	sub.final.Unlock()
	if final > 0 && sub.asked > final {
		sub.conn.flush()
		<-ctx.Done()
		return nil
	}
	return next(ctx)
}

// eventBuffer is how many events a subscription may fall behind by; a
// slow one loses its oldest, never the newest (the final one is last).
const eventBuffer = 8

// stream is a subscription's channel of events for gqlgen, filled without
// a goroutine of its own: push is called by the socket, and never blocks.
// It never closes the channel, which would complete the subscription:
// after the final event, or when the socket ends without one, the
// socket's close ends it.
type stream[M any] struct {
	ch  chan M
	sub *subscription // nil outside a socket
	mu  sync.Mutex
	n   int64 // the place, in gqlgen's reading order, of the last event queued
}

func newStream[M any](ctx context.Context) *stream[M] {
	return &stream[M]{ch: make(chan M, eventBuffer), sub: subscriptionFrom(ctx)}
}

// push queues m, dropping the oldest queued event when the subscriber has
// fallen behind by eventBuffer. A final event's place is noted before it
// is queued, so that flushFinal cannot miss it.
func (s *stream[M]) push(m M, final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if final && s.sub != nil {
			s.sub.final.Lock()
			s.sub.final.n = s.n + 1
			s.sub.final.Unlock()
		}
		select {
		case s.ch <- m:
			s.n++
			return
		default:
		}
		select {
		case <-s.ch:
			s.n-- // the events after it move up a place
		default:
		}
	}
}

// holdRole records, for a subscription over a socket, the role its field
// needs for as long as it runs, so that lowering the user's role below it
// ends the socket.
func holdRole(ctx context.Context, argRole auth.Role) {
	sk := auth.SocketFrom(ctx)
	if sk == nil || subscriptionFrom(ctx) == nil {
		return
	}
	role := fieldGuards(ctx).role
	if role == "" {
		role = argRole
	}
	if role != "" {
		context.AfterFunc(ctx, sk.Require(role))
	}
}
