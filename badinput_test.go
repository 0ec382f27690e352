package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// noErrorLogs fails the test if the server logged at ERROR: a client's
// mistake must not fill the error log.
func noErrorLogs(t *testing.T, s *testServer) {
	t.Helper()
	if logs := s.stderr.String(); strings.Contains(logs, "level=ERROR") {
		t.Fatalf("client input logged as an error:\n%s", logs)
	}
}

// wantBadInput fails the test unless r's first error is BAD_USER_INPUT
// naming field.
func wantBadInput(t *testing.T, r *gqlResponse, field string) {
	t.Helper()
	if e := wantErr(t, r, "BAD_USER_INPUT", ""); e.Extensions["field"] != field {
		t.Fatalf("field = %v, want %q: %+v", e.Extensions["field"], field, e)
	}
}

// adminServer starts a server with one fresh ADMIN and returns its token.
func adminServer(t *testing.T, dbURL string, env map[string]string) (*testServer, tokens) {
	t.Helper()
	s := startServer(t, testEnv(dbURL, env))
	s.register(t, "root@example.com", "password-123")
	s.cli(t, "", "user", "set-role", "--email", "root@example.com", "--role", "admin")
	adm, _ := s.login(t, "root@example.com", "password-123")
	return s, adm
}

// TestUnstorableStringsAreBadInput: a NUL byte (which PostgreSQL's text
// refuses) in any string argument, at any depth, is the client's mistake:
// BAD_USER_INPUT naming the argument, on every store, and no ERROR log.
func TestUnstorableStringsAreBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s, adm := adminServer(t, dbURL, nil)
		const nul = "a\x00b"
		login := `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`
		register := `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`
		cred := func(email, pw string) map[string]any {
			return map[string]any{"i": map[string]any{"email": email, "password": pw}}
		}
		for _, c := range []struct {
			name, token, query string
			vars               map[string]any
			field              string
		}{
			{"revokeSession", adm.access, `mutation($x: ID!) { revokeSession(id: $x) }`, map[string]any{"x": nul}, "id"},
			{"revokeSession without a token", "", `mutation($x: ID!) { revokeSession(id: $x) }`, map[string]any{"x": nul}, "id"},
			{"user", adm.access, `query($x: ID!) { user(id: $x) { id } }`, map[string]any{"x": nul}, "id"},
			{"user, literal", adm.access, `{ user(id: "a\u0000b") { id } }`, nil, "id"},
			{"setUserRole", adm.access, `mutation($x: ID!) { setUserRole(userId: $x, role: USER) { id } }`, map[string]any{"x": nul}, "userId"},
			{"setUserDisabled", adm.access, `mutation($x: ID!) { setUserDisabled(userId: $x, disabled: true) { id } }`, map[string]any{"x": nul}, "userId"},
			{"revokeUserSessions", adm.access, `mutation($x: ID!) { revokeUserSessions(userId: $x) }`, map[string]any{"x": nul}, "userId"},
			{"users after", adm.access, `query($x: String) { users(after: $x) { pageInfo { hasNextPage } } }`, map[string]any{"x": nul}, "after"},
			{"users search", adm.access, `query($x: String) { users(search: $x) { pageInfo { hasNextPage } } }`, map[string]any{"x": nul}, "search"},
			{"auditEvents after", adm.access, `query($x: String) { auditEvents(after: $x) { pageInfo { hasNextPage } } }`, map[string]any{"x": nul}, "after"},
			{"auditEvents userId", adm.access, `query($x: ID) { auditEvents(userId: $x) { pageInfo { hasNextPage } } }`, map[string]any{"x": nul}, "userId"},
			{"login email", "", login, cred("a\x00@example.com", "password-123"), "input.email"},
			{"login password", "", login, cred("root@example.com", "password\x00-123"), "input.password"},
			{"register email", "", register, cred("n\x00@example.com", "password-123"), "input.email"},
			{"register password", "", register, cred("new@example.com", "password\x00-123"), "input.password"},
			{"refresh", "", `mutation($x: String) { refresh(refreshToken: $x) { accessToken } }`, map[string]any{"x": nul}, "refreshToken"},
			{"changePassword", adm.access, `mutation($a: String!, $b: String!) { changePassword(currentPassword: $a, newPassword: $b) }`,
				map[string]any{"a": "password-123", "b": "password\x00-456"}, "newPassword"},
			{"_entities", adm.access, entitiesQuery, userRep(nul), "representations[0].id"},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantBadInput(t, s.do(t, c.token, c.query, c.vars), c.field)
			})
		}
		// Nothing was written: the password is unchanged, no account was made.
		s.login(t, "root@example.com", "password-123")
		wantErr(t, s.do(t, "", login, cred("new@example.com", "password\x00-123")), "BAD_USER_INPUT", "")
		noErrorLogs(t, s)
	})
}

// TestInvalidUTF8IsBadInput: a GET query's literals are raw bytes, not
// JSON, so they can hold invalid UTF-8, which PostgreSQL refuses.
func TestInvalidUTF8IsBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s, adm := adminServer(t, dbURL, nil)
		for _, q := range []string{"{ user(id: \"a\xffb\") { id } }", "{ users(search: \"\xc3\") { pageInfo { hasNextPage } } }"} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query="+url.QueryEscape(q), nil)
			req.Header.Set("Authorization", "Bearer "+adm.access)
			r := s.send(t, req)
			field := "id"
			if strings.Contains(q, "search") {
				field = "search"
			}
			wantBadInput(t, r, field)
		}
		noErrorLogs(t, s)
	})
}

