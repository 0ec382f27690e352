package main

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestAttackNonConformingTokensOverHTTP: a token signed with the server's
// own secret, but with a crit header (RFC 7515 §4.1.11) or a numeric claim
// sent as a string (RFC 7519 §2), is refused as TOKEN_INVALID.
func TestAttackNonConformingTokensOverHTTP(t *testing.T) {
	const secret = "an-http-test-secret-that-is-long-enough"
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"JWT_SECRET": secret}))
	tok, _ := s.register(t, "conform@example.com", "password-123")
	parts := strings.Split(tok.access, ".")
	b64 := base64.RawURLEncoding
	var header, claims map[string]any
	rawHeader, _ := b64.DecodeString(parts[0])
	rawClaims, _ := b64.DecodeString(parts[1])
	if json.Unmarshal(rawHeader, &header) != nil || json.Unmarshal(rawClaims, &claims) != nil {
		t.Fatalf("token not JSON: %s", tok.access)
	}
	// resign signs claims, changed by edit, under the header changed by
	// editHeader, with the server's real key.
	resign := func(editHeader func(map[string]any), edit func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		edit(c)
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
		for k, v := range header {
			t.Header[k] = v
		}
		editHeader(t.Header)
		out, err := t.SignedString([]byte(secret))
		if err != nil {
			panic(err)
		}
		return out
	}
	same := func(map[string]any) {}
	unchanged := func(jwt.MapClaims) {}
	asString := func(name string) func(jwt.MapClaims) {
		return func(c jwt.MapClaims) { c[name] = strconv.FormatInt(int64(c[name].(float64)), 10) }
	}
	// The control: resigning alone changes nothing the server minds.
	ok(t, s.me(t, resign(same, unchanged)))
	for name, forged := range map[string]string{
		"crit":         resign(func(h map[string]any) { h["crit"] = []string{"exp"} }, unchanged),
		"exp a string": resign(same, asString("exp")),
		"nbf a string": resign(same, asString("nbf")),
		"iat a string": resign(same, asString("iat")),
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, s.me(t, forged), "UNAUTHENTICATED", "TOKEN_INVALID")
		})
	}
}
