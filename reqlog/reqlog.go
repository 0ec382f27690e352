// Package reqlog carries what the log lines of one request share: its id,
// and the fields that inner layers learn while serving it (the GraphQL
// operation, the authenticated user). It lives below both the HTTP layer,
// which writes the access log, and the GraphQL layer, which learns the
// fields, so that neither has to import the other.
package reqlog

import (
	"context"
	"sync"
)

type idKey struct{}

type fieldsKey struct{}

// WithRequestID stores the request's id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// RequestID returns the id of the request in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// Fields are filled in by inner layers for the request's one access-log
// line. Resolvers of one request may run concurrently, hence the lock.
type Fields struct {
	mu        sync.Mutex
	operation string
	userID    string
}

// WithFields starts the fields of a request; the returned Fields are read
// once the request has been answered.
func WithFields(ctx context.Context) (context.Context, *Fields) {
	f := &Fields{}
	return context.WithValue(ctx, fieldsKey{}, f), f
}

// SetOperation names the GraphQL operation in the request's log line. It
// does nothing outside a request started with WithFields.
func SetOperation(ctx context.Context, name string) {
	if f, _ := ctx.Value(fieldsKey{}).(*Fields); f != nil {
		f.mu.Lock()
		f.operation = name
		f.mu.Unlock()
	}
}

// SetUserID names the authenticated user in the request's log line.
func SetUserID(ctx context.Context, id string) {
	if f, _ := ctx.Value(fieldsKey{}).(*Fields); f != nil {
		f.mu.Lock()
		f.userID = id
		f.mu.Unlock()
	}
}

// Get returns the operation and user id recorded so far.
func (f *Fields) Get() (operation, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.operation, f.userID
}
