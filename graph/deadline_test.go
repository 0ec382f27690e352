package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// TestGoneClientStopsTheWork: a request whose client has gone (its
// context cancelled) is not parsed, validated or run; the same request
// from a client still there is answered. The checks before execution look
// at the request's context between their stages.
func TestGoneClientStopsTheWork(t *testing.T) {
	h := NewHandler(&auth.Service{}, HandlerOptions{Limits: DefaultLimits, Timeout: time.Minute})
	ask := func(ctx context.Context) (data map[string]any, codes []string) {
		// A document gqlgen has not cached, so the checks before it run.
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var resp struct {
			Data   map[string]any `json:"data"`
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		for _, e := range resp.Errors {
			c, _ := e.Extensions["code"].(string)
			codes = append(codes, c)
		}
		return resp.Data, codes
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if data, codes := ask(gone); data["__typename"] != nil || len(codes) != 1 || codes[0] != string(auth.CodeOperationTimeout) {
		t.Fatalf("a gone client's request: data %v, codes %v; want no data and %s", data, codes, auth.CodeOperationTimeout)
	}
	if data, codes := ask(context.Background()); data["__typename"] != "Query" || len(codes) != 0 {
		t.Fatalf("a present client's request: data %v, codes %v", data, codes)
	}
}
