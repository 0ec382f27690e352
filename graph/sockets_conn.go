package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gqlauth/gqlauth/auth"
)

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
