package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/graph/wstest"
)

// sessionEventsQuery is the subscription every socket test runs.
const sessionEventsQuery = `subscription { sessionEvents { type at } }`

// socketWait bounds every wait of the socket tests for what should come
// at once; the tests that measure the 1 s promise measure it themselves.
const socketWait = 5 * time.Second

// dialSocket opens a websocket to s, failing the test if it is refused.
func (s *testServer) dialSocket(t *testing.T, header http.Header) *wstest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	c, _, err := wstest.Dial(ctx, s.URL+"/graphql", header)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// bearer is a connection_init payload carrying token as the graphql-ws
// client's connectionParams would.
func bearer(token string) map[string]any { return map[string]any{"Authorization": "Bearer " + token} }

// subscribeEvents opens a socket authenticated with token and starts
// sessionEvents on it as "1".
func (s *testServer) subscribeEvents(t *testing.T, token string) *wstest.Client {
	t.Helper()
	c := s.dialSocket(t, nil)
	initSocket(t, c, bearer(token))
	startEvents(t, c)
	return c
}

func initSocket(t *testing.T, c *wstest.Client, payload any) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	ack, err := c.Init(ctx, payload)
	if err != nil {
		t.Fatalf("connection_init: %v", err)
	}
	return ack
}

func startEvents(t *testing.T, c *wstest.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	if err := c.Subscribe(ctx, "1", sessionEventsQuery); err != nil {
		t.Fatal(err)
	}
	// The subscription is registered once the server has read it; a ping
	// round trip after it proves that (messages are handled in order).
	roundTrip(t, c)
}

// roundTrip sends a ping and waits for its pong.
func roundTrip(t *testing.T, c *wstest.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	if err := c.Send(ctx, wstest.Message{Type: "ping"}); err != nil {
		t.Fatal(err)
	}
	m := next(t, c)
	if m.Type != "pong" {
		t.Fatalf("want pong, got %s %s", m.Type, m.Payload)
	}
}

// next is the socket's next message; it fails the test if none comes.
func next(t *testing.T, c *wstest.Client) wstest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	m, err := c.Next(ctx)
	if err != nil {
		t.Fatalf("no message: %v", err)
	}
	return m
}

// wantEvent fails the test unless the socket's next message is a
// sessionEvents event of type typ, and returns its time.
func wantEvent(t *testing.T, c *wstest.Client, typ string) time.Time {
	t.Helper()
	m := next(t, c)
	var p struct {
		Data struct {
			SessionEvents struct {
				Type string    `json:"type"`
				At   time.Time `json:"at"`
			} `json:"sessionEvents"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if m.Type != "next" || m.ID != "1" || json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 {
		t.Fatalf("want a sessionEvents event, got %s %s %s", m.Type, m.ID, m.Payload)
	}
	if got := p.Data.SessionEvents.Type; got != typ {
		t.Fatalf("want event %s, got %s", typ, got)
	}
	return p.Data.SessionEvents.At
}

// wantClose fails the test unless the socket closes next, with code and
// reason, and returns when it saw the close.
func wantClose(t *testing.T, c *wstest.Client, code int, reason string) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	m, err := c.Next(ctx)
	var ce *wstest.ClosedError
	if !errors.As(err, &ce) {
		t.Fatalf("want close %d %s, got message %s %s (err %v)", code, reason, m.Type, m.Payload, err)
	}
	at := time.Now()
	if ce.Code != code || ce.Reason != reason {
		t.Fatalf("want close %d %q, got %d %q", code, reason, ce.Code, ce.Reason)
	}
	return at
}

// wantOpen fails the test if the socket has closed: a ping still gets
// its pong.
func wantOpen(t *testing.T, c *wstest.Client) {
	t.Helper()
	select {
	case <-c.Closed():
		code, reason := c.CloseStatus()
		t.Fatalf("socket closed: %d %s", code, reason)
	default:
	}
	roundTrip(t, c)
}
