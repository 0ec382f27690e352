package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/reqlog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func presenterCtx() context.Context {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	return ctx
}

func TestPresenterKeepsInternalsOutOfResponses(t *testing.T) {
	var logs bytes.Buffer
	present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := presenterCtx()
	req := httpapiRequestID(t, ctx)

	secret := errors.New(`pq: relation "users" does not exist at 10.0.0.5`)
	for _, err := range []error{secret, auth.Internal(secret), gqlerror.WrapPath(nil, secret)} {
		got := present(req, err)
		if got.Message != "internal server error" || got.Extensions["code"] != "INTERNAL_SERVER_ERROR" {
			t.Fatalf("presented %+v", got)
		}
		if strings.Contains(got.Error(), "pq:") {
			t.Fatalf("internal detail leaked: %v", got)
		}
		if got.Extensions["requestId"] != "req-123" {
			t.Fatalf("no request id: %+v", got.Extensions)
		}
	}
	if !strings.Contains(logs.String(), "req-123") || !strings.Contains(logs.String(), "relation") {
		t.Fatalf("internal error not logged with request id: %s", logs.String())
	}
}

func TestPresenterShowsServiceErrors(t *testing.T) {
	present := errorPresenter(slog.New(slog.DiscardHandler))
	ctx := presenterCtx()
	got := present(ctx, auth.Unauthenticated(auth.ReasonTokenExpired))
	if got.Extensions["code"] != "UNAUTHENTICATED" || got.Extensions["reason"] != "TOKEN_EXPIRED" || got.Message != "token has expired" {
		t.Fatalf("presented %+v", got)
	}
	got = present(ctx, auth.BadInput("input.email", "email is required"))
	if got.Extensions["code"] != "BAD_USER_INPUT" || got.Extensions["field"] != "input.email" {
		t.Fatalf("presented %+v", got)
	}
	// gqlgen's own messages (validation, coercion) are for clients already.
	got = present(ctx, gqlerror.Errorf("must not be null"))
	if got.Message != "must not be null" || got.Extensions["code"] != "BAD_USER_INPUT" {
		t.Fatalf("presented %+v", got)
	}
}

// httpapiRequestID gives ctx the request id the HTTP layer would put there
// (through reqlog, which both layers share).
func httpapiRequestID(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	return reqlog.WithRequestID(ctx, "req-123")
}

// TestPresenterDoesNotLogAClientThatLeft: a resolver whose client hung up
// fails with context.Canceled, wrapped as an internal error by the use
// case. That is the client's doing: no ERROR log, no INTERNAL code.
func TestPresenterDoesNotLogAClientThatLeft(t *testing.T) {
	var logs bytes.Buffer
	present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(presenterCtx())
	cancel()
	got := present(ctx, auth.Internal(fmt.Errorf("argon2id: %w", context.Canceled)))
	if got.Extensions["code"] == "INTERNAL_SERVER_ERROR" || logs.Len() != 0 {
		t.Fatalf("presented %+v; logged %q", got, logs.String())
	}
	// A cancellation the request did not cause is still internal.
	got = present(presenterCtx(), auth.Internal(context.Canceled))
	if got.Extensions["code"] != "INTERNAL_SERVER_ERROR" || !strings.Contains(logs.String(), "internal error") {
		t.Fatalf("presented %+v; logged %q", got, logs.String())
	}
}
