package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// BenchmarkMeHandler is the server's own cost of an authenticated `me`
// (no network, no client): the full handler stack on a warm cache. Compare
// with BenchmarkMeBare, the floor: verifying the same JWT and writing the
// same JSON.
func BenchmarkMeHandler(b *testing.B) {
	a := openTestApp(b, testEnv(dbtest.SQLiteURL(b), map[string]string{"LOG_LEVEL": "warn"}))
	res, err := a.svc.Accounts.Register(context.Background(), "bench@example.com", "password-123")
	if err != nil {
		b.Fatal(err)
	}
	auth := "Bearer " + res.Access.Token
	const body = `{"query":"{ me { id email role } }"}`
	do := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		a.handler.ServeHTTP(w, r)
		return w
	}
	if w := do(); !strings.Contains(w.Body.String(), "bench@example.com") {
		b.Fatalf("me answered %d %s", w.Code, w.Body.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			do()
		}
	})
}
