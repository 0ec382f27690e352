package main

import (
	"sync"
	"testing"
)

// TestRefreshGraceWindow: a client that lost a refresh response may retry
// with the consumed token inside the window; afterwards only the newest
// refresh token works.
func TestRefreshGraceWindow(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"REFRESH_REUSE_GRACE": "1m"}))
		r1, _ := s.register(t, "gail@example.com", "password-123")
		r2, _ := payload(t, ok(t, s.refresh(t, r1.refresh)), "refresh") // response "lost"
		r3, _ := payload(t, ok(t, s.refresh(t, r1.refresh)), "refresh") // the retry
		if r3.refresh == r2.refresh {
			t.Fatal("retry returned the same refresh token")
		}
		r4, _ := payload(t, ok(t, s.refresh(t, r3.refresh)), "refresh")
		ok(t, s.me(t, r4.access))
		// r2 was superseded by the retry: presenting it is reuse.
		wantErr(t, s.refresh(t, r2.refresh), "UNAUTHENTICATED", "TOKEN_REUSED")
		wantErr(t, s.refresh(t, r4.refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")
	})
}

// TestConcurrentRefreshRotatesOnce: with no grace window, racing refreshes
// of one token yield exactly one new pair.
func TestConcurrentRefreshRotatesOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"REFRESH_REUSE_GRACE": "0"}))
		tok, _ := s.register(t, "hal@example.com", "password-123")
		const n = 8
		results := make([]*gqlResponse, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = s.refresh(t, tok.refresh) }()
		}
		wg.Wait()
		succeeded := 0
		for _, r := range results {
			if len(r.Errors) == 0 {
				succeeded++
				continue
			}
			if c := r.Errors[0].Extensions["code"]; c != "UNAUTHENTICATED" {
				t.Errorf("unexpected error %+v", r.Errors)
			}
		}
		if succeeded != 1 {
			t.Fatalf("%d refreshes succeeded, want exactly 1", succeeded)
		}
	})
}

// TestConcurrentRegistration: one email, many racing registrations, one account.
func TestConcurrentRegistration(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		const n = 8
		codes := make([]any, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
					map[string]any{"i": map[string]any{"email": "ivy@example.com", "password": "password-123"}})
				if len(r.Errors) > 0 {
					codes[i] = r.Errors[0].Extensions["code"]
				}
			}()
		}
		wg.Wait()
		succeeded := 0
		for _, c := range codes {
			switch c {
			case nil:
				succeeded++
			case "EMAIL_TAKEN":
			default:
				t.Errorf("unexpected code %v", c)
			}
		}
		if succeeded != 1 {
			t.Fatalf("%d registrations succeeded, want 1", succeeded)
		}
	})
}

// TestLogoutAllSessions ends every session and every outstanding token.
func TestLogoutAllSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		a, _ := s.register(t, "jo@example.com", "password-123")
		b, _ := s.login(t, "jo@example.com", "password-123")
		other, _ := s.register(t, "kim@example.com", "password-123")
		ok(t, s.do(t, a.access, `mutation { logout(allSessions: true) }`, nil))
		for _, tk := range []tokens{a, b} {
			wantErr(t, s.me(t, tk.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
			wantErr(t, s.refresh(t, tk.refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")
		}
		ok(t, s.me(t, other.access)) // another user is untouched
		c, _ := s.login(t, "jo@example.com", "password-123")
		ok(t, s.me(t, c.access)) // and jo can log in again
	})
}

// TestChangePassword needs a fresh token and the current password, and
// ends every other session.
func TestChangePassword(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		a, _ := s.register(t, "lee@example.com", "password-123")
		b, _ := s.login(t, "lee@example.com", "password-123")
		const q = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`
		refreshed, _ := payload(t, ok(t, s.refresh(t, b.refresh)), "refresh")
		wantErr(t, s.do(t, refreshed.access, q, map[string]any{"c": "password-123", "n": "new-password-456"}), "FRESH_TOKEN_REQUIRED", "")
		wantErr(t, s.do(t, a.access, q, map[string]any{"c": "wrong-password", "n": "new-password-456"}), "INVALID_CREDENTIALS", "")
		e := wantErr(t, s.do(t, a.access, q, map[string]any{"c": "password-123", "n": "short"}), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "newPassword" {
			t.Fatalf("field = %v", e.Extensions["field"])
		}
		ok(t, s.do(t, a.access, q, map[string]any{"c": "password-123", "n": "new-password-456"}))
		ok(t, s.me(t, a.access)) // the current session survives
		wantErr(t, s.me(t, refreshed.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.do(t, "", `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`,
			map[string]any{"i": map[string]any{"email": "lee@example.com", "password": "password-123"}}), "INVALID_CREDENTIALS", "")
		s.login(t, "lee@example.com", "new-password-456")
	})
}

// TestSetUserRole: an admin changes roles; the change applies to the
// target's next request, not at token expiry.
func TestSetUserRole(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		out := s.cli(t, "admin-password-1\n", "user", "create", "--email", "root@example.com", "--role", "admin")
		if out == "" {
			t.Fatal("user create printed nothing")
		}
		admin, p := s.login(t, "root@example.com", "admin-password-1")
		if p["user"].(map[string]any)["role"] != "ADMIN" {
			t.Fatalf("created admin has role %v", p["user"])
		}
		mia, mp := s.register(t, "mia@example.com", "password-123")
		miaID := mp["user"].(map[string]any)["id"].(string)
		const setRole = `mutation($id: ID!, $r: Role!) { setUserRole(userId: $id, role: $r) { id role } }`
		const stats = `{ adminStats { users } }`

		wantErr(t, s.do(t, mia.access, stats, nil), "FORBIDDEN", "")
		u := ok(t, s.do(t, admin.access, setRole, map[string]any{"id": miaID, "r": "ADMIN"}))["setUserRole"].(map[string]any)
		if u["role"] != "ADMIN" {
			t.Fatalf("setUserRole = %v", u)
		}
		if ok(t, s.do(t, mia.access, stats, nil))["adminStats"].(map[string]any)["users"] != float64(2) {
			t.Fatal("adminStats users != 2")
		}
		ok(t, s.do(t, admin.access, setRole, map[string]any{"id": miaID, "r": "USER"}))
		wantErr(t, s.do(t, mia.access, stats, nil), "FORBIDDEN", "")

		e := wantErr(t, s.do(t, admin.access, setRole, map[string]any{"id": "no-such-user", "r": "USER"}), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "userId" {
			t.Fatalf("field = %v", e.Extensions["field"])
		}
		refreshed, _ := payload(t, ok(t, s.refresh(t, admin.refresh)), "refresh")
		wantErr(t, s.do(t, refreshed.access, setRole, map[string]any{"id": miaID, "r": "ADMIN"}), "FRESH_TOKEN_REQUIRED", "")
	})
}
