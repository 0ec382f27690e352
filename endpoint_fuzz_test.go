package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzGraphQLEndpoint sends arbitrary bodies to /graphql on a real SQLite
// store: the server never fails with a 5xx, always answers JSON, and never
// shows an internal error.
func FuzzGraphQLEndpoint(f *testing.F) {
	env := testEnv("sqlite:"+f.TempDir()+"/fuzz.db", map[string]string{"LOG_LEVEL": "error"})
	a := openTestApp(f, env)
	for _, seed := range []string{
		`{"query":"{ me { id } }"}`,
		`{"query":"mutation($i: RegisterInput!) { register(input: $i) { accessToken } }","variables":{"i":{"email":"f@x.io","password":"password-123"}}}`,
		`{"query":"mutation { login(input: {email: \"f@x.io\", password: \"x\"}) { accessToken } }"}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query":"query A { me { id } } query B { me { email } }","operationName":"B"}`,
		`[{"query":"{ me { id } }"}]`,
		`{"query":"{ a: me { ...F } } fragment F on User { ...F }"}`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("non-JSON answer for %q: %q", body, rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), "INTERNAL_SERVER_ERROR") {
			t.Fatalf("internal error for %q: %s", body, rec.Body.String())
		}
	})
}
