package auth_test

// Support for the harness that neither builds nor calls the service: the
// clock, the log, and raw access to the store.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// fakeClock is the one clock of a harness: the service, the token issuer,
// the verifier and the store's windows all read it, so a test moves time
// instead of waiting for it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now reads the clock.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sql runs a statement on the store behind the service's back, as an
// operator with a database shell would.
func (h *harness) sql(query string, args ...any) {
	h.t.Helper()
	x := h.store.DB()
	if _, err := x.Exec(x.Rebind(query), args...); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
}

// count runs a COUNT query on the store.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	x := h.store.DB()
	var n int
	if err := x.Get(&n, x.Rebind(query), args...); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// testLog sends the service's log to t.Log and fails t on an ERROR line
// unless errorsOK.
type testLog struct {
	t        *testing.T
	errorsOK bool
	attrs    []slog.Attr
}

func (l *testLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *testLog) Handle(_ context.Context, r slog.Record) error {
	l.t.Helper()
	line := fmt.Sprintf("%s %s", r.Level, r.Message)
	for _, a := range l.attrs {
		line += " " + a.String()
	}
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	if r.Level >= slog.LevelError && !l.errorsOK {
		l.t.Errorf("unexpected ERROR log: %s", line)
		return nil
	}
	l.t.Log(line)
	return nil
}

func (l *testLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &testLog{t: l.t, errorsOK: l.errorsOK, attrs: append(append([]slog.Attr{}, l.attrs...), as...)}
}

func (l *testLog) WithGroup(string) slog.Handler { return l }
