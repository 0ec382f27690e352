package graph

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// withDeadline bounds the whole request (reading, parsing, validating and
// executing) by the operation timeout. gqlgen's AroundOperations would only
// cover execution; the checks before it look at this deadline, and at the
// client going away, between their stages. A websocket lives on: its
// subscriptions end with its authentication.
func withDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// contextError is the typed error of a request whose deadline passed or
// whose client left before it could run; nil while it may go on.
func contextError(ctx context.Context) *gqlerror.Error {
	switch err := ctx.Err(); {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return &gqlerror.Error{Message: timeoutMessage, Extensions: map[string]any{"code": string(auth.CodeOperationTimeout)}}
	default:
		// Nobody reads this answer; it only has to stop the work.
		return &gqlerror.Error{Message: "the request was cancelled by the client", Extensions: map[string]any{"code": string(auth.CodeOperationTimeout)}}
	}
}

const timeoutMessage = "the operation took too long and was stopped"
