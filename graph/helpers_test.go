package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
)

type httpHandlerFunc func(context.Context)

func (f httpHandlerFunc) ServeHTTP(_ http.ResponseWriter, r *http.Request) { f(r.Context()) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newRequest(ctx context.Context, requestID string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", nil)
	r.Header.Set("X-Request-Id", requestID)
	return r
}
