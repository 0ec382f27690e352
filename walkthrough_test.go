package main

import (
	"strings"
	"testing"
)

// TestWalkthrough is the README's story, end to end over HTTP against the
// real server with production password hashing, on both stores.
func TestWalkthrough(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{
			"ARGON2_MEMORY_KIB":   "19456",
			"ARGON2_TIME":         "2",
			"REFRESH_REUSE_GRACE": "0",
		}))

		// register logs the new user in with a fresh token.
		reg, p := s.register(t, "Alice@Example.com", "correct horse battery")
		if p["tokenType"] != "Bearer" || p["expiresIn"] != float64(900) || p["fresh"] != true {
			t.Fatalf("register payload = %v", p)
		}
		user := p["user"].(map[string]any)
		if user["email"] != "alice@example.com" || user["role"] != "USER" {
			t.Fatalf("user = %v", user)
		}

		me := ok(t, s.me(t, reg.access))["me"].(map[string]any)
		if me["id"] != user["id"] || me["email"] != "alice@example.com" {
			t.Fatalf("me = %v", me)
		}

		// login (the email is case-insensitive) and try adminStats as a USER.
		login, _ := s.login(t, "ALICE@example.com", "correct horse battery")
		const stats = `{ adminStats { users admins activeSessions revokedTokens loginsLast24h failedLoginsLast24h } }`
		wantErr(t, s.do(t, login.access, stats, nil), "FORBIDDEN", "")

		// An operator promotes her; the same token is an admin's as soon as
		// the server hears of the change (within a second).
		out := s.cli(t, "", "user", "set-role", "--email", "alice@example.com", "--role", "admin")
		if !strings.Contains(out, "ADMIN") {
			t.Fatalf("set-role said %q", out)
		}
		st := ok(t, eventually(t, func() *gqlResponse { return s.do(t, login.access, stats, nil) }, succeeds))["adminStats"].(map[string]any)
		want := map[string]float64{"users": 1, "admins": 1, "activeSessions": 2, "revokedTokens": 0, "loginsLast24h": 1, "failedLoginsLast24h": 0}
		for k, v := range want {
			if st[k] != v {
				t.Errorf("adminStats.%s = %v, want %v", k, st[k], v)
			}
		}

		// refresh rotates: a non-fresh access token and a new refresh token.
		r := ok(t, s.refresh(t, login.refresh))
		ref, rp := payload(t, r, "refresh")
		if rp["fresh"] != false || ref.refresh == login.refresh {
			t.Fatalf("refresh payload = %v", rp)
		}
		if ok(t, s.me(t, ref.access))["me"].(map[string]any)["role"] != "ADMIN" {
			t.Fatal("refreshed token does not see the new role")
		}
		wantErr(t, s.do(t, ref.access, stats, nil), "FRESH_TOKEN_REQUIRED", "")

		// Reusing the consumed refresh token ends the whole session.
		wantErr(t, s.refresh(t, login.refresh), "UNAUTHENTICATED", "TOKEN_REUSED")
		wantErr(t, s.refresh(t, ref.refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.me(t, ref.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.me(t, login.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		// The registration's session is untouched.
		ok(t, s.me(t, reg.access))

		// login, logout, and the token is dead.
		l2, _ := s.login(t, "alice@example.com", "correct horse battery")
		if !ok(t, s.do(t, l2.access, `mutation { logout }`, nil))["logout"].(bool) {
			t.Fatal("logout returned false")
		}
		wantErr(t, s.me(t, l2.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.refresh(t, l2.refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")

		st = ok(t, s.do(t, reg.access, stats, nil))["adminStats"].(map[string]any)
		want = map[string]float64{"users": 1, "admins": 1, "activeSessions": 1, "revokedTokens": 1, "loginsLast24h": 2, "failedLoginsLast24h": 0}
		for k, v := range want {
			if st[k] != v {
				t.Errorf("final adminStats.%s = %v, want %v", k, st[k], v)
			}
		}
	})
}
