package main

import (
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// propagation is what the README promises: a change made on one replica
// applies on the others within a second.
const propagation = time.Second

// TestTwoReplicas runs two server processes against one PostgreSQL, each
// with its own cache, and shows that what one does the other knows within
// a second: a logout, a role change, the login throttle, and a refresh
// token's reuse.
func TestTwoReplicas(t *testing.T) {
	dbURL := dbtest.PostgresURL(t)
	env := testEnv(dbURL, map[string]string{
		"JWT_SECRET":          "a-shared-secret-for-both-replicas-0123456789",
		"RATE_LIMIT_ACCOUNT":  "4",
		"REFRESH_REUSE_GRACE": "0",
		// Resync only repairs; propagation here must come from NOTIFY.
		"CACHE_RESYNC_INTERVAL": "1h",
	})
	a := startProcess(t, env)
	b := startProcess(t, env)

	// within asserts that accept holds on replica r within propagation,
	// after warming r's cache with the state before the change.
	within := func(t *testing.T, what string, op func() *gqlResponse, accept func(*gqlResponse) bool) {
		t.Helper()
		start := time.Now()
		for {
			r := op()
			if accept(r) {
				t.Logf("%s: seen after %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > propagation {
				t.Fatalf("%s: not seen within %v: %+v %+v", what, propagation, r.Errors, r.Data)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	t.Run("logout on A rejects the token on B", func(t *testing.T) {
		tok, _ := a.register(t, "ann@example.com", "password-123")
		for range 3 { // B's cache now holds the live token
			ok(t, b.me(t, tok.access))
		}
		ok(t, a.do(t, tok.access, `mutation { logout }`, nil))
		within(t, "logout", func() *gqlResponse { return b.me(t, tok.access) }, failsWith("UNAUTHENTICATED"))
		wantErr(t, b.me(t, tok.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
	})

	t.Run("setUserRole on A gives FORBIDDEN on B", func(t *testing.T) {
		admin, _ := a.register(t, "root@example.com", "password-123")
		a.cli(t, "", "user", "set-role", "--email", "root@example.com", "--role", "ADMIN")
		admin, _ = a.login(t, "root@example.com", "password-123") // fresh, as setUserRole needs
		within(t, "promotion", func() *gqlResponse { return b.do(t, admin.access, `{ users(first: 1) { edges { cursor } } }`, nil) }, succeeds)

		target, u := a.register(t, "ben@example.com", "password-123")
		id := u["user"].(map[string]any)["id"].(string)
		ok(t, a.do(t, admin.access, `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }`, map[string]any{"id": id}))
		q := `{ users(first: 1) { edges { cursor } } }`
		within(t, "role granted", func() *gqlResponse { return b.do(t, target.access, q, nil) }, succeeds)
		ok(t, a.do(t, admin.access, `mutation($id: ID!) { setUserRole(userId: $id, role: USER) { role } }`, map[string]any{"id": id}))
		within(t, "role withdrawn", func() *gqlResponse { return b.do(t, target.access, q, nil) }, failsWith("FORBIDDEN"))
	})

	t.Run("the login throttle holds across both", func(t *testing.T) {
		a.register(t, "cat@example.com", "password-123")
		bad := map[string]any{"i": map[string]any{"email": "cat@example.com", "password": "wrong-password"}}
		const login = `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`
		// RATE_LIMIT_ACCOUNT=4, one attempt used by nobody yet: alternate
		// replicas; the fifth attempt is refused wherever it lands.
		for i := range 4 {
			s := a
			if i%2 == 1 {
				s = b
			}
			wantErr(t, s.do(t, "", login, bad), "INVALID_CREDENTIALS", "")
		}
		wantErr(t, b.do(t, "", login, bad), "RATE_LIMITED", "")
		wantErr(t, a.do(t, "", login, bad), "RATE_LIMITED", "")
	})

	t.Run("a refresh token rotated on A and reused on B is detected", func(t *testing.T) {
		first, _ := a.register(t, "dan@example.com", "password-123")
		second, _ := payload(t, ok(t, a.refresh(t, first.refresh)), "refresh")
		for range 3 {
			ok(t, b.me(t, second.access))
		}
		wantErr(t, b.refresh(t, first.refresh), "UNAUTHENTICATED", "TOKEN_REUSED")
		// Reuse ended the session everywhere: the thief's and the owner's tokens.
		within(t, "session ended by reuse", func() *gqlResponse { return a.me(t, second.access) }, failsWith("UNAUTHENTICATED"))
		within(t, "session ended by reuse (B)", func() *gqlResponse { return b.me(t, second.access) }, failsWith("UNAUTHENTICATED"))
		wantErr(t, a.refresh(t, second.refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")
	})
}