// TestForgedCursorsAreBadInput: cursors are opaque but a client can
// forge one whose contents the database refuses.
func TestForgedCursorsAreBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s, adm := adminServer(t, dbURL, nil)
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		users := `query($x: String) { users(after: $x) { pageInfo { hasNextPage } } }`
		for _, c := range []string{
			b64("u:2024-01-01T00:00:00Z|a\x00b"),
			b64("u:2024-01-01T00:00:00Z|\xff"),
			b64("u:2024-01-01T00:00:00Z\x00|x"),
		} {
			wantBadInput(t, s.do(t, adm.access, users, map[string]any{"x": c}), "after")
		}
		wantBadInput(t, s.do(t, adm.access, `query($x: String) { auditEvents(after: $x) { pageInfo { hasNextPage } } }`,
			map[string]any{"x": b64("a:1\x00")}), "after")
		noErrorLogs(t, s)
	})
}

// TestOddUserAgentIsStored: a User-Agent may carry any byte above 0x7f;
// the login works and the session shows the header as valid text, also
// when the 512-byte cut falls inside a character.
func TestOddUserAgentIsStored(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		s.register(t, "ua@example.com", "password-123")
		loginBody := `{"query":"mutation { login(input: {email: \"ua@example.com\", password: \"password-123\"}) { accessToken } }"}`
		for _, c := range []struct{ ua, want string }{
			{"Agent \xff\xfe/1", "Agent \uFFFD/1"},
			{strings.Repeat("a", 511) + "é", strings.Repeat("a", 511)},
		} {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(loginBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", c.ua)
			tok := ok(t, s.send(t, req))["login"].(map[string]any)["accessToken"].(string)
			var found bool
			for _, ss := range ok(t, s.do(t, tok, `{ mySessions { userAgent current } }`, nil))["mySessions"].([]any) {
				if m := ss.(map[string]any); m["current"] == true {
					found = true
					if m["userAgent"] != c.want {
						t.Fatalf("userAgent = %q, want %q", m["userAgent"], c.want)
					}
				}
			}
			if !found {
				t.Fatal("no current session")
			}
		}
		noErrorLogs(t, s)
	})
}

// TestUndecodableRequestsAreNotEchoed: a request that is not a GraphQL
// request at all is BAD_REQUEST, and the answer quotes nothing of it, so
// a secret in a slightly broken request does not come back (nor land in
// whatever keeps responses).
func TestUndecodableRequestsAreNotEchoed(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	const secret = "hunter2-SECRET-d41d8cd9"
	check := func(t *testing.T, req *http.Request) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(raw), "SECRET") {
			t.Fatalf("the request was echoed: %s", raw)
		}
		var r gqlResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("status %d, body not JSON: %s", resp.StatusCode, raw)
		}
		if resp.StatusCode != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_REQUEST" {
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
	}
	for _, body := range []string{
		`{"query":"mutation { login(input: {email: \"a@example.com\", password: \"` + secret + `\"}) { fresh } }"`,
		`{"query":"{ me { id } }","variables":{"password":"` + secret + `"}`,
		`{"query":1,"variables":{"password":"` + secret + `"}}`,
		`{"query":"{ me { id } }","variables":"` + secret + `"}`,
		`[{"query":"{ me { id } }","variables":{"password":"` + secret + `"}}]`,
		secret,
	} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		check(t, req)
	}
	for _, query := range []string{
		"query=%7B%20me%20%7B%20id%20%7D%20%7D&variables=" + url.QueryEscape(`{"password":"`+secret+`"`),
		"query=%7B%20me%20%7B%20id%20%7D%20%7D&variables=" + url.QueryEscape(`["`+secret+`"]`),
		"query=%7B%20me%20%7B%20id%20%7D%20%7D&extensions=" + url.QueryEscape(secret),
		"query=%7B%20me%20%7B%20id%20%7D%20%7D&variables=%zz" + secret,
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?"+query, nil)
		check(t, req)
	}
	noErrorLogs(t, s)
}

// TestLongSearchIsBadInput: no email is longer than 254 bytes, and
// SQLite refuses a LIKE pattern over 50,000 bytes as an internal error.
func TestLongSearchIsBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s, adm := adminServer(t, dbURL, nil)
		q := `query($x: String) { users(search: $x) { edges { node { email } } } }`
		wantBadInput(t, s.do(t, adm.access, q, map[string]any{"x": strings.Repeat("%_\\", 10000)}), "search")
		wantBadInput(t, s.do(t, adm.access, q, map[string]any{"x": strings.Repeat("a", 255)}), "search")
		edges := ok(t, s.do(t, adm.access, q, map[string]any{"x": "root@" + strings.Repeat(" ", 300)}))["users"].(map[string]any)["edges"].([]any)
		if len(edges) != 1 {
			t.Fatalf("edges = %v", edges)
		}
		noErrorLogs(t, s)
	})
}
