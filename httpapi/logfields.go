package httpapi

import (
	"context"
	"sync"
)

// logFields are filled in by inner layers (the GraphQL operation name, the
// authenticated user) for the one access-log line of the request.
type logFields struct {
	mu        sync.Mutex
	operation string
	userID    string
}

type logFieldsKey struct{}

func withLogFields(ctx context.Context) (context.Context, *logFields) {
	f := &logFields{}
	return context.WithValue(ctx, logFieldsKey{}, f), f
}

// SetOperation names the GraphQL operation in the request's log line.
func SetOperation(ctx context.Context, name string) {
	if f, _ := ctx.Value(logFieldsKey{}).(*logFields); f != nil {
		f.mu.Lock()
		f.operation = name
		f.mu.Unlock()
	}
}

// SetUserID names the authenticated user in the request's log line.
func SetUserID(ctx context.Context, id string) {
	if f, _ := ctx.Value(logFieldsKey{}).(*logFields); f != nil {
		f.mu.Lock()
		f.userID = id
		f.mu.Unlock()
	}
}

func (f *logFields) get() (operation, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.operation, f.userID
}
