package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestErrorCodes drives every client-visible error code through HTTP.
func TestErrorCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tok, _ := s.register(t, "bob@example.com", "password-123")
		regQ := `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`
		loginQ := `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`
		in := func(email, pw string) map[string]any {
			return map[string]any{"i": map[string]any{"email": email, "password": pw}}
		}

		t.Run("EMAIL_TAKEN regardless of case", func(t *testing.T) {
			wantErr(t, s.do(t, "", regQ, in(" BOB@example.COM ", "password-123")), "EMAIL_TAKEN", "")
		})
		t.Run("BAD_USER_INPUT names the field", func(t *testing.T) {
			e := wantErr(t, s.do(t, "", regQ, in("not-an-email", "password-123")), "BAD_USER_INPUT", "")
			if e.Extensions["field"] != "input.email" {
				t.Fatalf("field = %v", e.Extensions["field"])
			}
			e = wantErr(t, s.do(t, "", regQ, in("carol@example.com", "short")), "BAD_USER_INPUT", "")
			if e.Extensions["field"] != "input.password" {
				t.Fatalf("field = %v", e.Extensions["field"])
			}
			e = wantErr(t, s.do(t, "", regQ, in("carol@example.com", strings.Repeat("x", 257))), "BAD_USER_INPUT", "")
			if e.Extensions["field"] != "input.password" {
				t.Fatalf("field = %v", e.Extensions["field"])
			}
			// Nothing was written by the rejected registrations.
			wantErr(t, s.do(t, "", loginQ, in("carol@example.com", "short")), "INVALID_CREDENTIALS", "")
		})
		t.Run("INVALID_CREDENTIALS looks the same for unknown email and wrong password", func(t *testing.T) {
			unknown := wantErr(t, s.do(t, "", loginQ, in("nobody@example.com", "password-123")), "INVALID_CREDENTIALS", "")
			wrong := wantErr(t, s.do(t, "", loginQ, in("bob@example.com", "password-124")), "INVALID_CREDENTIALS", "")
			if unknown.Message != wrong.Message || len(unknown.Extensions) != len(wrong.Extensions) {
				t.Fatalf("distinguishable: %+v vs %+v", unknown, wrong)
			}
		})
		t.Run("TOKEN_MISSING and TOKEN_INVALID", func(t *testing.T) {
			wantErr(t, s.me(t, ""), "UNAUTHENTICATED", "TOKEN_MISSING")
			wantErr(t, s.me(t, "garbage"), "UNAUTHENTICATED", "TOKEN_INVALID")
			wantErr(t, s.me(t, tok.refresh), "UNAUTHENTICATED", "TOKEN_INVALID") // refresh used as access
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Basic Ym9iOnB3")
			wantErr(t, s.send(t, req), "UNAUTHENTICATED", "TOKEN_INVALID")
		})
		t.Run("an access token is not a refresh token", func(t *testing.T) {
			wantErr(t, s.refresh(t, tok.access), "UNAUTHENTICATED", "TOKEN_INVALID")
			wantErr(t, s.do(t, "", `mutation { refresh { accessToken } }`, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
		})
		t.Run("login works with a stale Authorization header", func(t *testing.T) {
			r := s.do(t, "garbage.token.here", loginQ, in("bob@example.com", "password-123"))
			ok(t, r)
		})
		t.Run("@fresh and @hasRole check the token first", func(t *testing.T) {
			wantErr(t, s.do(t, "", `{ adminStats { users } }`, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
			wantErr(t, s.do(t, "", `mutation { changePassword(currentPassword: "a", newPassword: "bbbbbbbb") }`, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
			wantErr(t, s.do(t, "bad", `mutation { setUserRole(userId: "x", role: ADMIN) { id } }`, nil), "UNAUTHENTICATED", "TOKEN_INVALID")
			wantErr(t, s.do(t, "", `mutation { logout }`, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
		})
		t.Run("FORBIDDEN for a USER", func(t *testing.T) {
			wantErr(t, s.do(t, tok.access, `mutation { setUserRole(userId: "x", role: ADMIN) { id } }`, nil), "FORBIDDEN", "")
		})
		t.Run("invalid enum is a client error", func(t *testing.T) {
			r := s.do(t, tok.access, `mutation($r: Role!) { setUserRole(userId: "x", role: $r) { id } }`, map[string]any{"r": "ROOT"})
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("errors = %+v", r.Errors)
			}
		})
	})
}

// TestExpiredAccessToken shows TOKEN_EXPIRED, the one reason on which a
// client should refresh.
func TestExpiredAccessToken(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"ACCESS_TOKEN_TTL": "1s", "JWT_LEEWAY": "0s"}))
	tok, p := s.register(t, "eve@example.com", "password-123")
	if p["expiresIn"] != float64(1) {
		t.Fatalf("expiresIn = %v", p["expiresIn"])
	}
	ok(t, s.me(t, tok.access))
	time.Sleep(2100 * time.Millisecond)
	wantErr(t, s.me(t, tok.access), "UNAUTHENTICATED", "TOKEN_EXPIRED")
	r := ok(t, s.refresh(t, tok.refresh))
	fresh, _ := payload(t, r, "refresh")
	ok(t, s.me(t, fresh.access))
}

// TestGETRunsQueriesOnly: a mutation must never run from a GET, which a
// browser sends cross-site without asking.
func TestGETRunsQueriesOnly(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	tok, _ := s.register(t, "gus@example.com", "password-123")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query=mutation%7Blogout%7D", nil)
	req.Header.Set("Authorization", "Bearer "+tok.access)
	r := s.send(t, req)
	if len(r.Errors) == 0 || r.Data["logout"] != nil {
		t.Fatalf("GET mutation ran: %+v", r)
	}
	ok(t, s.me(t, tok.access)) // still logged in
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/graphql?query=%7Bme%7Bemail%7D%7D", nil)
	req.Header.Set("Authorization", "Bearer "+tok.access)
	if ok(t, s.send(t, req))["me"].(map[string]any)["email"] != "gus@example.com" {
		t.Fatal("GET query failed")
	}
}
