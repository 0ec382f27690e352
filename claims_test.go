package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// jwtPayload reads a JWT's payload without verifying it (the e2e jose
// test verifies these tokens from the JWKS).
func jwtPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTokenClaimsShaped: access tokens carry the scope of the user's role
// (ROLE_SCOPES), the claims CLAIMS_TEMPLATE renders and the custom claims
// an admin set with setUserClaims under CLAIMS_NAMESPACE (from the next
// refresh); only a fresh ADMIN sets them, as a bounded JSON object.
func TestTokenClaimsShaped(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{
			"CLAIMS_TEMPLATE": `{"https://hasura.io/jwt/claims": {"x-hasura-user-id": "{{.ID}}", "x-hasura-default-role": "{{.Role | lower}}", "x-hasura-allowed-roles": ["user"]}}`,
			"ROLE_SCOPES":     "USER=profile:read;ADMIN=profile:read admin",
		}))
		ada, p := s.register(t, "ada@example.com", "password-123")
		id := p["user"].(map[string]any)["id"].(string)
		c := jwtPayload(t, ada.access)
		h := c["https://hasura.io/jwt/claims"].(map[string]any)
		if c["scope"] != "profile:read" || h["x-hasura-user-id"] != id || h["x-hasura-default-role"] != "user" || c["app_metadata"] != nil {
			t.Fatalf("claims %v", c)
		}
		if r := jwtPayload(t, ada.refresh); r["scope"] != nil || r["https://hasura.io/jwt/claims"] != nil {
			t.Fatalf("refresh token claims %v", r)
		}

		set := `mutation($id: ID!, $c: JSON) { setUserClaims(userId: $id, claims: $c) { id customClaims } }`
		wantErr(t, s.do(t, ada.access, set, map[string]any{"id": id, "c": map[string]any{"plan": "pro"}}), "FORBIDDEN", "")
		admin := adminOf(t, s)
		if a := jwtPayload(t, admin); a["scope"] != "profile:read admin" {
			t.Fatalf("admin scope %v", a["scope"])
		}
		for _, bad := range []any{"pro", []any{1}, map[string]any{"x": strings.Repeat("y", 3000)}} {
			e := wantErr(t, s.do(t, admin, set, map[string]any{"id": id, "c": bad}), "BAD_USER_INPUT", "")
			if e.Extensions["field"] != "claims" {
				t.Fatalf("field %v", e.Extensions)
			}
		}
		u := ok(t, s.do(t, admin, set, map[string]any{"id": id, "c": map[string]any{"plan": "pro", "role": "ADMIN", "sub": "someone"}}))["setUserClaims"].(map[string]any)
		if cc := u["customClaims"].(map[string]any); cc["plan"] != "pro" {
			t.Fatalf("customClaims %v", u)
		}
		r := payloadTokens(t, ok(t, s.refresh(t, ada.refresh)), "refresh")
		c = jwtPayload(t, r.access)
		ns, _ := c["app_metadata"].(map[string]any)
		if ns["plan"] != "pro" || c["role"] != "USER" || c["sub"] != id {
			t.Fatalf("after setUserClaims: %v (custom claims stay in their namespace)", c)
		}
		if me := ok(t, s.do(t, r.access, `{ me { customClaims } }`, nil))["me"].(map[string]any); me["customClaims"].(map[string]any)["plan"] != "pro" {
			t.Fatalf("me %v", me)
		}
		ok(t, s.do(t, admin, set, map[string]any{"id": id, "c": nil}))
		r = payloadTokens(t, ok(t, s.refresh(t, r.refresh)), "refresh")
		if c := jwtPayload(t, r.access); c["app_metadata"] != nil {
			t.Fatalf("cleared claims still issued: %v", c)
		}
	})
}

// TestClaimsConfigRefused: a template setting a reserved claim, a
// namespace that is one, or a malformed ROLE_SCOPES stop the start-up.
func TestClaimsConfigRefused(t *testing.T) {
	for _, env := range []map[string]string{
		{"CLAIMS_TEMPLATE": `{"role": "ADMIN"}`},
		{"CLAIMS_TEMPLATE": `{"x": "{{.Password}}"}`},
		{"CLAIMS_NAMESPACE": "sub"},
		{"ROLE_SCOPES": "ROOT=everything"},
	} {
		if _, err := loadConfig(getenvFrom(env)); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}

// TestClaimsThatBreakTokensRefused: custom claims with which the user's
// tokens could not be issued (the template fails on them) are refused
// when set, rather than failing every later login of the user.
func TestClaimsThatBreakTokensRefused(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"CLAIMS_TEMPLATE": `{"tenant": "{{with .Claims.org}}{{.id}}{{end}}"}`}))
	ada, p := s.register(t, "ada@example.com", "password-123")
	admin := adminOf(t, s)
	set := `mutation($id: ID!, $c: JSON) { setUserClaims(userId: $id, claims: $c) { id } }`
	id := p["user"].(map[string]any)["id"]
	e := wantErr(t, s.do(t, admin, set, map[string]any{"id": id, "c": map[string]any{"org": "not-an-object"}}), "BAD_USER_INPUT", "")
	if e.Extensions["field"] != "claims" {
		t.Fatalf("field %v", e.Extensions)
	}
	ok(t, s.do(t, admin, set, map[string]any{"id": id, "c": map[string]any{"org": map[string]any{"id": "acme"}}}))
	r := payloadTokens(t, ok(t, s.refresh(t, ada.refresh)), "refresh")
	if c := jwtPayload(t, r.access); c["tenant"] != "acme" {
		t.Fatalf("claims %v", c)
	}
}
