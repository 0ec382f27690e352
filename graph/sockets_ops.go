package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

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
