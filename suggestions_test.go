package main

import (
	"strings"
	"testing"
)

// TestNoSuggestionsWhenOff: with SUGGESTIONS=false (the production
// default) no validation error names a near miss: not for fields (which
// gqlgen's switch covers) nor for arguments, directive arguments, input
// fields, enum values and type names (which it does not). In development
// the hints stay, as they help.
func TestNoSuggestionsWhenOff(t *testing.T) {
	cases := []struct{ kind, query string }{
		{"field", `{ mee { id } }`},
		{"argument", `{ users(frist: 1) { pageInfo { hasNextPage } } }`},
		{"directive argument", `{ __typename @include(iff: true) }`},
		{"input field", `mutation { login(input: {emial: "a@example.com", password: "password-123"}) { fresh } }`},
		{"enum value", `mutation { setUserRole(userId: "x", role: ADMN) { id } }`},
		{"enum value as a string", `mutation { setUserRole(userId: "x", role: "ADMN") { id } }`},
		{"type name", `{ me { ...F } } fragment F on Usr { id }`},
	}
	dev := startServer(t, testEnv(sqliteURL(t), nil))
	for _, c := range cases {
		r := dev.do(t, "", c.query, nil)
		if !suggests(r) {
			t.Fatalf("development, %s: no suggestion: %+v", c.kind, r.Errors)
		}
	}
	// Variables are coerced without suggestions anyway; they must stay so.
	varCases := []struct {
		kind, query string
		vars        map[string]any
	}{
		{"enum value in a variable", `mutation($r: Role!) { setUserRole(userId: "x", role: $r) { id } }`, map[string]any{"r": "ADMN"}},
		{"input field in a variable", `mutation($i: LoginInput!) { login(input: $i) { fresh } }`,
			map[string]any{"i": map[string]any{"emial": "a@example.com", "email": "a@example.com", "password": "password-123"}}},
	}
	for _, env := range []map[string]string{
		{"SUGGESTIONS": "false"},
		{"APP_ENV": "production", "JWT_SECRET": "a-production-secret-long-enough-for-hs256", "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL},
	} {
		s := startServer(t, testEnv(sqliteURL(t), env))
		for _, c := range cases {
			r := s.do(t, "", c.query, nil)
			wantErr(t, r, "GRAPHQL_VALIDATION_FAILED", "")
			for _, e := range r.Errors {
				if strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, `"ADMIN"`) ||
					strings.Contains(e.Message, `"first"`) || strings.Contains(e.Message, `"email"`) {
					t.Fatalf("%v, %s: suggestion: %q", env, c.kind, e.Message)
				}
			}
		}
		for _, c := range varCases {
			r := s.do(t, "", c.query, c.vars)
			if len(r.Errors) == 0 || suggests(r) {
				t.Fatalf("%v, %s: %+v", env, c.kind, r.Errors)
			}
		}
	}
}

func suggests(r *gqlResponse) bool {
	for _, e := range r.Errors {
		if strings.Contains(e.Message, "Did you mean") {
			return true
		}
	}
	return false
}
