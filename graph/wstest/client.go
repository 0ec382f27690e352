// Package wstest is a graphql-transport-ws client for the tests and the
// bench: just enough of the protocol (connection_init, subscribe, ping and
// pong) to drive the server's websockets and see how each one closes.
package wstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// Subprotocol is the protocol the server speaks, as the graphql-ws npm
// client names it.
const Subprotocol = "graphql-transport-ws"

// Message is one protocol message.
type Message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Client is one websocket. It answers the server's pings itself and keeps
// every other message for Next.
type Client struct {
	conn   *websocket.Conn
	msgs   chan Message
	closed chan struct{}

	mu     sync.Mutex
	code   int
	reason string

	pings  atomic.Int64
	silent atomic.Bool
}

// Dial opens a websocket to the GraphQL endpoint url (http:// or
// https://, as the server's URL is written) with header (Origin, Cookie).
// A refused handshake returns the HTTP response with the error.
func Dial(ctx context.Context, url string, header http.Header) (*Client, *http.Response, error) {
	url = "ws" + strings.TrimPrefix(url, "http")
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header, Subprotocols: []string{Subprotocol}})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(1 << 20)
	c := &Client{conn: conn, msgs: make(chan Message, 64), closed: make(chan struct{})}
	go c.read()
	return c, resp, nil
}

func (c *Client) read() {
	defer close(c.closed)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			var ce websocket.CloseError
			c.mu.Lock()
			if errors.As(err, &ce) {
				c.code, c.reason = int(ce.Code), ce.Reason
			} else {
				c.code, c.reason = -1, err.Error()
			}
			c.mu.Unlock()
			return
		}
		var m Message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if m.Type == "ping" {
			c.pings.Add(1)
			if !c.silent.Load() {
				_ = c.Send(context.Background(), Message{Type: "pong"})
			}
			continue
		}
		select {
		case c.msgs <- m:
		default: // a test that stopped reading; drop
		}
	}
}

// Send writes one message.
func (c *Client) Send(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.conn.Write(ctx, websocket.MessageText, b)
}

// Init sends connection_init with payload and waits for connection_ack,
// whose payload it returns; an error if the socket closes instead.
func (c *Client) Init(ctx context.Context, payload any) (json.RawMessage, error) {
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	if err := c.Send(ctx, Message{Type: "connection_init", Payload: p}); err != nil {
		return nil, err
	}
	m, err := c.Next(ctx)
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		return nil, fmt.Errorf("want connection_ack, got %s %s", m.Type, m.Payload)
	}
	return m.Payload, nil
}

// Subscribe starts the operation query as id.
func (c *Client) Subscribe(ctx context.Context, id, query string) error {
	p, _ := json.Marshal(map[string]any{"query": query})
	return c.Send(ctx, Message{Type: "subscribe", ID: id, Payload: p})
}

// Next is the next message other than a ping; an error once the socket
// has closed (CloseStatus says how) or ctx ends.
func (c *Client) Next(ctx context.Context) (Message, error) {
	select {
	case m := <-c.msgs:
		return m, nil
	case <-ctx.Done():
		return Message{}, ctx.Err()
	case <-c.closed:
		select {
		case m := <-c.msgs:
			return m, nil
		default:
		}
		code, reason := c.CloseStatus()
		return Message{}, &ClosedError{Code: code, Reason: reason}
	}
}

// ClosedError is Next's error once the socket has closed.
type ClosedError struct {
	Code   int // the close code; -1 when the connection broke without one
	Reason string
}

// Error says how the socket closed.
func (e *ClosedError) Error() string { return fmt.Sprintf("socket closed: %d %s", e.Code, e.Reason) }

// Pings is how many pings the server has sent.
func (c *Client) Pings() int64 { return c.pings.Load() }

// Silence stops answering the server's pings (and sending anything), as
// a peer whose network went away would.
func (c *Client) Silence() { c.silent.Store(true) }

// Closed is closed once the socket has closed.
func (c *Client) Closed() <-chan struct{} { return c.closed }

// CloseStatus is the close code and reason the socket closed with.
func (c *Client) CloseStatus() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, c.reason
}

// Close closes the socket normally.
func (c *Client) Close() { _ = c.conn.Close(websocket.StatusNormalClosure, "") }
