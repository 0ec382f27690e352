package main

import (
	"fmt"
	"strings"
	"testing"
)

const entitiesQuery = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on User { id email role } } }`

func userRep(id string) map[string]any {
	return map[string]any{"r": []any{map[string]any{"__typename": "User", "id": id}}}
}

// TestFederationServiceSDLWithoutIntrospection: a gateway or rover reads the
// subgraph's SDL through _service, which works even where introspection is
// off (production), while __schema and __type stay closed.
func TestFederationServiceSDLWithoutIntrospection(t *testing.T) {
	for _, env := range []map[string]string{
		{"INTROSPECTION": "false"},
		{"APP_ENV": "production", "JWT_SECRET": "a-production-secret-long-enough-for-hs256", "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL},
	} {
		s := startServer(t, testEnv(sqliteURL(t), env))
		sdl, _ := ok(t, s.do(t, "", `query __ApolloGetServiceDefinition__ { _service { sdl } }`, nil))["_service"].(map[string]any)["sdl"].(string)
		for _, want := range []string{
			`@link(url: "https://specs.apollo.dev/federation/v2.5"`, `@requiresScopes(scopes: [["admin"]])`, `@authenticated`,
			`type User @key(fields: "id")`,
			`email: String!`,
		} {
			if !strings.Contains(sdl, want) {
				t.Fatalf("%v: _service.sdl lacks %q:\n%s", env, want, sdl)
			}
		}
		// Through a fragment, and next to another field, too.
		r := s.do(t, "", `query { ...S __typename } fragment S on Query { _service { sdl } }`, nil)
		if !strings.Contains(ok(t, r)["_service"].(map[string]any)["sdl"].(string), `@key(fields: "id")`) {
			t.Fatalf("%v: _service through a fragment: %v", env, r.Data)
		}

		// Introspection itself stays off, alone or next to _service, and
		// however it is spelled.
		for _, q := range []string{
			`{ __schema { types { name } } }`,
			`{ _service { sdl } __schema { types { name } } }`,
			`{ _service { sdl } t: __type(name: "User") { name } }`,
			`{ ...F } fragment F on Query { _service { sdl } ... on Query { __schema { queryType { name } } } }`,
		} {
			r := s.do(t, "", q, nil)
			if len(r.Errors) == 0 || r.Data["__schema"] != nil || r.Data["t"] != nil {
				t.Fatalf("%v: introspection answered %q: %+v", env, q, r)
			}
		}
	}
}

// TestFederationEntities: a gateway resolves User references with the
// caller's token: their own account, any account for an ADMIN, nothing for
// anyone else.
func TestFederationEntities(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"INTROSPECTION": "false"}))
		alice, ap := s.register(t, "alice@example.com", "password-123")
		bob, bp := s.register(t, "bob@example.com", "password-123")
		aliceID := ap["user"].(map[string]any)["id"].(string)
		bobID := bp["user"].(map[string]any)["id"].(string)

		// Own account.
		ents := ok(t, s.do(t, alice.access, entitiesQuery, userRep(aliceID)))["_entities"].([]any)
		if len(ents) != 1 {
			t.Fatalf("_entities = %v", ents)
		}
		u := ents[0].(map[string]any)
		if u["__typename"] != "User" || u["id"] != aliceID || u["email"] != "alice@example.com" || u["role"] != "USER" {
			t.Fatalf("own entity = %v", u)
		}

		// Someone else's, as a USER: FORBIDDEN, and nothing of bob leaks.
		r := s.do(t, alice.access, entitiesQuery, userRep(bobID))
		e := wantErr(t, r, "FORBIDDEN", "")
		if ents, _ := r.Data["_entities"].([]any); len(ents) != 1 || ents[0] != nil {
			t.Fatalf("forbidden entity data = %v", r.Data)
		}
		if strings.Contains(e.Message, "bob") {
			t.Fatalf("error names the target: %+v", e)
		}
		// An unknown id reads the same as an existing one.
		wantErr(t, s.do(t, alice.access, entitiesQuery, userRep("no-such-user")), "FORBIDDEN", "")

		// Without a token, or with a bad one: UNAUTHENTICATED.
		wantErr(t, s.do(t, "", entitiesQuery, userRep(aliceID)), "UNAUTHENTICATED", "TOKEN_MISSING")
		wantErr(t, s.do(t, "not-a-jwt", entitiesQuery, userRep(aliceID)), "UNAUTHENTICATED", "TOKEN_INVALID")

		// An ADMIN resolves anyone, in one batch; an unknown id is null.
		s.cli(t, "", "user", "set-role", "--email", "alice@example.com", "--role", "admin")
		r = eventually(t, func() *gqlResponse {
			return s.do(t, alice.access, entitiesQuery, map[string]any{"r": []any{
				map[string]any{"__typename": "User", "id": bobID},
				map[string]any{"__typename": "User", "id": aliceID},
				map[string]any{"__typename": "User", "id": "no-such-user"},
			}})
		}, succeeds)
		ents = ok(t, r)["_entities"].([]any)
		if len(ents) != 3 || ents[0].(map[string]any)["email"] != "bob@example.com" ||
			ents[1].(map[string]any)["role"] != "ADMIN" || ents[2] != nil {
			t.Fatalf("admin _entities = %v", ents)
		}

		// A logged-out token resolves nothing.
		ok(t, s.do(t, bob.access, `mutation { logout }`, nil))
		wantErr(t, s.do(t, bob.access, entitiesQuery, userRep(bobID)), "UNAUTHENTICATED", "TOKEN_REVOKED")
	})
}

// TestFederationEntityErrors: a malformed representation is the client's
// mistake (BAD_USER_INPUT, no ERROR log, even without a token, so nobody
// can fill the error log with them), and each representation's error
// carries its index, so a gateway knows which reference failed.
func TestFederationEntityErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		alice, ap := s.register(t, "alice@example.com", "password-123")
		_, bp := s.register(t, "bob@example.com", "password-123")
		aliceID := ap["user"].(map[string]any)["id"].(string)
		bobID := bp["user"].(map[string]any)["id"].(string)

		for _, c := range []struct {
			rep   any
			field string
		}{
			{map[string]any{"__typename": "Nope", "id": "x"}, "representations[0].__typename"},
			{map[string]any{"id": "x"}, "representations[0].__typename"},
			{map[string]any{"__typename": 7, "id": "x"}, "representations[0].__typename"},
			{map[string]any{"__typename": "User"}, "representations[0].id"},
			{map[string]any{"__typename": "User", "id": nil}, "representations[0].id"},
			{map[string]any{"__typename": "User", "id": ""}, "representations[0].id"},
			{map[string]any{"__typename": "User", "id": true}, "representations[0].id"},
			{map[string]any{"__typename": "User", "id": map[string]any{}}, "representations[0].id"},
			{"not an object", "representations[0]"},
			{[]any{1}, "representations[0]"},
		} {
			for _, tok := range []string{"", alice.access} {
				r := s.do(t, tok, entitiesQuery, map[string]any{"r": []any{c.rep}})
				wantBadInput(t, r, c.field)
			}
		}
		// A literal representation is read the same way.
		wantBadInput(t, s.do(t, "", `{ _entities(representations: [{__typename: "Nope", id: "x"}]) { __typename } }`, nil),
			"representations[0].__typename")

		// One batch: own account, someone else's, a malformed one. Each
		// error is on its representation's path.
		r := s.do(t, alice.access, entitiesQuery, map[string]any{"r": []any{
			map[string]any{"__typename": "User", "id": aliceID},
			map[string]any{"__typename": "User", "id": bobID},
			map[string]any{"__typename": "Usr", "id": aliceID},
		}})
		ents, _ := r.Data["_entities"].([]any)
		if len(ents) != 3 || ents[0].(map[string]any)["id"] != aliceID || ents[1] != nil || ents[2] != nil {
			t.Fatalf("_entities = %v", r.Data)
		}
		codes := map[string]string{}
		for _, e := range r.Errors {
			if len(e.Path) != 2 || e.Path[0] != "_entities" {
				t.Fatalf("error path %v: %+v", e.Path, e)
			}
			codes[fmt.Sprint(e.Path[1])], _ = e.Extensions["code"].(string)
		}
		if len(r.Errors) != 2 || codes["1"] != "FORBIDDEN" || codes["2"] != "BAD_USER_INPUT" {
			t.Fatalf("errors = %+v", r.Errors)
		}

		// Without a token, UNAUTHENTICATED on each well-formed one.
		r = s.do(t, "", entitiesQuery, map[string]any{"r": []any{
			map[string]any{"__typename": "User", "id": aliceID},
			map[string]any{"__typename": "User"},
			map[string]any{"__typename": "User", "id": bobID},
		}})
		if ents, _ := r.Data["_entities"].([]any); len(ents) != 3 || ents[0] != nil || ents[2] != nil {
			t.Fatalf("_entities = %v", r.Data)
		}
		codes = map[string]string{}
		for _, e := range r.Errors {
			codes[fmt.Sprint(e.Path)], _ = e.Extensions["code"].(string)
		}
		if len(r.Errors) != 3 || codes["[_entities 0]"] != "UNAUTHENTICATED" || codes["[_entities 1]"] != "BAD_USER_INPUT" ||
			codes["[_entities 2]"] != "UNAUTHENTICATED" {
			t.Fatalf("errors = %+v", r.Errors)
		}
		noErrorLogs(t, s)
	})
}

// TestEdgeDirectivesCanBeHidden: with FEDERATION_EDGE_DIRECTIVES=false the
// subgraph SDL has no @authenticated or @requiresScopes (uses and imports:
// @apollo/gateway refuses supergraphs with them) and is still the schema;
// the server's own directives still refuse as before.
func TestEdgeDirectivesCanBeHidden(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"FEDERATION_EDGE_DIRECTIVES": "false"}))
	sdl := ok(t, s.do(t, "", `{ _service { sdl } }`, nil))["_service"].(map[string]any)["sdl"].(string)
	for _, gone := range []string{" @authenticated\n", "@requiresScopes(", `"@authenticated"`, `"@requiresScopes"`} {
		if strings.Contains(sdl, gone) {
			t.Fatalf("_service.sdl still has %s:\n%s", gone, sdl)
		}
	}
	for _, kept := range []string{`import: ["@key", "@shareable"]`, "adminStats: AdminStats! @hasRole(role: ADMIN) @fresh\n", "me: User! @auth\n"} {
		if !strings.Contains(sdl, kept) {
			t.Fatalf("_service.sdl lacks %q:\n%s", kept, sdl)
		}
	}
	wantErr(t, s.me(t, ""), "UNAUTHENTICATED", "TOKEN_MISSING")
}
