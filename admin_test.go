package main

import (
	"strings"
	"testing"
)

// TestAdminAPI: paging, search, disabling, revoking sessions and the audit
// log, through the GraphQL API and the matching CLI commands.
func TestAdminAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		s.cli(t, "admin-password-1\n", "user", "create", "--email", "boss@example.com", "--role", "ADMIN")
		admin, _ := s.login(t, "boss@example.com", "admin-password-1")
		ids := map[string]string{}
		var userTokens []tokens
		for _, e := range []string{"u1@example.com", "u2@example.com", "u3@example.com", "other@test.org"} {
			tk, p := s.register(t, e, "password-123")
			ids[e] = p["user"].(map[string]any)["id"].(string)
			userTokens = append(userTokens, tk)
		}

		// Only admins see the user list.
		const usersQ = `query($first: Int, $after: String, $search: String) {
			users(first: $first, after: $after, search: $search) { edges { cursor node { id email disabled } } pageInfo { hasNextPage endCursor } } }`
		wantErr(t, s.do(t, userTokens[0].access, usersQ, nil), "FORBIDDEN", "")

		// Pages of two walk all five users in creation order.
		var seen []string
		var after any
		for range 5 {
			d := ok(t, s.do(t, admin.access, usersQ, map[string]any{"first": 2, "after": after}))["users"].(map[string]any)
			for _, e := range d["edges"].([]any) {
				seen = append(seen, e.(map[string]any)["node"].(map[string]any)["email"].(string))
			}
			pi := d["pageInfo"].(map[string]any)
			if pi["hasNextPage"] != true {
				break
			}
			after = pi["endCursor"]
		}
		if got := strings.Join(seen, ","); got != "boss@example.com,u1@example.com,u2@example.com,u3@example.com,other@test.org" {
			t.Fatalf("paged users = %s", got)
		}
		d := ok(t, s.do(t, admin.access, usersQ, map[string]any{"search": "EXAMPLE.com"}))["users"].(map[string]any)
		if n := len(d["edges"].([]any)); n != 4 {
			t.Fatalf("search found %d users, want 4", n)
		}
		d = ok(t, s.do(t, admin.access, usersQ, map[string]any{"search": "%"}))["users"].(map[string]any)
		if n := len(d["edges"].([]any)); n != 0 {
			t.Fatalf("search for a literal %% found %d users", n)
		}
		e := wantErr(t, s.do(t, admin.access, usersQ, map[string]any{"after": "garbage"}), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "after" {
			t.Fatalf("field = %v", e.Extensions["field"])
		}
		wantErr(t, s.do(t, admin.access, usersQ, map[string]any{"first": 1000}), "BAD_USER_INPUT", "")

		// user(id)
		u := ok(t, s.do(t, admin.access, `query($id: ID!) { user(id: $id) { email } }`, map[string]any{"id": ids["u2@example.com"]}))["user"].(map[string]any)
		if u["email"] != "u2@example.com" {
			t.Fatalf("user = %v", u)
		}
		if r := ok(t, s.do(t, admin.access, `{ user(id: "nope") { email } }`, nil)); r["user"] != nil {
			t.Fatalf("missing user = %v", r["user"])
		}

		// Disabling ends sessions at once and blocks login and refresh.
		const disableQ = `mutation($id: ID!, $d: Boolean!) { setUserDisabled(userId: $id, disabled: $d) { id disabled } }`
		r := ok(t, s.do(t, admin.access, disableQ, map[string]any{"id": ids["u1@example.com"], "d": true}))
		if r["setUserDisabled"].(map[string]any)["disabled"] != true {
			t.Fatalf("setUserDisabled = %v", r)
		}
		wantErr(t, s.me(t, userTokens[0].access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.refresh(t, userTokens[0].refresh), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.do(t, "", loginQ, loginVars("u1@example.com", "password-123")), "ACCOUNT_DISABLED", "")
		wantErr(t, s.do(t, "", loginQ, loginVars("u1@example.com", "wrong-password")), "INVALID_CREDENTIALS", "")
		ok(t, s.do(t, admin.access, disableQ, map[string]any{"id": ids["u1@example.com"], "d": false}))
		s.login(t, "u1@example.com", "password-123")

		// revokeUserSessions
		r = ok(t, s.do(t, admin.access, `mutation($id: ID!) { revokeUserSessions(userId: $id) }`, map[string]any{"id": ids["u2@example.com"]}))
		if r["revokeUserSessions"] != float64(1) {
			t.Fatalf("revokeUserSessions = %v", r["revokeUserSessions"])
		}
		wantErr(t, s.me(t, userTokens[1].access), "UNAUTHENTICATED", "TOKEN_REVOKED")

		// The audit log shows it all, newest first, filtered by user.
		const auditQ = `query($u: ID, $first: Int) { auditEvents(userId: $u, first: $first) { edges { node { type userId } } pageInfo { hasNextPage } } }`
		ev := ok(t, s.do(t, admin.access, auditQ, map[string]any{"u": ids["u1@example.com"]}))["auditEvents"].(map[string]any)["edges"].([]any)
		var types []string
		for _, e := range ev {
			types = append(types, e.(map[string]any)["node"].(map[string]any)["type"].(string))
		}
		if got := strings.Join(types, ","); got != "login_succeeded,user_enabled,login_failed,login_failed,user_disabled,register" {
			t.Fatalf("audit for u1 = %s", got)
		}
		wantErr(t, s.do(t, userTokens[2].access, auditQ, nil), "FORBIDDEN", "")

		// The CLI does the same for operators.
		out := s.cli(t, "", "user", "list", "--search", "test.org")
		if !strings.Contains(out, "other@test.org") || strings.Contains(out, "u1@example.com") {
			t.Fatalf("user list = %q", out)
		}
		s.cli(t, "", "user", "disable", "--email", "u3@example.com")
		// Another process's change reaches the server's cache within changeDelay.
		wantErr(t, eventually(t, func() *gqlResponse { return s.me(t, userTokens[2].access) }, failsWith("UNAUTHENTICATED")),
			"UNAUTHENTICATED", "TOKEN_REVOKED")
		out = s.cli(t, "", "user", "revoke-sessions", "--email", "other@test.org")
		if !strings.Contains(out, "ended 1 sessions") {
			t.Fatalf("revoke-sessions = %q", out)
		}
		wantErr(t, s.me(t, userTokens[3].access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		out = s.cli(t, "", "audit", "tail", "-n", "3")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 ||
			!strings.Contains(lines[2], "sessions_revoked") || !strings.Contains(lines[1], "user_disabled") {
			t.Fatalf("audit tail = %q", out)
		}
	})
}

func TestSubcommandHelp(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"user", "list", "--help"}, {"audit", "tail", "-h"}, {"migrate", "--help"}} {
		var out strings.Builder
		// A broken environment does not stop --help.
		env := map[string]string{"ACCESS_TOKEN_TTL": "nonsense"}
		if err := run(t.Context(), append([]string{"gqlauth"}, args...), getenvFrom(env), nil, &out, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{"Usage of gqlauth", "DATABASE_URL", "AUDIT_RETENTION"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v --help lacks %q", args, want)
			}
		}
	}
}
