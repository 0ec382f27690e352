package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

const hasura = `{"https://hasura.io/jwt/claims": {"x-hasura-user-id": "{{.ID}}", "x-hasura-default-role": "{{.Role | lower}}",
	"x-hasura-allowed-roles": ["user", 7, true], "x-hasura-plan": "{{.Claims.plan}}", "verified": "{{.Verified}}"}}`

func TestClaimsTemplateRenders(t *testing.T) {
	tpl, err := auth.ParseClaimsTemplate(hasura)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	u := &auth.User{ID: "u1", Email: "ada@example.com", Role: auth.RoleAdmin, EmailVerifiedAt: &now, CustomClaims: auth.RawJSON(`{"plan":"pro"}`)}
	got, err := tpl.Render(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"https://hasura.io/jwt/claims":{"verified":"true","x-hasura-allowed-roles":["user",7,true],"x-hasura-default-role":"admin","x-hasura-plan":"pro","x-hasura-user-id":"u1"}}`
	if string(b) != want {
		t.Fatalf("rendered\n%s\nwant\n%s", b, want)
	}
}

// TestClaimsTemplateMissingClaimIsEmpty: a custom claim the user lacks
// renders as "", not text/template's "<no value>", which a gateway would
// compare as a value.
func TestClaimsTemplateMissingClaimIsEmpty(t *testing.T) {
	tpl, err := auth.ParseClaimsTemplate(`{"org": "{{.Claims.org}}"}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(&auth.User{ID: "u1", Role: auth.RoleUser})
	if err != nil || got["org"] != "" {
		t.Fatalf("%v, %v", got, err)
	}
}

func TestClaimsTemplateRefused(t *testing.T) {
	for src, want := range map[string]string{
		`[]`:                 "JSON object",
		`{"a": 1} {"b": 2}`:  "one JSON object",
		`{"sub": "{{.ID}}"}`: `"sub" is reserved`,
		`{"scope": "admin"}`: `"scope" is reserved`,
		`{"x": "{{.ID"}`:     "unclosed action",
		`{"x": "{{.Nope}}"}`: "Nope",
		`{"x": "{{printf \"%0600d\" 1}}{{printf \"%0600d\" 1}}{{printf \"%0600d\" 1}}{{printf \"%0600d\" 1}}"}`: "over 2048",
	} {
		if _, err := auth.ParseClaimsTemplate(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", src, err, want)
		}
	}
}

func TestClaimShaperRefusesReservedNamespace(t *testing.T) {
	tpl, err := auth.ParseClaimsTemplate(`{"app": "{{.ID}}"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []auth.ClaimShaper{{Namespace: "role"}, {Namespace: "Role"}, {Namespace: "APP", Template: tpl}, {Scopes: map[auth.Role]string{auth.RoleUser: `a" b`}}} {
		if err := s.Check(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

func TestCustomClaimsChecked(t *testing.T) {
	if _, err := auth.CheckCustomClaims("claims", []any{1}); auth.ErrorCode(err) != auth.CodeBadUserInput {
		t.Errorf("an array: %v", err)
	}
	if _, err := auth.CheckCustomClaims("claims", map[string]any{"big": strings.Repeat("x", auth.MaxCustomClaimsBytes)}); auth.ErrorCode(err) != auth.CodeBadUserInput {
		t.Errorf("too big: %v", err)
	}
	raw, err := auth.CheckCustomClaims("claims", map[string]any{"plan": "pro"})
	if err != nil || string(raw) != `{"plan":"pro"}` {
		t.Errorf("%s, %v", raw, err)
	}
	if raw, err := auth.CheckCustomClaims("claims", nil); err != nil || raw != nil {
		t.Errorf("null: %s, %v", raw, err)
	}
}

// TestIssuedTokenCarriesShapedClaims: an access token carries the role's
// scope, the template's claims and the custom claims under the
// namespace; the gqlauth claims stay gqlauth's; a refresh token carries
// none of them; the token still parses.
func TestIssuedTokenCarriesShapedClaims(t *testing.T) {
	tpl, err := auth.ParseClaimsTemplate(`{"tenant": "{{.Claims.tenant}}"}`)
	if err != nil {
		t.Fatal(err)
	}
	shaper := &auth.ClaimShaper{Scopes: auth.DefaultRoleScopes, Template: tpl, Namespace: "app_metadata"}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(strings.Repeat("k", 32)), Issuer: "i", Audience: "a",
		AccessTTL: time.Minute, RefreshTTL: time.Hour, Shaper: shaper}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &auth.User{ID: "u1", Role: auth.RoleAdmin, CustomClaims: auth.RawJSON(`{"tenant":"acme","role":"ADMIN-ish"}`)}
	access, err := tokens.Issue(auth.AccessToken, u, "s1", "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	payload := decodePayload(t, access.Token)
	if payload["scope"] != "user:read user:write admin" || payload["tenant"] != "acme" || payload["role"] != "ADMIN" {
		t.Fatalf("payload %v", payload)
	}
	if ns, _ := payload["app_metadata"].(map[string]any); ns["tenant"] != "acme" || ns["role"] != "ADMIN-ish" {
		t.Fatalf("custom claims %v", payload["app_metadata"])
	}
	if _, err := tokens.Parse(access.Token, auth.AccessToken); err != nil {
		t.Fatal(err)
	}
	refresh, err := tokens.Issue(auth.RefreshToken, u, "s1", "j1", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if p := decodePayload(t, refresh.Token); p["scope"] != nil || p["tenant"] != nil || p["app_metadata"] != nil {
		t.Fatalf("refresh token payload %v", p)
	}
}

// decodePayload reads a JWT's payload without verifying it.
func decodePayload(t *testing.T, token string) map[string]any {
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
